package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.decompose.TensorTrain;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;

/**
 * Times the decompositions on convolution kernels with a decaying spectrum and prints, per
 * configuration, the median time over the repeats, the relative error and the realised rank.
 *
 * <p>Both the wall time and the CPU time of the calling thread are reported. With one native thread
 * ({@code OMP_NUM_THREADS=1}) PyTorch runs every operation on the calling thread, so its CPU time
 * is the work done, unaffected by other processes on a shared machine.
 *
 * <p>Arguments (all optional): {@code --sizes 256,64}, {@code --repeats 3}, {@code --decay 20},
 * {@code --out docs/benchmarks}. Writes {@code decompositions.csv} and {@code decompositions.md}
 * into the output folder.
 */
public final class DecompositionBenchmark {

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** TensorLy 0.9.0's relative error on such kernels at CP rank 0.25 (both sizes). */
    private static final double TENSORLY_CP_ERROR = 0.060;

    private DecompositionBenchmark() {}

    /** One configuration: a name, a rank label and how to run it on a kernel. */
    private static final class Case {
        final String method;
        final String rank;
        final Function<NDArray, Decomposition<? extends FactorizedTensor>> run;

        Case(
                String method,
                String rank,
                Function<NDArray, Decomposition<? extends FactorizedTensor>> run) {
            this.method = method;
            this.rank = rank;
            this.run = run;
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     * @throws IOException if the results cannot be written
     */
    public static void main(String[] args) throws IOException {
        boolean asIs = Arrays.asList(args).contains("--engine-as-is");
        if (EngineRemedy.relaunchIfFaulty(DecompositionBenchmark.class, args, asIs)) {
            return;
        }
        args = Arrays.stream(args).filter(x -> !"--engine-as-is".equals(x)).toArray(String[]::new);
        int[] sizes = {256, 64};
        int repeats = 3;
        double decay = 20;
        Path out = Paths.get("docs", "benchmarks");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--sizes":
                    sizes =
                            Arrays.stream(args[i + 1].split(","))
                                    .mapToInt(Integer::parseInt)
                                    .toArray();
                    break;
                case "--repeats":
                    repeats = Integer.parseInt(args[i + 1]);
                    break;
                case "--decay":
                    decay = Double.parseDouble(args[i + 1]);
                    break;
                case "--out":
                    out = Paths.get(args[i + 1]);
                    break;
                default:
                    throw new IllegalArgumentException(
                            "unknown argument "
                                    + args[i]
                                    + "; accepted: --sizes --repeats --decay --out");
            }
        }
        List<Case> cases =
                List.of(
                        new Case("CP (ALS, SVD init)", "0.25", cp(0.25)),
                        new Case("CP (ALS, SVD init)", "0.1", cp(0.1)),
                        new Case(
                                "Tucker-2 (HOOI)",
                                "0.25",
                                k ->
                                        Tucker.builder()
                                                .setRank(Rank.fraction(0.25))
                                                .optFixedModes(2, 3)
                                                .build()
                                                .fit(k)),
                        new Case(
                                "TT (TT-SVD)",
                                "0.25",
                                k ->
                                        TensorTrain.builder()
                                                .setRank(Rank.fraction(0.25))
                                                .build()
                                                .fit(k.transpose(1, 2, 3, 0))));
        Engine engine = Engine.getInstance();
        String header =
                "Decompositions on "
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
        csv.add(
                "kernel,method,fraction,realised_rank,parameters,relative_error,median_wall_ms,"
                        + "median_thread_cpu_ms,iterations");
        List<String> md = new ArrayList<>();
        md.add(
                "| kernel | method | fraction | realised rank | parameters | relative error |"
                        + " iterations | median wall time (ms) | median thread CPU time (ms) |");
        md.add("|---|---|---|---|---|---|---|---|---|");
        try (NDManager manager = NDManager.newBaseManager()) {
            // warm-up: every method once on a small kernel
            NDArray small = SyntheticKernels.decayingKernel(manager, 16, 16, 3, decay, 7);
            for (Case c : cases) {
                c.run.apply(small).getTensor().close();
            }
            for (int size : sizes) {
                NDArray kernel = SyntheticKernels.decayingKernel(manager, size, size, 3, decay, 1);
                String kernelName = size + "x" + size + "x3x3";
                for (Case c : cases) {
                    Timed t = time(c.run, kernel, repeats);
                    report(csv, md, kernelName, c.method, c.rank, t);
                    if (c.method.startsWith("CP") && "0.25".equals(c.rank)) {
                        // the fewest sweeps that reach TensorLy's reported error on such kernels
                        int sweeps = sweepsToReach(t.result.getErrors(), TENSORLY_CP_ERROR);
                        if (sweeps > 0) {
                            Timed early =
                                    time(
                                            k ->
                                                    Parafac.builder()
                                                            .setRank(Rank.fraction(0.25))
                                                            .optMaxIterations(sweeps)
                                                            .build()
                                                            .fit(k),
                                            kernel,
                                            repeats);
                            report(
                                    csv,
                                    md,
                                    kernelName,
                                    "CP (ALS, SVD init), stopped at error " + TENSORLY_CP_ERROR,
                                    c.rank,
                                    early);
                            early.result.getTensor().close();
                        }
                    }
                    t.result.getTensor().close();
                }
                kernel.close();
            }
        }
        Files.createDirectories(out);
        Files.write(out.resolve("decompositions.csv"), csv);
        List<String> table = new ArrayList<>();
        table.add("<!-- written by DecompositionBenchmark: " + header + " -->");
        table.addAll(md);
        Files.write(out.resolve("decompositions-table.md"), table);
        chart(CHART_ROWS, out.resolve("decompositions.png"));
        System.out.println("Wrote " + out.resolve("decompositions.csv"));
    }

    /** Medians of repeated runs and the last result. */
    private static final class Timed {
        double wall;
        double cpu;
        Decomposition<? extends FactorizedTensor> result;
    }

    private static Timed time(
            Function<NDArray, Decomposition<? extends FactorizedTensor>> run,
            NDArray kernel,
            int repeats) {
        double[] times = new double[repeats];
        double[] cpu = new double[repeats];
        Timed t = new Timed();
        for (int r = 0; r < repeats; r++) {
            if (t.result != null) {
                t.result.getTensor().close();
            }
            long startCpu = THREADS.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            t.result = run.apply(kernel);
            times[r] = (System.nanoTime() - start) / 1e6;
            cpu[r] = (THREADS.getCurrentThreadCpuTime() - startCpu) / 1e6;
        }
        Arrays.sort(times);
        Arrays.sort(cpu);
        t.wall = times[repeats / 2];
        t.cpu = cpu[repeats / 2];
        return t;
    }

    /** TensorLy 0.9.0 times reported for the same kinds of kernel, in ms (issue reference). */
    private static final java.util.Map<String, Double> TENSORLY_MS =
            java.util.Map.of(
                    "256x256x3x3 CP (ALS, SVD init) 0.25", 67000.0,
                    "64x64x3x3 CP (ALS, SVD init) 0.25", 2500.0,
                    "256x256x3x3 Tucker-2 (HOOI) 0.25", 830.0,
                    "256x256x3x3 TT (TT-SVD) 0.25", 360.0);

    private static final List<String[]> CHART_ROWS = new ArrayList<>();

    /** Bar chart of this run's speed-up over TensorLy's reported times. */
    private static void chart(List<String[]> rows, Path file) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        List<Double> theirs = new ArrayList<>();
        for (String[] row : rows) {
            String key = row[0] + " " + row[1] + " " + row[2];
            Double reference = TENSORLY_MS.get(key);
            if (reference == null && row[1].contains("stopped")) {
                reference = TENSORLY_MS.get(row[0] + " CP (ALS, SVD init) 0.25");
            }
            if (reference == null) {
                continue;
            }
            names.add(row[0].replace("x3x3", "") + " " + row[1].replace(" (ALS, SVD init)", ""));
            ours.add(Double.parseDouble(row[3]));
            theirs.add(reference);
        }
        org.knowm.xchart.CategoryChart chart =
                new org.knowm.xchart.CategoryChartBuilder()
                        .width(1000)
                        .height(500)
                        .title(
                                "Speed-up over TensorLy 0.9.0 (its reported time / this run's median)")
                        .yAxisTitle("times faster")
                        .build();
        chart.getStyler().setXAxisLabelRotation(20);
        chart.getStyler().setLegendVisible(false);
        List<Double> speedUp = new ArrayList<>();
        for (int i = 0; i < ours.size(); i++) {
            speedUp.add(theirs.get(i) / ours.get(i));
        }
        chart.addSeries("speed-up", names, speedUp);
        org.knowm.xchart.BitmapEncoder.saveBitmap(
                chart, file.toString(), org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG);
    }

    private static int sweepsToReach(List<Double> errors, double target) {
        for (int i = 0; i < errors.size(); i++) {
            if (errors.get(i) <= target) {
                return i + 1;
            }
        }
        return -1;
    }

    private static void report(
            List<String> csv, List<String> md, String kernel, String method, String rank, Timed t) {
        Decomposition<? extends FactorizedTensor> d = t.result;
        CHART_ROWS.add(new String[] {kernel, method, rank, Double.toString(t.wall)});
        String realised = Arrays.toString(d.getRank());
        long params = d.getTensor().numParameters();
        System.out.println(
                String.format(
                        Locale.ROOT,
                        "%-12s %-44s %-5s %-22s %9d  err %.4f  %9.1f ms wall %9.1f ms cpu  (%d"
                                + " iterations)",
                        kernel,
                        method,
                        rank,
                        realised,
                        params,
                        d.getRelativeError(),
                        t.wall,
                        t.cpu,
                        d.getIterations()));
        csv.add(
                String.format(
                        Locale.ROOT,
                        "%s,\"%s\",%s,\"%s\",%d,%.5f,%.1f,%.1f,%d",
                        kernel,
                        method,
                        rank,
                        realised,
                        params,
                        d.getRelativeError(),
                        t.wall,
                        t.cpu,
                        d.getIterations()));
        md.add(
                String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %s | %d | %.4f | %d | %.1f | %.1f |",
                        kernel,
                        method,
                        rank,
                        realised,
                        params,
                        d.getRelativeError(),
                        d.getIterations(),
                        t.wall,
                        t.cpu));
    }

    private static Function<NDArray, Decomposition<? extends FactorizedTensor>> cp(double f) {
        return k -> Parafac.builder().setRank(Rank.fraction(f)).build().fit(k);
    }
}
