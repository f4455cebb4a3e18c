package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;

/**
 * Times data-aware factorization on correlated data and compares the output error of each solver
 * with the closed-form optimum, on the shapes of Composer's reference measurements.
 *
 * <p>Cases: a linear map ({@code X [4096, 512]}, {@code W [512, 512]}, rank 128) and a convolution
 * ({@code X [64, 64, 16, 16]}, {@code W [128, 64, 3, 3]}, padding 1, rank 16). Solvers: the closed
 * form (default), alternating least squares with Composer's default iteration count, and the
 * truncated SVD of the weight (no data). Arguments: {@code --repeats 5}, {@code --out
 * docs/benchmarks}.
 */
public final class DataAwareBenchmark {

    private DataAwareBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     * @throws IOException if the results cannot be written
     */
    public static void main(String[] args) throws IOException {
        boolean asIs = Arrays.asList(args).contains("--engine-as-is");
        if (EngineRemedy.relaunchIfFaulty(DataAwareBenchmark.class, args, asIs)) {
            return;
        }
        args = Arrays.stream(args).filter(x -> !"--engine-as-is".equals(x)).toArray(String[]::new);
        int repeats = 5;
        Path out = Paths.get("docs", "benchmarks");
        for (int i = 0; i + 1 < args.length; i += 2) {
            if ("--repeats".equals(args[i])) {
                repeats = Integer.parseInt(args[i + 1]);
            } else if ("--out".equals(args[i])) {
                out = Paths.get(args[i + 1]);
            } else {
                throw new IllegalArgumentException(
                        "unknown argument "
                                + args[i]
                                + "; accepted: --repeats --out --engine-as-is");
            }
        }
        Engine engine = Engine.getInstance();
        String header =
                "Data-aware factorization on "
                        + engine.getEngineName()
                        + " "
                        + engine.getVersion()
                        + ", "
                        + Runtime.getRuntime().availableProcessors()
                        + " cores, "
                        + BenchmarkSupport.isaSetting()
                        + ", median of "
                        + repeats;
        System.out.println(header);
        List<String> csv = new ArrayList<>();
        csv.add("case,solver,rank,nmse,nmse_over_optimum,median_ms");
        List<String> md = new ArrayList<>();
        md.add("| case | solver | rank | nmse | nmse / optimum | median time (ms) |");
        md.add("|---|---|---|---|---|---|");
        LowRankFit closed = LowRankFit.builder().build();
        LowRankFit als =
                LowRankFit.builder().optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES).build();
        LowRankFit weightSvd =
                LowRankFit.builder()
                        .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                        .optIterations(0)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(1);
            // linear: X = Z M + mu with M's singular values decaying exponentially
            NDArray z = normal(manager, random, 4096, 512);
            NDArray mix =
                    normal(manager, random, 512, 512).mul(decay(manager, 512, 40).reshape(512, 1));
            NDArray x = z.matMul(mix).add(normal(manager, random, 1, 512).mul(3));
            NDArray w = normal(manager, random, 512, 512).div(Math.sqrt(512));
            NDArray b = normal(manager, random, 512);
            NDArray y = x.matMul(w).add(b);
            String linear = "linear X[4096,512] W[512,512]";
            double optimum = closed.fitMatrix(x, y, w, null, b, 128).getNmse();
            row(
                    csv,
                    md,
                    linear,
                    "closed form",
                    128,
                    optimum,
                    repeats,
                    () -> closed.fitMatrix(x, y, w, null, b, 128));
            row(
                    csv,
                    md,
                    linear,
                    "ALS (3 iterations)",
                    128,
                    optimum,
                    repeats,
                    () -> als.fitMatrix(x, y, w, null, b, 128));
            row(
                    csv,
                    md,
                    linear,
                    "SVD of the weight",
                    128,
                    optimum,
                    repeats,
                    () -> weightSvd.fitMatrix(x, y, w, null, b, 128));

            // conv: smooth images (white noise low-passed in space) mixed across channels
            NDArray images = smoothImages(manager, random, 64, 64, 16);
            NDArray kernel = normal(manager, random, 128, 64, 3, 3).div(Math.sqrt(64 * 9));
            NDArray kbias = normal(manager, random, 128);
            Shape one = new Shape(1, 1);
            Shape pad = new Shape(1, 1);
            String conv = "conv X[64,64,16,16] W[128,64,3,3] pad 1";
            double convOptimum =
                    closed.fitConv2d(images, kernel, null, kbias, null, 16, one, pad, one, 1)
                            .getNmse();
            row(
                    csv,
                    md,
                    conv,
                    "closed form",
                    16,
                    convOptimum,
                    repeats,
                    () ->
                            closed.fitConv2d(
                                    images, kernel, null, kbias, null, 16, one, pad, one, 1));
            row(
                    csv,
                    md,
                    conv,
                    "ALS (3 iterations)",
                    16,
                    convOptimum,
                    repeats,
                    () -> als.fitConv2d(images, kernel, null, kbias, null, 16, one, pad, one, 1));
            row(
                    csv,
                    md,
                    conv,
                    "SVD of the weight",
                    16,
                    convOptimum,
                    repeats,
                    () ->
                            weightSvd.fitConv2d(
                                    images, kernel, null, kbias, null, 16, one, pad, one, 1));
        }
        Files.createDirectories(out);
        Files.write(out.resolve("data-aware.csv"), csv);
        List<String> table = new ArrayList<>();
        table.add("<!-- written by DataAwareBenchmark: " + header + " -->");
        table.addAll(md);
        Files.write(out.resolve("data-aware-table.md"), table);
        System.out.println("Wrote " + out.resolve("data-aware.csv"));
    }

    private static void row(
            List<String> csv,
            List<String> md,
            String name,
            String solver,
            int rank,
            double optimum,
            int repeats,
            Supplier<LowRankSolution> run) {
        run.get().close(); // warm-up
        double[] times = new double[repeats];
        double nmse = 0;
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            try (LowRankSolution s = run.get()) {
                times[r] = (System.nanoTime() - start) / 1e6;
                nmse = s.getNmse();
            }
        }
        Arrays.sort(times);
        double median = times[repeats / 2];
        System.out.println(
                String.format(
                        Locale.ROOT,
                        "%-42s %-20s rank %4d  nmse %.5f (%.4f x optimum)  %8.1f ms",
                        name,
                        solver,
                        rank,
                        nmse,
                        nmse / optimum,
                        median));
        csv.add(
                String.format(
                        Locale.ROOT,
                        "\"%s\",%s,%d,%.6f,%.5f,%.1f",
                        name,
                        solver,
                        rank,
                        nmse,
                        nmse / optimum,
                        median));
        md.add(
                String.format(
                        Locale.ROOT,
                        "| %s | %s | %d | %.5f | %.4f | %.1f |",
                        name,
                        solver,
                        rank,
                        nmse,
                        nmse / optimum,
                        median));
    }

    private static NDArray decay(NDManager manager, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.exp(-i / scale);
        }
        return manager.create(v).toType(DataType.FLOAT32, false);
    }

    private static NDArray normal(NDManager manager, Random random, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return manager.create(v, s);
    }

    /** White noise low-passed by a 5×5 box filter per channel, then mixed across channels. */
    private static NDArray smoothImages(
            NDManager manager, Random random, int n, int channels, int size) {
        NDArray noise = normal(manager, random, n, channels, size + 4, size + 4);
        NDArray box = manager.ones(new Shape(channels, 1, 5, 5)).div(25);
        NDArray smooth =
                Conv2d.conv2d(
                                noise,
                                box,
                                null,
                                new Shape(1, 1),
                                new Shape(0, 0),
                                new Shape(1, 1),
                                channels)
                        .singletonOrThrow();
        NDArray mixing =
                normal(manager, random, channels, channels)
                        .mul(decay(manager, channels, 8).reshape(1, channels))
                        .reshape(channels, channels, 1, 1);
        return Conv2d.conv2d(smooth, mixing).singletonOrThrow();
    }
}
