package org.lowrank4j.examples;

import java.io.IOException;

/**
 * A program that applies the engine remedy as the demo does, and prints the setting it ran with.
 */
public final class RemedyEcho {

    private RemedyEcho() {}

    /**
     * Runs.
     *
     * @param args {@code as-is} to run the engine as it is
     * @throws IOException if a child JVM cannot be started
     */
    public static void main(String[] args) throws IOException {
        boolean asIs = args.length > 0 && "as-is".equals(args[0]);
        if (EngineRemedy.relaunchIfFaulty(RemedyEcho.class, args, asIs)) {
            System.out.println("parent finished after the child");
            return;
        }
        System.out.println("ran with ONEDNN_MAX_CPU_ISA=" + System.getenv("ONEDNN_MAX_CPU_ISA"));
    }
}
