package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.lowrank4j.cost.ConvCost;
import org.lowrank4j.cost.CostModel;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.FactorizedConvBuilder;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Measures every factorized convolution pipeline on a set of layers, and fits the weights of a
 * {@link CostModel} to the measurements: the data behind {@link CostModel#forEngine}.
 *
 * <p>{@code mode=measure} (the default) times, on the engine and thread count given, the dense
 * convolution (the cached reconstructed kernel) and each pipeline of thirteen {@code Conv2d} layers
 * (the last three the size of the demo's): CP factorized and MobileNet, Tucker with its separable
 * and its folded pipeline, the tensor train; round-robin in a new random order every round. It
 * appends one CSV row per pipeline: the median milliseconds, the ratio to the dense convolution,
 * and the operations {@link ConvCost} counts for it. It also times an engine call on a one-element
 * array, for the per-call overhead.
 *
 * <p>{@code mode=fit} reads such a CSV and, for each engine, searches a grid of depthwise, memory
 * and narrow-channel weights and margins for the model whose AUTO choices, over every layer, format
 * and thread count measured, are never more than 5% slower than the dense convolution and lose the
 * least time against the measured fastest pipeline (the sum of the logarithms of chosen over
 * fastest). The operation weight is not searched: it is the measured per-call overhead in dense
 * multiply-accumulates (the dense convolutions' rate times the call time).
 *
 * <p>Arguments: {@code mode=measure|fit}, {@code engine=PyTorch}, {@code threads=1} (MXNet takes
 * its threads from {@code OMP_NUM_THREADS}), {@code warmup=5}, {@code repeats=25}, {@code
 * csv=docs/benchmarks/cost-model.csv}; with {@code mode=fit}, {@code
 * compare=depthwise,memory,operation,narrow,margin} also scores that model; with {@code
 * mode=measure}, {@code layers=all} or a comma-separated list of layer indices.
 */
public final class CostModelCalibration {

    private static final String HEADER =
            "engine,threads,layer,variant,median_ms,ratio_to_dense,call_us,operations";

    /** The layers: channels (in = out), input shape, rank fraction. */
    private static final Object[][] LAYERS = {
        {64, new long[] {8, 64, 32, 32}, 0.5},
        {256, new long[] {8, 256, 14, 14}, 0.1},
        {128, new long[] {8, 128, 28, 28}, 0.25},
        {64, new long[] {32, 64, 16, 16}, 0.25},
        {256, new long[] {8, 256, 14, 14}, 0.3},
        {512, new long[] {8, 512, 7, 7}, 0.1},
        {32, new long[] {8, 32, 56, 56}, 0.5},
        {128, new long[] {1, 128, 28, 28}, 0.1},
        {64, new long[] {8, 64, 32, 32}, 0.1},
        {256, new long[] {8, 256, 14, 14}, 0.5},
        {16, new long[] {128, 16, 28, 28}, 0.3},
        {32, new long[] {128, 32, 14, 14}, 0.3},
        {64, new long[] {128, 64, 7, 7}, 0.3},
    };

    private static final double[] DEPTHWISE = {16, 32, 64, 96, 128, 192, 256};
    private static final double[] MEMORY = {0, 2, 4, 8, 16, 32};
    private static final double[] NARROW = {0, 16, 32, 64, 128};
    private static final double[] MARGIN = {0.75, 0.8, 0.85, 0.9};

    private CostModelCalibration() {}

    /**
     * Measures or fits.
     *
     * @param args {@code name=value} arguments, see the class documentation
     * @throws IOException if the CSV file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("mode", "measure");
        a.put("engine", System.getProperty("ai.djl.default_engine", "PyTorch"));
        a.put("threads", "1");
        a.put("warmup", "5");
        a.put("repeats", "25");
        a.put("csv", "docs/benchmarks/cost-model.csv");
        a.put("compare", "");
        a.put("layers", "all");
        BenchmarkSupport.parse(a, args);
        if ("fit".equals(a.get("mode"))) {
            fit(a.get("csv"), a.get("compare"));
        } else if ("measure".equals(a.get("mode"))) {
            BenchmarkSupport.configureEngine(a.get("engine"), a.get("threads"));
            if (BenchmarkSupport.ranWithRemedy(CostModelCalibration.class, a, args)) {
                return;
            }
            measure(
                    a.get("threads"),
                    Integer.parseInt(a.get("warmup")),
                    Integer.parseInt(a.get("repeats")),
                    a.get("csv"),
                    BenchmarkSupport.list(a.get("layers"), allLayers()));
        } else {
            throw new IllegalArgumentException(
                    "mode '" + a.get("mode") + "' is not accepted; measure or fit is");
        }
    }

    // ---------------------------------------------------------------- measuring

    /** {@code 0,1,…} for every layer. */
    private static String allLayers() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < LAYERS.length; i++) {
            b.append(i == 0 ? "" : ",").append(i);
        }
        return b.toString();
    }

    private static void measure(
            String threads, int warmup, int repeats, String csv, List<String> selected)
            throws IOException {
        String engine = Engine.getInstance().getEngineName();
        LongSupplier wall = System::nanoTime;
        CostModel separable = new CostModel(0, 0, 0, 0, 1);
        CostModel folded = new CostModel(1e9, 0, 0, 0, 1);
        List<String> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            double callUs = callMicros(manager);
            for (String chosen : selected) {
                int layer = Integer.parseInt(chosen.trim());
                if (layer < 0 || layer >= LAYERS.length) {
                    throw new IllegalArgumentException(
                            "layer "
                                    + layer
                                    + " is not accepted; 0 to "
                                    + (LAYERS.length - 1)
                                    + " are");
                }
                int c = (Integer) LAYERS[layer][0];
                Shape in = new Shape((long[]) LAYERS[layer][1]);
                double fraction = (Double) LAYERS[layer][2];
                NDArray x = manager.randomNormal(in);
                ParameterStore ps = new ParameterStore(manager, false);
                List<String> names = new ArrayList<>();
                List<ConvCost> costs = new ArrayList<>();
                List<Runnable> passes = new ArrayList<>();
                Object[][] variants = {
                    {"DENSE", Factorization.CP, ConvImplementation.RECONSTRUCTED, null},
                    {"CP_FACTORIZED", Factorization.CP, ConvImplementation.FACTORIZED, null},
                    {"CP_MOBILENET", Factorization.CP, ConvImplementation.MOBILENET, null},
                    {
                        "TUCKER_SEPARABLE",
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        separable
                    },
                    {"TUCKER_FOLDED", Factorization.TUCKER, ConvImplementation.FACTORIZED, folded},
                    {"TT_FACTORIZED", Factorization.TT, ConvImplementation.FACTORIZED, null},
                };
                for (Object[] v : variants) {
                    FactorizedConvBuilder<?> b =
                            FactorizedConv.builder()
                                    .setInChannels(c)
                                    .setOutChannels(c)
                                    .setKernelSize(3)
                                    .setOrder(2)
                                    .optPadding(new Shape(1, 1))
                                    .setFactorization((Factorization) v[1])
                                    .setRank(Rank.fraction(fraction))
                                    .optImplementation((ConvImplementation) v[2])
                                    .optSeed(1);
                    if (v[3] != null) {
                        b.optCostModel((CostModel) v[3]);
                    }
                    FactorizedConv<?> conv = b.build();
                    conv.initialize(manager, DataType.FLOAT32, in);
                    names.add((String) v[0]);
                    costs.add(conv.cost((ConvImplementation) v[2], in, false));
                    passes.add(
                            () -> {
                                try (NDList y = conv.forward(ps, new NDList(x), false)) {
                                    LatencyMeter.awaitResult(y.head());
                                }
                            });
                }
                double[][] times =
                        BenchmarkSupport.roundRobin(
                                passes, warmup, repeats, wall, new Random(layer));
                double dense = BenchmarkSupport.median(times[0]);
                for (int v = 0; v < names.size(); v++) {
                    double ms = BenchmarkSupport.median(times[v]);
                    String row =
                            String.format(
                                    Locale.ROOT,
                                    "%s,%s,%d,%s,%.4f,%.4f,%.2f,%s",
                                    engine,
                                    threads,
                                    layer,
                                    names.get(v),
                                    ms,
                                    ms / dense,
                                    callUs,
                                    encode(costs.get(v)));
                    System.out.println(row);
                    rows.add(row);
                }
            }
        }
        BenchmarkSupport.appendCsv(csv, HEADER, rows);
    }

    /**
     * Microseconds of one engine call on a one-element array: the median over rounds of 100 calls
     * waited for once at the end (a wait after every call would add the engine's wake-up latency,
     * which the operations of a pipeline do not pay one by one).
     */
    private static double callMicros(NDManager manager) {
        NDArray one = manager.ones(new Shape(1, 1, 1, 1));
        NDArray w = manager.ones(new Shape(1, 1, 1, 1));
        Shape ones = new Shape(1, 1);
        int calls = 100;
        double[] t = new double[30];
        for (int r = -5; r < t.length; r++) {
            long start = System.nanoTime();
            try (NDManager scope = manager.newSubManager()) {
                NDList y = null;
                for (int i = 0; i < calls; i++) {
                    y = Conv2d.conv2d(one, w, null, ones, new Shape(0, 0), ones, 1);
                    y.attach(scope);
                }
                LatencyMeter.awaitResult(y.head());
            }
            if (r >= 0) {
                t[r] = (System.nanoTime() - start) / 1e3 / calls;
            }
        }
        return BenchmarkSupport.median(t);
    }

    private static String encode(ConvCost cost) {
        StringBuilder sb = new StringBuilder();
        for (ConvCost.Operation op : cost.getOperationList()) {
            sb.append(op.kind())
                    .append(':')
                    .append(op.macs())
                    .append(':')
                    .append(op.memory())
                    .append(':')
                    .append(op.channels())
                    .append(';');
        }
        return sb.toString();
    }

    private static ConvCost decode(String text) {
        List<ConvCost.Operation> ops = new ArrayList<>();
        for (String op : text.split(";")) {
            if (op.isEmpty()) {
                continue;
            }
            String[] f = op.split(":");
            ops.add(
                    new ConvCost.Operation(
                            ConvCost.Kind.valueOf(f[0]),
                            Long.parseLong(f[1]),
                            Long.parseLong(f[2]),
                            Long.parseLong(f[3])));
        }
        return new ConvCost(ops);
    }

    // ---------------------------------------------------------------- fitting

    /** One measured pipeline: its mean milliseconds over the runs in the CSV and its counts. */
    private record Measured(double ms, ConvCost cost) {}

    private static void fit(String csv, String compare) throws IOException {
        // engine -> threads -> layer -> variant -> measurement
        Map<String, Map<String, Map<Integer, Map<String, List<Double>>>>> ms = new TreeMap<>();
        Map<String, ConvCost> costs = new TreeMap<>();
        Map<String, List<Double>> callUs = new TreeMap<>();
        List<String> lines = Files.readAllLines(Paths.get(csv), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", 8);
            int layer = Integer.parseInt(f[2]);
            ms.computeIfAbsent(f[0], k -> new TreeMap<>())
                    .computeIfAbsent(f[1], k -> new TreeMap<>())
                    .computeIfAbsent(layer, k -> new TreeMap<>())
                    .computeIfAbsent(f[3], k -> new ArrayList<>())
                    .add(Double.parseDouble(f[4]));
            costs.put(layer + "/" + f[3], decode(f[7]));
            callUs.computeIfAbsent(f[0], k -> new ArrayList<>()).add(Double.parseDouble(f[6]));
        }
        for (Map.Entry<String, Map<String, Map<Integer, Map<String, List<Double>>>>> e :
                ms.entrySet()) {
            String engine = e.getKey();
            List<Map<String, Measured>> cases = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            double macsPerUs = 0;
            int denseCount = 0;
            for (Map.Entry<String, Map<Integer, Map<String, List<Double>>>> t :
                    e.getValue().entrySet()) {
                for (Map.Entry<Integer, Map<String, List<Double>>> l : t.getValue().entrySet()) {
                    Map<String, Measured> variants = new TreeMap<>();
                    for (Map.Entry<String, List<Double>> v : l.getValue().entrySet()) {
                        double mean =
                                v.getValue().stream()
                                        .mapToDouble(Double::doubleValue)
                                        .average()
                                        .orElseThrow();
                        variants.put(
                                v.getKey(),
                                new Measured(mean, costs.get(l.getKey() + "/" + v.getKey())));
                    }
                    cases.add(variants);
                    labels.add(t.getKey() + " thread(s), layer " + l.getKey());
                    Measured dense = variants.get("DENSE");
                    macsPerUs += dense.cost().getMacs() / (dense.ms() * 1e3);
                    denseCount++;
                }
            }
            double call =
                    callUs.get(engine).stream()
                            .mapToDouble(Double::doubleValue)
                            .average()
                            .orElseThrow();
            double operation = Math.round(call * macsPerUs / denseCount / 1e5) * 1e5;
            double[] best = null;
            double[] bestScore = null;
            for (double dw : DEPTHWISE) {
                for (double mw : MEMORY) {
                    for (double nc : NARROW) {
                        for (double margin : MARGIN) {
                            double[] p = {dw, mw, operation, nc, margin};
                            double[] score = score(model(p), cases, null, null);
                            if (bestScore == null
                                    || score[0] < bestScore[0]
                                    || (score[0] == bestScore[0]
                                            && score[1] < bestScore[1] - 1e-12)) {
                                best = p;
                                bestScore = score;
                            }
                        }
                    }
                }
            }
            CostModel fitted = model(best);
            System.out.printf(
                    Locale.ROOT,
                    "%s: call %.1f us = %.0f dense MACs; fitted %s, %d choice(s) over 1.05x"
                            + " dense, time lost against the fastest %.3f (log sum)%n",
                    engine,
                    call,
                    operation,
                    fitted,
                    (int) bestScore[0],
                    bestScore[1]);
            CostModel shipped = CostModel.forEngine(engine);
            double[] shippedScore = score(shipped, cases, labels, engine);
            System.out.printf(
                    Locale.ROOT,
                    "%s: shipped %s, %d choice(s) over 1.05x dense, time lost %.3f%n",
                    engine,
                    shipped,
                    (int) shippedScore[0],
                    shippedScore[1]);
            if (!compare.isEmpty()) {
                double[] p =
                        Arrays.stream(compare.split(","))
                                .mapToDouble(Double::parseDouble)
                                .toArray();
                double[] other = score(model(p), cases, null, null);
                System.out.printf(
                        Locale.ROOT,
                        "%s: compared %s, %d choice(s) over 1.05x dense, time lost %.3f%n",
                        engine,
                        model(p),
                        (int) other[0],
                        other[1]);
            }
        }
    }

    private static CostModel model(double[] p) {
        return new CostModel(p[0], p[1], p[2], p[3], p[4]);
    }

    /**
     * Scores a model: {@code [choices over 1.05x dense, sum of log(chosen / fastest)]}, printing
     * each choice when {@code labels} is given.
     */
    private static double[] score(
            CostModel model, List<Map<String, Measured>> cases, List<String> labels, String tag) {
        double over = 0;
        double lost = 0;
        String[][] formats = {
            {"CP", "CP_FACTORIZED", "CP_MOBILENET"},
            {"TUCKER", "TUCKER_SEPARABLE", "TUCKER_FOLDED"},
            {"TT", "TT_FACTORIZED"}
        };
        for (int i = 0; i < cases.size(); i++) {
            Map<String, Measured> c = cases.get(i);
            Measured dense = c.get("DENSE");
            double denseEstimate = model.estimate(dense.cost());
            for (String[] format : formats) {
                List<String> candidates = new ArrayList<>();
                if ("TUCKER".equals(format[0])) {
                    // the block picks one Tucker pipeline by the model, without margin
                    boolean sep =
                            model.estimate(c.get(format[1]).cost())
                                    < model.estimate(c.get(format[2]).cost());
                    candidates.add(sep ? format[1] : format[2]);
                } else {
                    for (int k = 1; k < format.length; k++) {
                        candidates.add(format[k]);
                    }
                }
                String chosen = "DENSE";
                double chosenEstimate = denseEstimate;
                for (String v : candidates) {
                    double e = model.estimate(c.get(v).cost());
                    if (e < model.getMargin() * denseEstimate && e < chosenEstimate) {
                        chosen = v;
                        chosenEstimate = e;
                    }
                }
                double fastest = dense.ms();
                for (int k = 1; k < format.length; k++) {
                    fastest = Math.min(fastest, c.get(format[k]).ms());
                }
                double ms = c.get(chosen).ms();
                lost += Math.log(ms / fastest);
                if (ms > 1.05 * dense.ms()) {
                    over++;
                }
                if (labels != null) {
                    System.out.printf(
                            Locale.ROOT,
                            "  %s %s, %-6s AUTO runs %-16s %.2fx dense (fastest %.2fx)%n",
                            tag,
                            labels.get(i),
                            format[0],
                            chosen,
                            ms / dense.ms(),
                            fastest / dense.ms());
                }
            }
        }
        return new double[] {over, lost};
    }
}
