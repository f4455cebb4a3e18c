package org.lowrank4j.examples.demo;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the {@link CompactResNet} of 16 stem channels and 10 classes as it was before
 * factorization, as a DJL block factory does: the architecture a model directory's parameters and
 * plan are loaded onto (see {@code FactorizedBlockFactory}).
 */
public final class CompactResNetFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Makes the factory; DJL calls it by name. */
    public CompactResNetFactory() {}

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        return CompactResNet.build(16, 10);
    }
}
