package org.lowrank4j.examples;

/** Placeholder. */
public final class Demo {
    private Demo() {}

    /**
     * Runs the demo.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println(ai.djl.engine.Engine.getInstance().getEngineName());
    }
}
