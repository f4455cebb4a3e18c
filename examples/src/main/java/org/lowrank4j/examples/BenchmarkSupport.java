package org.lowrank4j.examples;

import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.lowrank4j.cost.LatencyCache;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.LayerMethods;
import org.lowrank4j.tensor.Factorization;

/** What the layer benchmarks share: arguments, engine set-up, timing, medians and CSV output. */
final class BenchmarkSupport {

    /** The argument that runs a faulty engine as it is instead of applying the remedy. */
    static final String AS_IS = "engine-as-is";

    private BenchmarkSupport() {}

    /**
     * Checks the engine chosen by {@link #configureEngine} and, where it is faulty and has a
     * remedy, runs the benchmark again in a child JVM with the remedy applied, unless {@code
     * engine-as-is=true} is among the arguments.
     *
     * @return true if the benchmark ran in a child JVM (the caller returns)
     */
    static boolean ranWithRemedy(Class<?> main, Map<String, String> parsed, String[] args)
            throws IOException {
        return EngineRemedy.relaunchIfFaulty(main, args, Boolean.parseBoolean(parsed.get(AS_IS)));
    }

    /** The oneDNN instruction-set setting of this JVM, for the tables: a value or "default". */
    static String isaSetting() {
        String isa = System.getenv(EngineCheck.ISA_VARIABLE);
        return EngineCheck.ISA_VARIABLE + "=" + (isa == null || isa.isEmpty() ? "default" : isa);
    }

    /**
     * Reads {@code name=value} arguments into the defaults.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    static Map<String, String> parse(Map<String, String> defaults, String[] args) {
        defaults.putIfAbsent(AS_IS, "false");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1 || !defaults.containsKey(arg.substring(0, eq))) {
                throw new IllegalArgumentException(
                        "argument '"
                                + arg
                                + "' is not accepted; name=value with a name of "
                                + defaults.keySet());
            }
            defaults.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return defaults;
    }

    /**
     * Selects the engine and PyTorch's thread counts; call before the first engine use. MXNet takes
     * its threads from the {@code OMP_NUM_THREADS} environment variable.
     */
    static void configureEngine(String engine, String threads) {
        System.setProperty("ai.djl.default_engine", engine);
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /**
     * A nanosecond clock: {@code cpu} is the calling thread's CPU time (it leaves out the time the
     * thread waits for a core on a shared machine, but sees only work done on that thread, as
     * PyTorch with one thread does); {@code wall} is {@link System#nanoTime}; {@code auto} is
     * {@code cpu} on PyTorch with one thread and {@code wall} otherwise (MXNet computes on its own
     * threads, and so does PyTorch with more than one).
     */
    static LongSupplier clock(String name, String engine, String threads) {
        String c = clockName(name, engine, threads);
        if ("cpu".equals(c)) {
            ThreadMXBean bean = ManagementFactory.getThreadMXBean();
            return bean::getCurrentThreadCpuTime;
        }
        if ("wall".equals(c)) {
            return System::nanoTime;
        }
        throw new IllegalArgumentException(
                "clock '" + name + "' is not accepted; cpu, wall or auto are");
    }

    /** The clock's name once {@code auto} is resolved. */
    static String clockName(String name, String engine, String threads) {
        if (!"auto".equals(name)) {
            return name;
        }
        return "PyTorch".equals(engine) && "1".equals(threads) ? "cpu" : "wall";
    }

    /**
     * Runs the passes round-robin, {@code warmup} untimed rounds then {@code repeats} timed ones,
     * so that drifts of the machine hit all of them alike.
     *
     * @param order shuffles the passes of every timed round (so that no pass always follows the
     *     same one, whose freed memory and evicted caches it would inherit), or {@code null} to
     *     keep their order
     * @return the milliseconds of every pass: {@code [pass][repeat]}
     */
    static double[][] roundRobin(
            List<Runnable> passes, int warmup, int repeats, LongSupplier clock, Random order) {
        double[][] times = new double[passes.size()][repeats];
        for (int w = 0; w < warmup; w++) {
            passes.forEach(Runnable::run);
        }
        List<Integer> indices = new ArrayList<>();
        for (int p = 0; p < passes.size(); p++) {
            indices.add(p);
        }
        for (int r = 0; r < repeats; r++) {
            if (order != null) {
                Collections.shuffle(indices, order);
            }
            for (int p : indices) {
                long start = clock.getAsLong();
                passes.get(p).run();
                times[p][r] = (clock.getAsLong() - start) / 1e6;
            }
        }
        return times;
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    static List<String> list(String value, String all) {
        return Arrays.asList(
                ("all".equalsIgnoreCase(value) ? all : value).toUpperCase(Locale.ROOT).split(","));
    }

    /** Appends rows to a CSV file, writing the header first when the file is new. */
    static void appendCsv(String file, String header, List<String> rows) throws IOException {
        Path path = Paths.get(file);
        boolean fresh = !Files.exists(path);
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        try (PrintWriter w =
                new PrintWriter(
                        Files.newBufferedWriter(
                                path,
                                StandardCharsets.UTF_8,
                                StandardOpenOption.CREATE,
                                StandardOpenOption.APPEND))) {
            if (fresh) {
                w.println(header);
            }
            rows.forEach(w::println);
        }
        System.out.println("appended " + rows.size() + " rows to " + path);
    }

    /**
     * A policy with the convolution and linear methods a benchmark argument names, {@code lowrank}
     * (the two-factor method) or a tensor format ({@code CP}, {@code TUCKER}, {@code TT}), for the
     * 2-D convolutions and the linear layers; CP takes the convolutions only (a ResNet-50's 2048 ×
     * 1000 classifier at 0.3 would need CP rank 8777, beyond what ALS accepts).
     */
    static FactorizePolicy.Builder methodPolicy(String method) {
        FactorizePolicy.Builder b = FactorizePolicy.builder();
        if ("lowrank".equalsIgnoreCase(method)) {
            return b.optConvMethod(LayerMethods.lowRank())
                    .optLinearMethod(LayerMethods.lowRank())
                    .optLayerTypes(Conv2d.class, Linear.class);
        }
        Factorization f = Factorization.valueOf(method.toUpperCase(Locale.ROOT));
        b.optConvMethod(LayerMethods.forConv(f)).optLinearMethod(LayerMethods.forLinear(f));
        return f == Factorization.CP
                ? b.optLayerTypes(Conv2d.class)
                : b.optLayerTypes(Conv2d.class, Linear.class);
    }

    /**
     * Times a block with a meter and a cache of its own, so that nothing is read from another
     * model's timings.
     *
     * @param block the block, initialised
     * @param input the input shape
     * @param warmup the untimed passes
     * @param repeats the timed passes
     * @return the median, in milliseconds
     */
    static double measure(Block block, Shape input, int warmup, int repeats) {
        return LatencyMeter.builder()
                .optWarmup(warmup)
                .optRepeats(repeats)
                .optCache(new LatencyCache())
                .build()
                .measure(block, input);
    }

    /**
     * Runs a block until the process is warm: a freshly started JVM and engine time their first
     * passes several times slower (compilation, allocator and primitive caches), longer than a
     * meter's warm-up. Measures the block again and again (a new cache each time) until two
     * measurements in a row agree within 5%, at most ten times.
     *
     * @param block the block, initialised
     * @param input the input shape
     * @param warmup the meter's untimed passes
     * @param repeats the meter's timed passes
     * @return the last measurement, in milliseconds
     */
    static double warmUp(Block block, Shape input, int warmup, int repeats) {
        double last = Double.NaN;
        for (int round = 0; round < 10; round++) {
            double ms = measure(block, input, warmup, repeats);
            if (Math.abs(ms - last) <= 0.05 * ms) {
                return ms;
            }
            last = ms;
        }
        return last;
    }

    /**
     * DJL's model-zoo ResNet-50 ({@code resnet50}) or MobileNetV2 ({@code mobilenetv2}) for 224×224
     * images and 1,000 classes.
     */
    static Block imageNetwork(String model) {
        switch (model) {
            case "resnet50":
                return ResNetV1.builder()
                        .setNumLayers(50)
                        .setImageShape(new Shape(3, 224, 224))
                        .setOutSize(1000)
                        .build();
            case "mobilenetv2":
                return MobileNetV2.builder().setOutSize(1000).build();
            default:
                throw new IllegalArgumentException(
                        "model '" + model + "' is not known; resnet50 or mobilenetv2 are");
        }
    }
}
