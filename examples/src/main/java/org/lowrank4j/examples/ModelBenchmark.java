package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyCache;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.factorize.Budget;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.factorize.RankSelector;
import org.lowrank4j.tensor.Rank;

/**
 * Measures what compressing a whole network buys end to end: for DJL's ResNet-50 and MobileNetV2 at
 * 224×224 (random weights, the engine's seed fixed), the dense model against each method at a few
 * fractions and with a latency budget, at a few batch sizes, in one run: the median latency of the
 * whole forward pass and its ratio to the dense one, parameters, FLOPs, and the relative error of
 * the logits on one random batch.
 *
 * <p>Arguments ({@code name=value}, all optional):
 *
 * <ul>
 *   <li>{@code models=resnet50,mobilenetv2}; {@code size=224}; {@code batches=1,8};
 *   <li>{@code methods=lowrank,TUCKER,TT} (and {@code CP}); {@code fractions=0.5,0.3};
 *   <li>{@code budget=0.5}: a latency budget for the low-rank method ({@code Budget.latency}),
 *       timed at the first batch size of {@code batches}, ranks multiples of 16 (empty: none);
 *   <li>{@code engine=PyTorch} (or MXNet); {@code threads=2} (PyTorch's intra-op threads);
 *   <li>{@code warmup=3 repeats=10}: untimed and timed passes per measurement;
 *   <li>{@code csv=docs/benchmarks/models.csv}: appends one row per configuration.
 * </ul>
 *
 * <p>The factorizer runs with its default {@code optOnlyIfCheaper(true)} and {@code AUTO}
 * implementations, so a layer whose swap would not pay stays dense. Each dense model is run until
 * the process is warm before it is timed (a fresh process's first passes are several times slower),
 * and every variant's logits are computed on the same seeded input.
 */
public final class ModelBenchmark {

    private static final String HEADER =
            "model,batch,method,rank,engine,threads,isa,swapped,params,flops,latency_ms,"
                    + "speedup,logit_error";

    private ModelBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args {@code name=value} arguments, see the class documentation
     * @throws IOException if the CSV file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("models", "resnet50,mobilenetv2");
        a.put("size", "224");
        a.put("batches", "1,8");
        a.put("methods", "lowrank,TUCKER,TT");
        a.put("fractions", "0.5,0.3");
        a.put("budget", "0.5");
        a.put("engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
        a.put("threads", "2");
        a.put("warmup", "3");
        a.put("repeats", "10");
        a.put("csv", "docs/benchmarks/models.csv");
        Map<String, String> p = BenchmarkSupport.parse(a, args);
        BenchmarkSupport.configureEngine(p.get("engine"), p.get("threads"));
        if (BenchmarkSupport.ranWithRemedy(ModelBenchmark.class, p, args)) {
            return;
        }
        long size = Long.parseLong(p.get("size"));
        List<Long> batches = new ArrayList<>();
        for (String b : p.get("batches").split(",")) {
            batches.add(Long.parseLong(b.trim()));
        }
        int warmup = Integer.parseInt(p.get("warmup"));
        int repeats = Integer.parseInt(p.get("repeats"));
        String engine = Engine.getInstance().getEngineName();
        List<String> rows = new ArrayList<>();
        System.out.println(
                "| model | batch | method | rank | swapped | params | FLOPs | ms | speed-up |"
                        + " logit error |");
        System.out.println("|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
        for (String name : BenchmarkSupport.list(p.get("models"), "resnet50,mobilenetv2")) {
            String model = name.toLowerCase(Locale.ROOT);
            List<String[]> variants = new ArrayList<>();
            variants.add(new String[] {"dense", ""});
            for (String m : BenchmarkSupport.list(p.get("methods"), "lowrank,CP,TUCKER,TT")) {
                for (String f : p.get("fractions").split(",")) {
                    variants.add(new String[] {m, f.trim()});
                }
            }
            if (!p.get("budget").isEmpty()) {
                variants.add(new String[] {"LOWRANK", "latency " + p.get("budget")});
            }
            Map<Long, Double> dense = new LinkedHashMap<>();
            Map<Long, float[]> denseLogits = new LinkedHashMap<>();
            for (String[] v : variants) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    Engine.getInstance().setRandomSeed(42);
                    Block net = BenchmarkSupport.imageNetwork(model);
                    Shape first = new Shape(batches.get(0), 3, size, size);
                    net.initialize(manager, DataType.FLOAT32, first);
                    int swapped = 0;
                    if (!"dense".equals(v[0])) {
                        FactorizeReport report =
                                Factorizer.builder()
                                        .setPolicy(policy(v[0], v[1]))
                                        .optInputShapes(first)
                                        .build()
                                        .factorize(net);
                        swapped = report.getSwapped().size();
                    }
                    for (long batch : batches) {
                        Shape in = new Shape(batch, 3, size, size);
                        if ("dense".equals(v[0])) {
                            // the first passes of a fresh process are slow: not the baseline's
                            BenchmarkSupport.warmUp(net, in, warmup, repeats);
                        }
                        // the same input for every variant, whatever the factorizer drew
                        Engine.getInstance().setRandomSeed(7);
                        NDArray x = manager.randomNormal(0, 1, in, DataType.FLOAT32);
                        float[] logits =
                                net.forward(
                                                new ParameterStore(manager, false),
                                                new NDList(x),
                                                false)
                                        .singletonOrThrow()
                                        .toFloatArray();
                        double ms = BenchmarkSupport.measure(net, in, warmup, repeats);
                        if ("dense".equals(v[0])) {
                            dense.put(batch, ms);
                            denseLogits.put(batch, logits);
                        }
                        BlockCost cost = CostCounter.count(net, in);
                        double error = relativeError(logits, denseLogits.get(batch));
                        double speedup = dense.get(batch) / ms;
                        String rank = v[1].isEmpty() ? "" : v[1];
                        System.out.printf(
                                Locale.ROOT,
                                "| %s | %d | %s | %s | %d | %,d | %,d | %.1f | %.2fx | %.4f |%n",
                                model,
                                batch,
                                v[0],
                                rank,
                                swapped,
                                cost.getParameters(),
                                cost.getFlops(),
                                ms,
                                speedup,
                                error);
                        rows.add(
                                String.format(
                                        Locale.ROOT,
                                        "%s,%d,%s,%s,%s,%s,%s,%d,%d,%d,%.2f,%.3f,%.5f",
                                        model,
                                        batch,
                                        v[0],
                                        rank,
                                        engine,
                                        p.get("threads"),
                                        BenchmarkSupport.isaSetting(),
                                        swapped,
                                        cost.getParameters(),
                                        cost.getFlops(),
                                        ms,
                                        speedup,
                                        error));
                    }
                }
            }
        }
        if (!p.get("csv").isEmpty()) {
            BenchmarkSupport.appendCsv(p.get("csv"), HEADER, rows);
        }
    }

    private static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (double) (a[i] - b[i]);
            den += b[i] * (double) b[i];
        }
        return Math.sqrt(num / den);
    }

    private static FactorizePolicy policy(String method, String rank) {
        FactorizePolicy.Builder b = BenchmarkSupport.methodPolicy(method);
        if (rank.startsWith("latency ")) {
            double fraction = Double.parseDouble(rank.substring("latency ".length()));
            LatencyMeter budgetMeter =
                    LatencyMeter.builder()
                            .optWarmup(1)
                            .optRepeats(3)
                            .optCache(new LatencyCache())
                            .build();
            b.setRank(RankSelector.budget(Budget.latency(fraction, budgetMeter)).multipleOf(16));
        } else {
            b.setRank(Rank.fraction(Double.parseDouble(rank)));
        }
        return b.build();
    }
}
