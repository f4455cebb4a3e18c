package org.lowrank4j.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that an engine computes float32 convolutions and matrix products correctly on its device,
 * in a few milliseconds.
 *
 * <p>Some engine builds compute wrongly on some CPUs: libtorch 2.7.1's oneDNN 3.7.1, for one, gives
 * wrong float32 convolutions (relative errors of 0.1–0.4, or NaN) for many shapes on AMD EPYC (Zen
 * 5) virtual machines with AVX-512. A factorizer that measured errors or latencies on such an
 * engine would choose ranks and implementations from wrong numbers. This check runs six small
 * convolutions (1-D and 2-D, in-channel counts that are not multiples of 16, stride, padding,
 * dilation, a depthwise one) and a matrix product in float32 on the engine and compares each with a
 * double-precision reference computed on the host.
 *
 * <pre>{@code
 * EngineHealth health = EngineCheck.check(Engine.getInstance());
 * if (!health.isSound()) {
 *     System.err.println(health); // names the engine, the fault and the remedy
 * }
 * }</pre>
 *
 * <p>{@link #verify(Engine)} runs the check once per engine and device in a JVM and logs an SLF4J
 * warning when it fails; the {@code Factorizer} and the {@code LatencyMeter} call it. From the
 * command line, {@code java -cp ... org.lowrank4j.engine.EngineCheck} prints the verdict on every
 * engine on the class path. Setting the system property {@value #SIMULATE_FAULT_PROPERTY} to {@code
 * true} makes every check report one simulated fault, to try out the remedy path on a sound
 * machine.
 */
public final class EngineCheck {

    /** The largest relative error a float32 result may have against the reference. */
    public static final double TOLERANCE = 1e-3;

    /** The system property that makes every check report a simulated fault. */
    public static final String SIMULATE_FAULT_PROPERTY = "org.lowrank4j.engine.simulateFault";

    /** The environment variable that limits the instruction set oneDNN's kernels use. */
    public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    /** The instruction set limit under which libtorch's oneDNN computes correctly. */
    public static final String SAFE_ISA = "SSE41";

    private static final Logger logger = LoggerFactory.getLogger(EngineCheck.class);
    private static final Map<String, EngineHealth> VERIFIED = new ConcurrentHashMap<>();

    /** The convolutions compared: input shape, weight shape, stride, padding, dilation, groups. */
    private static final List<ConvCase> CONVOLUTIONS =
            List.of(
                    conv(shape(2, 30, 12), shape(11, 30, 3), shape(1), shape(0), shape(1), 1),
                    conv(shape(2, 17, 15), shape(9, 17, 3), shape(2), shape(1), shape(2), 1),
                    conv(shape(2, 3, 10, 10), shape(8, 3, 3, 3), ones(), ones(), ones(), 1),
                    conv(
                            shape(2, 20, 9, 11),
                            shape(12, 20, 3, 3),
                            shape(2, 1),
                            shape(1, 0),
                            shape(1, 2),
                            1),
                    conv(shape(2, 24, 8, 8), shape(24, 1, 3, 3), ones(), ones(), ones(), 24),
                    conv(shape(1, 32, 7, 7), shape(16, 32, 3, 3), ones(), shape(0, 0), ones(), 1));

    private static final int[] MATMUL = {33, 47, 29};

    private EngineCheck() {}

    /**
     * Checks an engine on its default device.
     *
     * @param engine the engine
     * @return what the check found
     */
    public static EngineHealth check(Engine engine) {
        Objects.requireNonNull(engine, "engine must not be null");
        try (NDManager manager = engine.newBaseManager()) {
            return check(manager);
        }
    }

    /**
     * Checks the engine and device of a manager; the temporaries live in a sub-manager that is
     * closed before returning.
     *
     * @param manager the manager whose engine and device are checked
     * @return what the check found
     */
    public static EngineHealth check(NDManager manager) {
        Objects.requireNonNull(manager, "manager must not be null");
        if (Boolean.getBoolean(SIMULATE_FAULT_PROPERTY)) {
            logger.warn("Simulating an engine fault ({}=true)", SIMULATE_FAULT_PROPERTY);
            return check(manager, EngineCheck::simulateFault);
        }
        return check(manager, (name, result) -> result);
    }

    /**
     * Checks an engine once per engine and device in this JVM, logs a warning naming the fault and
     * the remedy if it is faulty, and returns the (cached) verdict.
     *
     * @param engine the engine
     * @return what the check found, the first time it ran
     */
    public static EngineHealth verify(Engine engine) {
        Objects.requireNonNull(engine, "engine must not be null");
        String key = engine.getEngineName() + '@' + engine.defaultDevice();
        return VERIFIED.computeIfAbsent(
                key,
                k -> {
                    EngineHealth health = check(engine);
                    if (health.isSound()) {
                        logger.debug("Engine check: {}", health);
                    } else {
                        logger.warn("Engine check: {}", health);
                    }
                    return health;
                });
    }

    /**
     * Checks every engine on the class path and prints the verdicts, one line each.
     *
     * @param args engine names to check instead of all (optional)
     */
    public static void main(String[] args) {
        List<String> names = args.length > 0 ? List.of(args) : List.copyOf(Engine.getAllEngines());
        for (String name : names) {
            System.out.println(check(Engine.getEngine(name)));
        }
    }

    /**
     * Runs the check, passing every engine result through a filter before it is compared (a test
     * uses it to feed the check a wrong result).
     */
    static EngineHealth check(NDManager parent, BiFunction<String, float[], float[]> resultFilter) {
        Engine engine = parent.getEngine();
        List<EngineFault> faults = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(20_261_202L);
        try (NDManager manager = parent.newSubManager()) {
            for (ConvCase c : CONVOLUTIONS) {
                float[] x = uniform(random, c.input.size());
                float[] w = uniform(random, c.weight.size());
                NDArray input = manager.create(x, c.input);
                NDArray weight = manager.create(w, c.weight);
                NDArray out =
                        (c.weight.dimension() == 3
                                        ? Conv1d.conv1d(
                                                input,
                                                weight,
                                                null,
                                                c.stride,
                                                c.padding,
                                                c.dilation,
                                                c.groups)
                                        : Conv2d.conv2d(
                                                input,
                                                weight,
                                                null,
                                                c.stride,
                                                c.padding,
                                                c.dilation,
                                                c.groups))
                                .singletonOrThrow();
                String name = c.toString();
                compare(name, resultFilter.apply(name, out.toFloatArray()), c.reference(x, w))
                        .ifPresent(faults::add);
            }
            int m = MATMUL[0];
            int k = MATMUL[1];
            int n = MATMUL[2];
            float[] a = uniform(random, (long) m * k);
            float[] b = uniform(random, (long) k * n);
            float[] product =
                    manager.create(a, new Shape(m, k))
                            .matMul(manager.create(b, new Shape(k, n)))
                            .toFloatArray();
            String name = String.format(Locale.ROOT, "matMul (%d, %d) x (%d, %d)", m, k, k, n);
            compare(name, resultFilter.apply(name, product), matMul(a, b, m, k, n))
                    .ifPresent(faults::add);
        }
        String isa = System.getenv(ISA_VARIABLE);
        String device = parent.getDevice().toString();
        Map<String, String> environment = Map.of();
        String remedy = "";
        if (!faults.isEmpty()) {
            boolean cpu = !parent.getDevice().isGpu();
            if ("PyTorch".equals(engine.getEngineName()) && cpu && !SAFE_ISA.equals(isa)) {
                environment = Map.of(ISA_VARIABLE, SAFE_ISA);
                remedy =
                        "libtorch's oneDNN computes float32 convolutions wrongly on this CPU;"
                                + " start the JVM with "
                                + ISA_VARIABLE
                                + "="
                                + SAFE_ISA
                                + " in the environment (right results, convolutions about 2.5x"
                                + " slower) or use the MXNet engine";
            } else {
                remedy =
                        "no setting of this engine is known to avoid the fault; use another engine"
                                + " or device, or compute in float64";
            }
        }
        return new EngineHealth(
                engine.getEngineName(),
                engine.getVersion(),
                device,
                CONVOLUTIONS.size() + 1,
                faults,
                isa == null || isa.isEmpty() ? "default" : isa,
                environment,
                remedy);
    }

    /** The fault of a result, if its relative error exceeds the tolerance or it is not finite. */
    static Optional<EngineFault> compare(String name, float[] result, double[] reference) {
        if (result.length != reference.length) {
            return Optional.of(new EngineFault(name + " (wrong size)", Double.NaN));
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = result[i] - reference[i];
            diff += d * d;
            norm += reference[i] * reference[i];
        }
        double error = Math.sqrt(diff / norm);
        if (error <= TOLERANCE) { // false for NaN
            return Optional.empty();
        }
        return Optional.of(new EngineFault(name, error));
    }

    private static float[] simulateFault(String name, float[] result) {
        if (name.equals(CONVOLUTIONS.get(0).toString())) {
            float[] wrong = result.clone();
            for (int i = 0; i < wrong.length; i += 4) {
                wrong[i] *= 0.5f;
            }
            return wrong;
        }
        return result;
    }

    private static double[] matMul(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aip * b[p * n + j];
                }
            }
        }
        return c;
    }

    private static float[] uniform(SplittableRandom random, long size) {
        float[] v = new float[Math.toIntExact(size)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (2 * random.nextDouble() - 1);
        }
        return v;
    }

    private static Shape shape(long... dims) {
        return new Shape(dims);
    }

    /** Stride, padding or dilation 1 along both axes of a 2-D convolution. */
    private static Shape ones() {
        return new Shape(1, 1);
    }

    private static ConvCase conv(
            Shape input, Shape weight, Shape stride, Shape padding, Shape dilation, int groups) {
        return new ConvCase(input, weight, stride, padding, dilation, groups);
    }

    /** One convolution of the check, with its host reference in double precision. */
    private record ConvCase(
            Shape input, Shape weight, Shape stride, Shape padding, Shape dilation, int groups) {

        /** The reference, treating a 1-D convolution as a 2-D one of height 1. */
        double[] reference(float[] x, float[] w) {
            boolean oneD = weight.dimension() == 3;
            int batch = (int) input.get(0);
            int channels = (int) input.get(1);
            int h = oneD ? 1 : (int) input.get(2);
            int wd = (int) input.get(oneD ? 2 : 3);
            int out = (int) weight.get(0);
            int perGroup = (int) weight.get(1);
            int kh = oneD ? 1 : (int) weight.get(2);
            int kw = (int) weight.get(oneD ? 2 : 3);
            int[] s = axes(stride, 1);
            int[] p = axes(padding, 0);
            int[] d = axes(dilation, 1);
            int oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0] + 1;
            int ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1] + 1;
            int outPerGroup = out / groups;
            double[] y = new double[batch * out * oh * ow];
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < out; o++) {
                    int g = o / outPerGroup;
                    for (int i = 0; i < oh; i++) {
                        for (int j = 0; j < ow; j++) {
                            double sum = 0;
                            for (int c = 0; c < perGroup; c++) {
                                int ci = g * perGroup + c;
                                for (int u = 0; u < kh; u++) {
                                    int r = i * s[0] - p[0] + u * d[0];
                                    if (r < 0 || r >= h) {
                                        continue;
                                    }
                                    for (int v = 0; v < kw; v++) {
                                        int col = j * s[1] - p[1] + v * d[1];
                                        if (col < 0 || col >= wd) {
                                            continue;
                                        }
                                        sum +=
                                                (double) x[((b * channels + ci) * h + r) * wd + col]
                                                        * w[((o * perGroup + c) * kh + u) * kw + v];
                                    }
                                }
                            }
                            y[((b * out + o) * oh + i) * ow + j] = sum;
                        }
                    }
                }
            }
            return y;
        }

        /** A setting as two axes: a 1-D convolution's gets {@code height} along the first. */
        private static int[] axes(Shape setting, int height) {
            return setting.dimension() == 1
                    ? new int[] {height, (int) setting.get(0)}
                    : new int[] {(int) setting.get(0), (int) setting.get(1)};
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "conv%dd in %s weight %s stride %s padding %s dilation %s groups %d",
                    weight.dimension() - 2,
                    input,
                    weight,
                    stride,
                    padding,
                    dilation,
                    groups);
        }
    }
}
