package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.Factorization;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.nn.Rank;
import org.lowrank4j.nn.Tensorize;

/**
 * Times tensorized linear layers against the dense layer in the same run.
 *
 * <p>Arguments (all optional): {@code in out batch} to time one size (default: 256×256 batch 32 and
 * 1024×1024 batch 64), then an output CSV path (default {@code docs/benchmarks/linear.csv}). For
 * every format (CP, Tucker, block-TT) and rank (0.5, 0.25, 0.1) it times FACTORIZED, RECONSTRUCTED
 * rebuilt on every call (the training-time cost; in inference the rebuilt weight is cached and the
 * layer costs what the dense one does) and AUTO as chosen for inference. Each time is the median of
 * repeated forward passes after a warm-up.
 */
public final class LinearBenchmark {

    private LinearBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args {@code [in out batch [csv]]}
     * @throws IOException if the CSV cannot be written
     */
    public static void main(String[] args) throws IOException {
        List<long[]> sizes = new ArrayList<>();
        if (args.length >= 3) {
            sizes.add(
                    new long[] {
                        Long.parseLong(args[0]), Long.parseLong(args[1]), Long.parseLong(args[2])
                    });
        } else {
            sizes.add(new long[] {256, 256, 32});
            sizes.add(new long[] {1024, 1024, 64});
        }
        Path csv = Paths.get(args.length >= 4 ? args[3] : "docs/benchmarks/linear.csv");
        List<String> rows = new ArrayList<>();
        rows.add(
                "in,out,batch,factorization,rank,params,implementation,median_ms,ratio_to_dense,"
                        + "auto_choice");
        System.out.printf(
                "Engine %s, %d threads requested by OMP_NUM_THREADS=%s%n",
                Engine.getInstance().getEngineName(),
                Runtime.getRuntime().availableProcessors(),
                System.getenv("OMP_NUM_THREADS"));
        System.out.printf(
                "%-16s %-7s %-5s %9s %12s %12s %12s %10s%n",
                "layer", "format", "rank", "params", "factorized", "rebuilt", "auto", "dense ms");
        for (long[] s : sizes) {
            try (NDManager manager = NDManager.newBaseManager()) {
                long in = s[0];
                long out = s[1];
                long batch = s[2];
                NDArray x = manager.randomNormal(new Shape(batch, in));
                Linear dense = Linear.builder().setUnits(out).build();
                dense.initialize(manager, DataType.FLOAT32, new Shape(1, in));
                double denseMs = time(dense, x, false);
                Pair<Shape, Shape> shapes = Tensorize.shapes(in, out, 3);
                for (Factorization f :
                        new Factorization[] {
                            Factorization.CP, Factorization.TUCKER, Factorization.TT
                        }) {
                    for (double fraction : new double[] {0.5, 0.25, 0.1}) {
                        FactorizedLinear layer =
                                FactorizedLinear.builder()
                                        .setInTensorizedFeatures(shapes.getKey())
                                        .setOutTensorizedFeatures(shapes.getValue())
                                        .setFactorization(f)
                                        .setRank(Rank.fraction(fraction))
                                        .optSeed(1)
                                        .build();
                        layer.initialize(manager, DataType.FLOAT32, new Shape(1, in));
                        layer.setImplementation(ConvImplementation.FACTORIZED);
                        double fact = time(layer, x, false);
                        layer.setImplementation(ConvImplementation.RECONSTRUCTED);
                        double rebuilt = time(layer, x, true);
                        layer.setImplementation(ConvImplementation.AUTO);
                        double auto = time(layer, x, false);
                        ConvImplementation choice = layer.chooseImplementation(batch, false);
                        String name = "Linear(" + in + "," + out + ") b" + batch;
                        System.out.printf(
                                "%-16s %-7s %-5s %9d %12.3f %12.3f %12s %10.3f%n",
                                name,
                                f,
                                fraction,
                                layer.numParameters(),
                                fact,
                                rebuilt,
                                String.format("%.3f %s", auto, choice.name().charAt(0)),
                                denseMs);
                        String prefix =
                                in
                                        + ","
                                        + out
                                        + ","
                                        + batch
                                        + ","
                                        + f
                                        + ","
                                        + fraction
                                        + ","
                                        + layer.numParameters()
                                        + ",";
                        rows.add(prefix + "FACTORIZED," + fact + "," + fact / denseMs + ",");
                        rows.add(
                                prefix
                                        + "RECONSTRUCTED_REBUILT,"
                                        + rebuilt
                                        + ","
                                        + rebuilt / denseMs
                                        + ",");
                        rows.add(prefix + "AUTO," + auto + "," + auto / denseMs + "," + choice);
                    }
                }
                rows.add(
                        in
                                + ","
                                + out
                                + ","
                                + batch
                                + ",DENSE,1.0,"
                                + (in * out + out)
                                + ",DENSE,"
                                + denseMs
                                + ",1.0,");
            }
        }
        if (csv.getParent() != null) {
            Files.createDirectories(csv.getParent());
        }
        try (PrintWriter w =
                new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            rows.forEach(w::println);
        }
        System.out.println("wrote " + csv);
    }

    /** Median milliseconds of a forward pass; warm-up first, then repeats until about 1 s. */
    private static double time(Block block, NDArray x, boolean training) {
        ParameterStore ps = new ParameterStore(x.getManager(), false);
        for (int i = 0; i < 3; i++) {
            block.forward(ps, new NDList(x), training).close();
        }
        List<Double> times = new ArrayList<>();
        long budget = System.nanoTime() + 1_000_000_000L;
        while (times.size() < 5 || (System.nanoTime() < budget && times.size() < 50)) {
            long t0 = System.nanoTime();
            NDList y = block.forward(ps, new NDList(x), training);
            y.singletonOrThrow().toFloatArray(); // wait for the result
            times.add((System.nanoTime() - t0) / 1e6);
            y.close();
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
