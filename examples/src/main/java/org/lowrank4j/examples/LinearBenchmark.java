package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.cost.TemporaryMemory;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/**
 * Times tensorized linear layers against the dense layer in the same run, and measures the peak
 * memory of their temporaries.
 *
 * <p>Arguments ({@code name=value}, all optional):
 *
 * <ul>
 *   <li>{@code sizes=256x256x32,1024x1024x64}: layers as {@code in x out x batch};
 *   <li>{@code factorization=CP,TUCKER,TT} (or {@code all}) and {@code rank=0.5,0.25,0.1}
 *       (fractions of the dense parameters); the tensorized shapes are {@code Tensorize.shapes(in,
 *       out, 3)};
 *   <li>{@code engine=PyTorch} (or MXNet); {@code threads=1}: PyTorch's intra-op threads (MXNet
 *       takes its threads from the {@code OMP_NUM_THREADS} environment variable);
 *   <li>{@code clock=auto}: {@code cpu} (the thread's CPU time, robust on a shared machine, for
 *       engines that compute on the calling thread, as PyTorch with one thread does), {@code wall},
 *       or {@code auto} (cpu on PyTorch with one thread, wall otherwise);
 *   <li>{@code warmup=3 repeats=101,31}: untimed rounds, and timed rounds (one count for every
 *       size, or one per size: small layers need more to average out a noisy machine); the variants
 *       of one layer size run round-robin, so that drifts of the machine hit all of them alike, in
 *       a new random order every round, so that no variant always follows the same one;
 *   <li>{@code csv=docs/benchmarks/linear.csv}: appends one row per configuration (empty: none).
 * </ul>
 *
 * <p>Variants: the dense {@code Linear}; FACTORIZED; RECONSTRUCTED in inference (the cached weight,
 * dense speed); RECONSTRUCTED rebuilding the weight on every call (a training pass); AUTO with the
 * cost model's choice; AUTO after {@link FactorizedLinear#tune} ("tuned", 15 passes of each
 * implementation timed with the benchmark's clock). Peak temporaries are measured with {@link
 * TemporaryMemory} for one factorized pass, one rebuilding pass and the first reconstructed
 * inference pass (which builds the cache), as multiples of the dense weight's bytes.
 */
public final class LinearBenchmark {

    private static final String HEADER =
            "in,out,batch,engine,threads,clock,factorization,rank,params,dense_ms,factorized_ms,"
                    + "reconstructed_ms,rebuilt_ms,auto_ms,auto_choice,tuned_ms,tuned_choice,"
                    + "model_prefers_factorized,peak_factorized,peak_rebuilt,peak_cache_build";

    private LinearBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args {@code name=value} arguments, see the class documentation
     * @throws IOException if the CSV file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("sizes", "256x256x32,1024x1024x64");
        a.put("factorization", "all");
        a.put("rank", "0.5,0.25,0.1");
        a.put("engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
        a.put("threads", "1");
        a.put("clock", "auto");
        a.put("warmup", "3");
        a.put("repeats", "101,31");
        a.put("csv", "docs/benchmarks/linear.csv");
        BenchmarkSupport.parse(a, args);
        String threads = a.get("threads");
        BenchmarkSupport.configureEngine(a.get("engine"), threads);
        if (BenchmarkSupport.ranWithRemedy(LinearBenchmark.class, a, args)) {
            return;
        }
        List<Factorization> factorizations = new ArrayList<>();
        for (String f : BenchmarkSupport.list(a.get("factorization"), "CP,TUCKER,TT")) {
            factorizations.add(Factorization.valueOf(f));
        }
        int warmup = Integer.parseInt(a.get("warmup"));
        String[] repeatCounts = a.get("repeats").split(",");
        Engine engine = Engine.getInstance();
        String engineName = engine.getEngineName();
        LongSupplier clock = BenchmarkSupport.clock(a.get("clock"), engineName, threads);
        String clockName = BenchmarkSupport.clockName(a.get("clock"), engineName, threads);
        System.out.printf(
                Locale.ROOT,
                "%s %s, %s thread(s), OMP_NUM_THREADS=%s, %s, %s time, median of %s rounds%n",
                engineName,
                engine.getVersion(),
                threads,
                System.getenv("OMP_NUM_THREADS"),
                BenchmarkSupport.isaSetting(),
                clockName,
                a.get("repeats"));
        System.out.printf(
                Locale.ROOT,
                "%-22s %-6s %-4s %7s | %8s %9s %9s %9s %11s %11s | %6s %6s %6s%n",
                "layer",
                "format",
                "rank",
                "params",
                "dense",
                "factorized",
                "cached",
                "rebuilt",
                "AUTO",
                "tuned",
                "peakF",
                "peakRb",
                "peakC");
        List<String> rows = new ArrayList<>();
        String[] sizes = a.get("sizes").split(",");
        for (int i = 0; i < sizes.length; i++) {
            String[] d = sizes[i].split("x");
            int repeats = Integer.parseInt(repeatCounts[Math.min(i, repeatCounts.length - 1)]);
            long in = Long.parseLong(d[0]);
            long out = Long.parseLong(d[1]);
            long batch = Long.parseLong(d[2]);
            try (NDManager manager = NDManager.newBaseManager()) {
                rows.addAll(
                        runSize(
                                manager,
                                in,
                                out,
                                batch,
                                factorizations,
                                a.get("rank").split(","),
                                warmup,
                                repeats,
                                clock,
                                engineName + "," + threads + "," + clockName));
            }
        }
        if (!a.get("csv").isEmpty()) {
            BenchmarkSupport.appendCsv(a.get("csv"), HEADER, rows);
        }
    }

    /** One configuration: its blocks, and the indices of its timed passes. */
    private static final class Config {
        Factorization format;
        String rank;
        FactorizedLinear switched;
        FactorizedLinear rebuilt;
        FactorizedLinear tuned;
        int first;
        double[] peaks = new double[3];
    }

    private static List<String> runSize(
            NDManager manager,
            long in,
            long out,
            long batch,
            List<Factorization> factorizations,
            String[] ranks,
            int warmup,
            int repeats,
            LongSupplier clock,
            String setting) {
        Shape inputShape = new Shape(batch, in);
        // tune times with the benchmark's clock
        LatencyMeter meter =
                LatencyMeter.builder().optWarmup(warmup).optRepeats(15).optClock(clock).build();
        NDArray x = manager.randomNormal(inputShape);
        ParameterStore ps = new ParameterStore(manager, false);
        Linear dense = Linear.builder().setUnits(out).build();
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        List<Runnable> passes = new ArrayList<>();
        passes.add(() -> run(dense, ps, x, false));
        Pair<Shape, Shape> shapes = Tensorize.shapes(in, out, 3);
        double denseBytes = 4.0 * in * out;
        List<Config> configs = new ArrayList<>();
        for (Factorization f : factorizations) {
            for (String rank : ranks) {
                Config c = new Config();
                c.format = f;
                c.rank = rank;
                c.switched = layer(manager, shapes, f, rank);
                c.rebuilt = layer(manager, shapes, f, rank);
                c.tuned = layer(manager, shapes, f, rank);
                // peaks first, on fresh blocks: the cached weight is built by the third pass
                c.switched.setImplementation(ConvImplementation.FACTORIZED);
                c.peaks[0] = peak(c.switched, x, false) / denseBytes;
                c.rebuilt.setImplementation(ConvImplementation.RECONSTRUCTED);
                c.peaks[1] = peak(c.rebuilt, x, true) / denseBytes;
                c.switched.setImplementation(ConvImplementation.RECONSTRUCTED);
                c.peaks[2] = peak(c.switched, x, false) / denseBytes;
                c.tuned.tune(manager, inputShape, meter);
                c.first = passes.size();
                FactorizedLinear s = c.switched;
                passes.add(() -> runWith(s, ConvImplementation.FACTORIZED, ps, x));
                passes.add(() -> runWith(s, ConvImplementation.RECONSTRUCTED, ps, x));
                passes.add(() -> run(c.rebuilt, ps, x, true));
                passes.add(() -> runWith(s, ConvImplementation.AUTO, ps, x));
                passes.add(() -> run(c.tuned, ps, x, false));
                configs.add(c);
            }
        }
        double[][] times =
                BenchmarkSupport.roundRobin(passes, warmup, repeats, clock, new Random(7));
        double denseMs = BenchmarkSupport.median(times[0]);
        List<String> rows = new ArrayList<>();
        for (Config c : configs) {
            double[] ms = new double[5];
            for (int i = 0; i < 5; i++) {
                ms[i] = BenchmarkSupport.median(times[c.first + i]);
            }
            c.switched.setImplementation(ConvImplementation.AUTO);
            ConvImplementation auto = c.switched.chooseImplementation(batch, false);
            ConvImplementation tuned = c.tuned.chooseImplementation(batch, false);
            String layer = "Linear(" + in + "," + out + ") b" + batch;
            System.out.printf(
                    Locale.ROOT,
                    "%-22s %-6s %-4s %7d | %8.3f %9.3f %9.3f %9.3f %9.3f %s %9.3f %s | %6.2f %6.2f"
                            + " %6.2f%n",
                    layer,
                    c.format,
                    c.rank,
                    c.switched.numParameters(),
                    denseMs,
                    ms[0],
                    ms[1],
                    ms[2],
                    ms[3],
                    auto.name().charAt(0),
                    ms[4],
                    tuned.name().charAt(0),
                    c.peaks[0],
                    c.peaks[1],
                    c.peaks[2]);
            rows.add(
                    String.join(
                            ",",
                            String.valueOf(in),
                            String.valueOf(out),
                            String.valueOf(batch),
                            setting,
                            c.format.toString(),
                            c.rank,
                            String.valueOf(c.switched.numParameters()),
                            format(denseMs),
                            format(ms[0]),
                            format(ms[1]),
                            format(ms[2]),
                            format(ms[3]),
                            auto.toString(),
                            format(ms[4]),
                            tuned.toString(),
                            String.valueOf(auto == ConvImplementation.FACTORIZED),
                            format(c.peaks[0]),
                            format(c.peaks[1]),
                            format(c.peaks[2])));
        }
        return rows;
    }

    private static FactorizedLinear layer(
            NDManager manager, Pair<Shape, Shape> shapes, Factorization f, String rank) {
        FactorizedLinear layer =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(shapes.getKey())
                        .setOutTensorizedFeatures(shapes.getValue())
                        .setFactorization(f)
                        .setRank(Rank.fraction(Double.parseDouble(rank)))
                        .optSeed(1)
                        .build();
        layer.initialize(manager, DataType.FLOAT32, new Shape(1, shapes.getKey().size()));
        return layer;
    }

    private static double peak(FactorizedLinear layer, NDArray x, boolean training) {
        return TemporaryMemory.peakBytes(layer, new NDList(x), training);
    }

    private static void runWith(
            FactorizedLinear layer, ConvImplementation impl, ParameterStore ps, NDArray x) {
        layer.setImplementation(impl);
        run(layer, ps, x, false);
    }

    private static void run(ai.djl.nn.Block block, ParameterStore ps, NDArray x, boolean training) {
        try (NDList y = block.forward(ps, new NDList(x), training)) {
            LatencyMeter.awaitResult(y.head());
        }
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
