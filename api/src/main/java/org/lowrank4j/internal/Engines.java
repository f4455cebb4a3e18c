package org.lowrank4j.internal;

import ai.djl.engine.Engine;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

/** Which engine a block computes on. */
public final class Engines {

    private Engines() {}

    /**
     * Returns the name of the engine a block's parameters live on: that of its first parameter with
     * an array, or the default engine's before any parameter has one.
     *
     * @param block the block
     * @return the engine's name, as {@code Engine.getEngineName()} gives it
     */
    public static String nameOf(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().isInitialized()) {
                return p.getValue().getArray().getManager().getEngine().getEngineName();
            }
        }
        return Engine.getDefaultEngineName();
    }
}
