package org.lowrank4j.examples.docs;

import ai.djl.engine.Engine;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.engine.EngineFault;
import org.lowrank4j.engine.EngineHealth;

/** The example of the getting-started page's "Check your engine" section. */
public final class EngineCheckExample {

    private EngineCheckExample() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // snippet:engine-check
        EngineHealth health = EngineCheck.check(Engine.getInstance());
        System.out.println(health); // engine, version, device, verdict
        if (!health.isSound()) {
            for (EngineFault fault : health.getFaults()) {
                System.out.println("  wrong: " + fault);
            }
            // e.g. {ONEDNN_MAX_CPU_ISA=SSE41}: set it in the environment before the JVM starts
            System.out.println("  remedy: " + health.getRemedyEnvironment());
        }
        // end
    }
}
