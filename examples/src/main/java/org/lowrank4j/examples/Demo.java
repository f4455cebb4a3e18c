package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Locale;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.decompose.TensorTrain;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.nn.Rank;
import org.lowrank4j.tensor.FactorizedTensor;

/**
 * The demo: factorizes a convolution kernel with a realistic (decaying) spectrum in every format at
 * a few ranks and prints size, error and time of each.
 */
public final class Demo {

    private Demo() {}

    /**
     * Runs the demo.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        Engine engine = Engine.getInstance();
        System.out.println(
                "Lowrank4J demo on " + engine.getEngineName() + " " + engine.getVersion());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray kernel = SyntheticKernels.decayingKernel(manager, 64, 64, 3, 20, 1);
            // tensor trains of conv kernels are taken in (in, k, k, out) order
            NDArray trainLayout = kernel.transpose(1, 2, 3, 0);
            System.out.println(
                    "Kernel " + kernel.getShape() + ", " + kernel.size() + " parameters\n");
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "%-22s %-18s %10s %12s %10s",
                            "method",
                            "rank",
                            "params",
                            "rel. error",
                            "time ms"));
            for (double f : new double[] {0.5, 0.25, 0.1}) {
                Rank rank = Rank.fraction(f);
                row("CP (ALS)", f, () -> Parafac.builder().setRank(rank).build().fit(kernel));
                row(
                        "Tucker-2 (HOOI)",
                        f,
                        () ->
                                Tucker.builder()
                                        .setRank(rank)
                                        .optFixedModes(2, 3)
                                        .build()
                                        .fit(kernel));
                row(
                        "Tensor train (TT-SVD)",
                        f,
                        () -> TensorTrain.builder().setRank(rank).build().fit(trainLayout));
            }
        }
    }

    private static void row(
            String method,
            double fraction,
            java.util.function.Supplier<Decomposition<? extends FactorizedTensor>> run) {
        long start = System.nanoTime();
        Decomposition<? extends FactorizedTensor> d = run.get();
        double ms = (System.nanoTime() - start) / 1e6;
        try (FactorizedTensor t = d.getTensor()) {
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "%-22s %-18s %10d %12.4f %10.1f",
                            method,
                            java.util.Arrays.toString(t.getRank()) + " (" + fraction + ")",
                            t.numParameters(),
                            d.getRelativeError(),
                            ms));
        }
    }
}
