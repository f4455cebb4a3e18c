package org.lowrank4j.testing;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Properties;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.engine.EngineHealth;

/**
 * Runs the engine check before the test JVMs start, and writes the oneDNN instruction-set setting
 * each engine's tests run with: the remedy where the check finds a fault it has one for, else the
 * setting of this environment ({@code ALL}, oneDNN's default, when none is set).
 *
 * <p>The build runs it in a JVM of its own and reads the file into Maven properties ({@code
 * lowrank4j.pytorch.isa}, {@code lowrank4j.mxnet.isa}) that the surefire runs put in their
 * environment: the variable is read when the engine's native library starts, so it cannot be set
 * from inside a running test JVM.
 */
public final class EngineProbe {

    private EngineProbe() {}

    /**
     * Checks the engines and writes the properties.
     *
     * @param args the properties file, then the engine names
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("arguments: properties-file engine...");
        }
        Properties properties = new Properties();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            EngineHealth health = EngineCheck.check(Engine.getEngine(name));
            String isa = isaFor(health, System.getenv(EngineCheck.ISA_VARIABLE));
            properties.setProperty("lowrank4j." + name.toLowerCase(Locale.ROOT) + ".isa", isa);
            System.out.println(line(health, isa));
        }
        Path file = Paths.get(args[0]);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(w, "written by " + EngineProbe.class.getName());
        }
    }

    /**
     * The instruction-set setting an engine's tests run with.
     *
     * @param health the check's verdict
     * @param current the setting of this environment, or null
     * @return the remedy's setting where it has one, else the current setting or {@code ALL}
     */
    static String isaFor(EngineHealth health, String current) {
        String remedy = health.getRemedyEnvironment().get(EngineCheck.ISA_VARIABLE);
        if (remedy != null) {
            return remedy;
        }
        return current == null || current.isEmpty() ? "ALL" : current;
    }

    /** The one line the build prints before an engine's tests. */
    static String line(EngineHealth health, String isa) {
        if (health.isSound()) {
            return "Engine check before the "
                    + health.getEngineName()
                    + " tests: sound; they run with "
                    + EngineCheck.ISA_VARIABLE
                    + "="
                    + isa;
        }
        return "Engine check before the "
                + health.getEngineName()
                + " tests: "
                + health
                + " => the "
                + health.getEngineName()
                + " tests run with "
                + EngineCheck.ISA_VARIABLE
                + "="
                + isa;
    }
}
