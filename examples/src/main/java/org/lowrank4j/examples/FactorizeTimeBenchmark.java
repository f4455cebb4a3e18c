package org.lowrank4j.examples;

import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.tensor.Rank;

/**
 * Times the factorizer on whole networks: how long swapping every layer of a ResNet-50 or a
 * MobileNetV2 (random weights) or one layer of the MNIST MLP takes, per method, with the weight
 * errors it reaches.
 *
 * <p>Arguments ({@code name=value}, all optional):
 *
 * <ul>
 *   <li>{@code models=resnet50,mlp}: {@code resnet50} and {@code mobilenetv2} at {@code
 *       size}×{@code size} (every convolution and the classifier), {@code mlp} (DJL's {@code
 *       Mlp(784, 10, {128, 64})}, its first layer only);
 *   <li>{@code methods=lowrank,CP,TUCKER,TT}; {@code rank=0.3} (a fraction of the dense
 *       parameters);
 *   <li>{@code size=224}; {@code engine=PyTorch} (or MXNet); {@code threads=2} (PyTorch's intra-op
 *       threads);
 *   <li>{@code warmup=1 repeats=3}: untimed and timed runs of each configuration (a fresh network
 *       each time, the same weights: the engine's seed is fixed), reported by their median;
 *   <li>{@code csv=docs/benchmarks/factorize-time.csv}: appends one row per configuration.
 * </ul>
 */
public final class FactorizeTimeBenchmark {

    private static final String HEADER =
            "model,method,rank,engine,threads,isa,layers,swapped,median_s,min_s,"
                    + "mean_weight_error,max_weight_error";

    private FactorizeTimeBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args {@code name=value} arguments, see the class documentation
     * @throws IOException if the CSV file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("models", "resnet50,mlp");
        a.put("methods", "lowrank,CP,TUCKER,TT");
        a.put("rank", "0.3");
        a.put("size", "224");
        a.put("engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
        a.put("threads", "2");
        a.put("warmup", "1");
        a.put("repeats", "3");
        a.put("csv", "docs/benchmarks/factorize-time.csv");
        Map<String, String> p = BenchmarkSupport.parse(a, args);
        BenchmarkSupport.configureEngine(p.get("engine"), p.get("threads"));
        if (BenchmarkSupport.ranWithRemedy(FactorizeTimeBenchmark.class, p, args)) {
            return;
        }
        long size = Long.parseLong(p.get("size"));
        double fraction = Double.parseDouble(p.get("rank"));
        int warmup = Integer.parseInt(p.get("warmup"));
        int repeats = Integer.parseInt(p.get("repeats"));
        String engine = Engine.getInstance().getEngineName();
        List<String> rows = new ArrayList<>();
        System.out.println(
                "| model | method | rank | swapped | median (s) | mean / max weight error |");
        System.out.println("|---|---|---|---|---:|---|");
        for (String name : BenchmarkSupport.list(p.get("models"), "resnet50,mobilenetv2,mlp")) {
            String model = name.toLowerCase(Locale.ROOT);
            for (String method : BenchmarkSupport.list(p.get("methods"), "lowrank,CP,TUCKER,TT")) {
                double[] seconds = new double[repeats];
                FactorizeReport report = null;
                for (int run = -warmup; run < repeats; run++) {
                    try (NDManager manager = NDManager.newBaseManager()) {
                        Engine.getInstance().setRandomSeed(42);
                        Shape input = inputShape(model, size);
                        Block net = network(model);
                        net.initialize(manager, DataType.FLOAT32, input);
                        Factorizer factorizer =
                                Factorizer.builder()
                                        .setPolicy(policy(model, method, fraction))
                                        .build();
                        long start = System.nanoTime();
                        report = factorizer.factorize(net);
                        double s = (System.nanoTime() - start) / 1e9;
                        if (run >= 0) {
                            seconds[run] = s;
                        }
                    }
                }
                double mean = 0;
                double max = 0;
                for (FactorizeReport.Layer l : report.getSwapped()) {
                    mean += l.getWeightError() / report.getSwapped().size();
                    max = Math.max(max, l.getWeightError());
                }
                double median = BenchmarkSupport.median(seconds);
                double min = java.util.Arrays.stream(seconds).min().orElse(Double.NaN);
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %s | %s | %d of %d | %.1f | %.4f / %.4f |%n",
                        model,
                        method,
                        p.get("rank"),
                        report.getSwapped().size(),
                        report.getLayers().size(),
                        median,
                        mean,
                        max);
                rows.add(
                        String.format(
                                Locale.ROOT,
                                "%s,%s,%s,%s,%s,%s,%d,%d,%.2f,%.2f,%.5f,%.5f",
                                model,
                                method,
                                p.get("rank"),
                                engine,
                                p.get("threads"),
                                BenchmarkSupport.isaSetting(),
                                report.getLayers().size(),
                                report.getSwapped().size(),
                                median,
                                min,
                                mean,
                                max));
            }
        }
        if (!p.get("csv").isEmpty()) {
            BenchmarkSupport.appendCsv(p.get("csv"), HEADER, rows);
        }
    }

    private static Shape inputShape(String model, long size) {
        return "mlp".equals(model) ? new Shape(1, 784) : new Shape(1, 3, size, size);
    }

    private static Block network(String model) {
        return "mlp".equals(model)
                ? new Mlp(784, 10, new int[] {128, 64})
                : BenchmarkSupport.imageNetwork(model);
    }

    private static FactorizePolicy policy(String model, String method, double fraction) {
        FactorizePolicy.Builder b =
                BenchmarkSupport.methodPolicy(method)
                        .setRank(Rank.fraction(fraction))
                        .optSkipFirst(false)
                        .optSkipLast(false)
                        .optOnlyIfCheaper(false);
        if ("mlp".equals(model)) {
            b.optLayerTypes(Linear.class).optPathFilter(path -> path.equals("02Linear"));
        }
        return b.build();
    }
}
