package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Times factorized convolutions against the dense convolution they replace, in the same run.
 *
 * <p>Arguments ({@code name=value}, all optional):
 *
 * <ul>
 *   <li>{@code in=64 out=64 kernel=3}: the layer; {@code input=8,64,32,32}: the input shape (its
 *       length fixes the order, 1 to 3 spatial dimensions; padding keeps the size);
 *   <li>{@code factorization=CP,TUCKER,TT} and {@code implementation=FACTORIZED,RECONSTRUCTED,
 *       MOBILENET,AUTO}: comma-separated lists ({@code all} for every value);
 *   <li>{@code rank=0.5}: a fraction of the dense parameters, or an integer rank;
 *   <li>{@code engine=PyTorch} (or MXNet); {@code threads=1}: PyTorch's intra-op threads (MXNet
 *       takes its threads from the {@code OMP_NUM_THREADS} environment variable);
 *   <li>{@code AUTO} runs twice: with the cost model's pick, and after {@code FactorizedConv.tune}
 *       measured the implementations ("tuned");
 *   <li>{@code warmup=5 repeats=20}: passes before timing, and timed passes of each variant (the
 *       variants run round-robin in a new random order every round, so drifts of the machine and
 *       the caches a pass inherits from the one before hit all of them alike);
 *   <li>{@code clock=auto}: {@code cpu} (the calling thread's CPU time, which leaves out the time
 *       spent waiting for a core on a shared machine; right for PyTorch with one thread, which
 *       computes on the calling thread) or {@code wall}; {@code auto} is {@code cpu} for PyTorch
 *       with one thread and {@code wall} otherwise;
 *   <li>{@code shuffle=true}: {@code false} runs the variants in the same order every round (with
 *       one format and implementation, the dense convolution and the block alternate);
 *   <li>{@code csv=docs/benchmarks/convolutions.csv}: appends one row per variant.
 * </ul>
 *
 * <p>It prints the median milliseconds per forward pass (inference) and the ratio to the dense
 * convolution measured in the same run; a second dense convolution with its own copy of the kernel
 * shows how far two identical passes differ in that run.
 */
public final class ConvBenchmark {

    private ConvBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args {@code name=value} arguments, see the class documentation
     * @throws IOException if the CSV file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("in", "64");
        a.put("out", "64");
        a.put("kernel", "3");
        a.put("input", "8,64,32,32");
        a.put("factorization", "all");
        a.put("implementation", "all");
        a.put("rank", "0.5");
        a.put("engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
        a.put("threads", "1");
        a.put("warmup", "5");
        a.put("repeats", "20");
        a.put("csv", "");
        a.put("clock", "auto");
        a.put("shuffle", "true");
        BenchmarkSupport.parse(a, args);
        String threads = a.get("threads");
        BenchmarkSupport.configureEngine(a.get("engine"), threads);
        if (BenchmarkSupport.ranWithRemedy(ConvBenchmark.class, a, args)) {
            return;
        }
        int in = Integer.parseInt(a.get("in"));
        int out = Integer.parseInt(a.get("out"));
        int k = Integer.parseInt(a.get("kernel"));
        long[] input =
                Arrays.stream(a.get("input").split(",")).mapToLong(Long::parseLong).toArray();
        Shape inputShape = new Shape(input);
        int order = input.length - 2;
        String rankText = a.get("rank");
        Rank rank =
                rankText.contains(".")
                        ? Rank.fraction(Double.parseDouble(rankText))
                        : Rank.of(Integer.parseInt(rankText));
        List<Factorization> factorizations = new ArrayList<>();
        for (String f : BenchmarkSupport.list(a.get("factorization"), "CP,TUCKER,TT")) {
            factorizations.add(Factorization.valueOf(f));
        }
        List<ConvImplementation> implementations = new ArrayList<>();
        for (String i :
                BenchmarkSupport.list(
                        a.get("implementation"), "FACTORIZED,RECONSTRUCTED,MOBILENET,AUTO")) {
            implementations.add(ConvImplementation.valueOf(i));
        }
        int warmup = Integer.parseInt(a.get("warmup"));
        int repeats = Integer.parseInt(a.get("repeats"));

        Engine engine = Engine.getInstance();
        LongSupplier clock =
                BenchmarkSupport.clock(a.get("clock"), engine.getEngineName(), threads);
        String config =
                String.format(
                        Locale.ROOT,
                        "Conv%dd(%d,%d,%d) on %s, rank %s, %s %s, %s thread(s), %s time, %s",
                        order,
                        in,
                        out,
                        k,
                        inputShape,
                        rankText,
                        engine.getEngineName(),
                        engine.getVersion(),
                        threads,
                        BenchmarkSupport.clockName(a.get("clock"), engine.getEngineName(), threads),
                        BenchmarkSupport.isaSetting());
        System.out.println(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape padding = filled(order, k / 2);
            Shape ones = filled(order, 1);
            NDArray x = manager.randomNormal(inputShape);
            long[] kernelShape = new long[order + 2];
            Arrays.fill(kernelShape, k);
            kernelShape[0] = out;
            kernelShape[1] = in;
            NDArray dense = manager.randomNormal(new Shape(kernelShape)).mul(0.05);
            NDArray bias = manager.zeros(new Shape(out));
            List<String> names = new ArrayList<>();
            List<Runnable> passes = new ArrayList<>();
            List<String> chosen = new ArrayList<>();
            // the dense convolution, and the same with its own copy of the kernel: how far two
            // identical passes differ in this run
            for (NDArray kernel : List.of(dense, dense.duplicate())) {
                names.add(kernel == dense ? "dense" : "dense (copy)");
                chosen.add("");
                passes.add(
                        () -> {
                            try (NDList y = conv(x, kernel, bias, ones, padding)) {
                                LatencyMeter.awaitResult(y.head());
                            }
                        });
            }
            ParameterStore ps = new ParameterStore(manager, false);
            for (Factorization f : factorizations) {
                for (ConvImplementation impl : implementations) {
                    if (impl == ConvImplementation.MOBILENET && f != Factorization.CP) {
                        continue;
                    }
                    for (boolean tuned :
                            impl == ConvImplementation.AUTO
                                    ? new boolean[] {false, true}
                                    : new boolean[] {false}) {
                        FactorizedConv<?> block =
                                FactorizedConv.builder()
                                        .setInChannels(in)
                                        .setOutChannels(out)
                                        .setKernelShape(filled(order, k))
                                        .setFactorization(f)
                                        .setRank(rank)
                                        .optPadding(padding)
                                        .optImplementation(impl)
                                        .optSeed(1)
                                        .build();
                        block.initialize(manager, DataType.FLOAT32, inputShape);
                        if (tuned) {
                            block.tune(manager, inputShape, 2, 5);
                        }
                        names.add(f + " " + impl + (tuned ? " (tuned)" : ""));
                        chosen.add(
                                impl == ConvImplementation.AUTO
                                        ? block.chooseImplementation(inputShape, false).toString()
                                        : "");
                        passes.add(
                                () -> {
                                    try (NDList y = block.forward(ps, new NDList(x), false)) {
                                        LatencyMeter.awaitResult(y.head());
                                    }
                                });
                    }
                }
            }
            double[][] times =
                    BenchmarkSupport.roundRobin(
                            passes,
                            warmup,
                            repeats,
                            clock,
                            Boolean.parseBoolean(a.get("shuffle")) ? new Random(7) : null);
            double denseMs = BenchmarkSupport.median(times[0]);
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "%-26s %10s %10s  %s",
                            "variant",
                            "median ms",
                            "vs dense",
                            ""));
            List<String> rows = new ArrayList<>();
            for (int p = 0; p < passes.size(); p++) {
                double ms = BenchmarkSupport.median(times[p]);
                System.out.println(
                        String.format(
                                Locale.ROOT,
                                "%-26s %10.3f %9.2fx  %s",
                                names.get(p),
                                ms,
                                ms / denseMs,
                                chosen.get(p).isEmpty() ? "" : "(picks " + chosen.get(p) + ")"));
                rows.add(
                        String.join(
                                ",",
                                "Conv" + order + "d(" + in + " " + out + " " + k + ")",
                                inputShape
                                        .toString()
                                        .replace(", ", "x")
                                        .replace("(", "")
                                        .replace(")", ""),
                                rankText,
                                engine.getEngineName(),
                                threads,
                                names.get(p),
                                chosen.get(p),
                                String.format(Locale.ROOT, "%.3f", ms),
                                String.format(Locale.ROOT, "%.3f", ms / denseMs)));
            }
            String csv = a.get("csv");
            if (!csv.isEmpty()) {
                BenchmarkSupport.appendCsv(
                        csv,
                        "layer,input,rank,engine,threads,variant,auto_choice,median_ms,ratio_to_dense",
                        rows);
            }
        }
    }

    private static NDList conv(NDArray x, NDArray w, NDArray b, Shape ones, Shape padding) {
        int order = x.getShape().dimension() - 2;
        if (order == 3) {
            return Conv3d.conv3d(x, w, b, ones, padding, ones, 1);
        }
        if (order == 2) {
            return Conv2d.conv2d(x, w, b, ones, padding, ones, 1);
        }
        return ai.djl.nn.convolutional.Conv1d.conv1d(x, w, b, ones, padding, ones, 1);
    }

    private static Shape filled(int n, long value) {
        long[] v = new long[n];
        Arrays.fill(v, value);
        return new Shape(v);
    }
}
