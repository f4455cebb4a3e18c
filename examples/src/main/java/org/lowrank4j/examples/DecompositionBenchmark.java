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
import org.lowrank4j.nn.Rank;
import org.lowrank4j.tensor.FactorizedTensor;

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
                        + " cores, median of "
                        + repeats;
        System.out.println(header);
        List<String> csv = new ArrayList<>();
        csv.add(
                "kernel,method,fraction,realised_rank,parameters,relative_error,median_ms,iterations");
        List<String> md = new ArrayList<>();
        md.add(
                "| kernel | method | fraction | realised rank | parameters | relative error | median time (ms) |");
        md.add("|---|---|---|---|---|---|---|");
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
                    double[] times = new double[repeats];
                    double[] cpu = new double[repeats];
                    Decomposition<? extends FactorizedTensor> last = null;
                    for (int r = 0; r < repeats; r++) {
                        if (last != null) {
                            last.getTensor().close();
                        }
                        long startCpu = THREADS.getCurrentThreadCpuTime();
                        long start = System.nanoTime();
                        last = c.run.apply(kernel);
                        times[r] = (System.nanoTime() - start) / 1e6;
                        cpu[r] = (THREADS.getCurrentThreadCpuTime() - startCpu) / 1e6;
                    }
                    Arrays.sort(times);
                    Arrays.sort(cpu);
                    double median = times[repeats / 2];
                    double medianCpu = cpu[repeats / 2];
                    String rank = Arrays.toString(last.getRank());
                    String line =
                            String.format(
                                    Locale.ROOT,
                                    "%-12s %-20s %-5s %-22s %9d  err %.4f  %9.1f ms wall %9.1f ms cpu  (%d iterations)",
                                    kernelName,
                                    c.method,
                                    c.rank,
                                    rank,
                                    last.getTensor().numParameters(),
                                    last.getRelativeError(),
                                    median,
                                    medianCpu,
                                    last.getIterations());
                    System.out.println(line);
                    csv.add(
                            String.format(
                                    Locale.ROOT,
                                    "%s,%s,%s,\"%s\",%d,%.5f,%.1f,%.1f,%d",
                                    kernelName,
                                    c.method,
                                    c.rank,
                                    rank,
                                    last.getTensor().numParameters(),
                                    last.getRelativeError(),
                                    median,
                                    medianCpu,
                                    last.getIterations()));
                    md.add(
                            String.format(
                                    Locale.ROOT,
                                    "| %s | %s | %s | %s | %d | %.4f | %.1f | %.1f |",
                                    kernelName,
                                    c.method,
                                    c.rank,
                                    rank,
                                    last.getTensor().numParameters(),
                                    last.getRelativeError(),
                                    median,
                                    medianCpu));
                    last.getTensor().close();
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
        System.out.println("Wrote " + out.resolve("decompositions.csv"));
    }

    private static Function<NDArray, Decomposition<? extends FactorizedTensor>> cp(double f) {
        return k -> Parafac.builder().setRank(Rank.fraction(f)).build().fit(k);
    }
}
