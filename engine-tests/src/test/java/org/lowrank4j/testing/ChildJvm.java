package org.lowrank4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lowrank4j.engine.EngineCheck;
import org.testng.Assert;

/** Runs a main class of the test class path in a new JVM, as a fresh process would see it. */
public final class ChildJvm {

    /** The option that makes the child's engine check report a simulated fault. */
    public static final List<String> SIMULATED_FAULT =
            List.of("-D" + EngineCheck.SIMULATE_FAULT_PROPERTY + "=true");

    /**
     * The system property, set by the build for both engines' test runs, with the oneDNN setting
     * under which PyTorch computes correctly on this machine (its engine check's result).
     */
    public static final String PYTORCH_ISA_PROPERTY = "lowrank4j.pytorch.isa";

    private ChildJvm() {}

    /**
     * Returns the oneDNN setting the child JVMs run PyTorch with unless told to clear it: the one
     * the build's engine check chose for PyTorch (the remedy on a machine that needs it), else this
     * JVM's own.
     *
     * @return the setting, or {@code null} for none
     */
    public static String pytorchIsa() {
        String chosen = System.getProperty(PYTORCH_ISA_PROPERTY);
        return chosen == null || chosen.isEmpty()
                ? System.getenv(EngineCheck.ISA_VARIABLE)
                : chosen;
    }

    /**
     * Runs a main class with the PyTorch engine offline and returns what it printed; fails the test
     * if it does not exit with 0 within two minutes.
     *
     * @param clearIsa whether to remove the oneDNN setting from its environment (else it gets
     *     {@link #pytorchIsa()}, the remedy where PyTorch needs it, also in the MXNet run)
     * @param properties extra {@code -D} options
     * @param main the class
     * @param args its arguments
     * @return standard output and error together
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public static String run(
            boolean clearIsa, List<String> properties, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dai.djl.offline=true");
        command.add("-Dai.djl.default_engine=PyTorch");
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.addAll(properties);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        String isa = pytorchIsa();
        if (clearIsa || isa == null) {
            builder.environment().remove(EngineCheck.ISA_VARIABLE);
        } else {
            builder.environment().put(EngineCheck.ISA_VARIABLE, isa);
        }
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        Assert.assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the child JVM did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        Assert.assertEquals(process.exitValue(), 0, text);
        return text;
    }
}
