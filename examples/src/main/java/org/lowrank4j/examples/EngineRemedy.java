package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.engine.EngineHealth;

/**
 * Runs a program of this module on an engine that computes correctly.
 *
 * <p>The program's {@code main} calls {@link #relaunchIfFaulty} first. It checks the engine with
 * {@link EngineCheck}; when the engine is faulty and a remedy is known that only a new process can
 * apply (libtorch's oneDNN reads {@code ONEDNN_MAX_CPU_ISA} when it starts), the program is run
 * again in a child JVM with the remedy in its environment, and the caller returns once the child
 * has finished. With {@code asIs} the engine runs as it is, with a warning.
 */
public final class EngineRemedy {

    /** The system properties passed on to the child JVM, by prefix. */
    private static final List<String> PASSED_PROPERTIES =
            List.of("ai.djl.", "org.slf4j.", "org.lowrank4j.", "DJL_", "ENGINE_CACHE_DIR");

    private EngineRemedy() {}

    /**
     * Checks the default engine and, if it is faulty and has a remedy, runs the program again in a
     * child JVM with the remedy applied.
     *
     * @param main the program's class
     * @param args the program's arguments, passed on unchanged
     * @param asIs whether to run the engine as it is, faulty or not
     * @return true if the program ran in a child JVM (the caller should return), false if it should
     *     go on in this JVM
     * @throws IOException if the child JVM cannot be started
     * @throws IllegalStateException if the child JVM fails
     */
    public static boolean relaunchIfFaulty(Class<?> main, String[] args, boolean asIs)
            throws IOException {
        EngineHealth health = EngineCheck.verify(Engine.getInstance());
        System.out.println("Engine check: " + health);
        if (health.isSound()) {
            return false;
        }
        Map<String, String> remedy = health.getRemedyEnvironment();
        if (asIs) {
            System.out.println("Running the engine as it is, as asked: results may be wrong.");
            return false;
        }
        if (remedy.isEmpty()) {
            System.out.println("No remedy is known for this fault: results may be wrong.");
            return false;
        }
        System.out.println(
                "Applying the remedy: running "
                        + main.getSimpleName()
                        + " again with "
                        + remedy
                        + " (ask for the engine as it is with the program's as-is option)");
        ProcessBuilder builder = new ProcessBuilder(command(main, args)).inheritIO();
        builder.environment().putAll(remedy);
        try {
            int code = builder.start().waitFor();
            if (code != 0) {
                throw new IllegalStateException(
                        main.getSimpleName() + " with the remedy applied exited with code " + code);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + main.getSimpleName(), e);
        }
        return true;
    }

    /** The command that runs the program again: this JVM, its class path and properties. */
    static List<String> command(Class<?> main, String[] args) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String name : System.getProperties().stringPropertyNames()) {
            for (String prefix : PASSED_PROPERTIES) {
                if (name.startsWith(prefix)) {
                    command.add("-D" + name + "=" + System.getProperty(name));
                    break;
                }
            }
        }
        command.add("-cp");
        command.add(classPath(main));
        command.add(main.getName());
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The class path of the program: the URLs of its class loaders (a program run by Maven's {@code
     * exec:java} lives in a class loader of its own), then this JVM's class path.
     */
    private static String classPath(Class<?> main) {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader l = main.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader) {
                for (URL url : ((URLClassLoader) l).getURLs()) {
                    try {
                        entries.add(Paths.get(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        // not a file: not a class path entry
                    }
                }
            }
        }
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
