package org.lowrank4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.nn.LowRankLinear;

/** Factorizes a linear layer with and without calibration data and compares the output errors. */
public final class DataAwareExample {

    private DataAwareExample() {}

    /**
     * Runs the example.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        // snippet:example
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(42);
            int n = 2048;
            int d = 64;
            int rank = 8;
            // Correlated inputs: X = Z · M + mu, M with exponentially decaying singular values.
            NDArray z = manager.randomNormal(new Shape(n, d));
            NDArray decay = manager.arange(d).toType(DataType.FLOAT32, false).div(-4f).exp();
            NDArray mix = manager.randomNormal(new Shape(d, d)).mul(decay.reshape(d, 1));
            NDArray x = z.matMul(mix).add(manager.randomNormal(new Shape(1, d)));

            Linear dense = Linear.builder().setUnits(d).build();
            dense.initialize(manager, DataType.FLOAT32, new Shape(1, d));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray y = dense.forward(ps, new NDList(x), false).singletonOrThrow();

            // The low-level API: W [D, M] = weightᵀ, bias [M].
            NDArray w = dense.getParameters().get("weight").getArray().transpose();
            NDArray b = dense.getParameters().get("bias").getArray();
            LowRankSolution closedForm = LowRankFit.factorizeMatrix(x, y, w, null, b, rank);
            LowRankSolution weightSvd =
                    LowRankFit.builder()
                            .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                            .optIterations(0) // truncated SVD of the weight, bias refitted
                            .build()
                            .fitMatrix(x, y, w, null, b, rank);
            System.out.printf("nmse, closed form    : %.5f%n", closedForm.getNmse());
            System.out.printf("nmse, SVD of weight  : %.5f%n", weightSvd.getNmse());

            // The block: a drop-in replacement for the dense layer.
            LowRankLinear fitted = LowRankLinear.fromLinear(dense, x, rank);
            LowRankLinear svd = LowRankLinear.fromLinear(dense, null, rank);
            NDArray yFitted = fitted.forward(ps, new NDList(x), false).singletonOrThrow();
            NDArray ySvd = svd.forward(ps, new NDList(x), false).singletonOrThrow();
            float norm = y.norm().getFloat();
            System.out.printf(
                    "relative output error, data-aware: %.5f%n",
                    yFitted.sub(y).norm().getFloat() / norm);
            System.out.printf(
                    "relative output error, weight SVD: %.5f%n",
                    ySvd.sub(y).norm().getFloat() / norm);
            System.out.println(
                    "rank "
                            + fitted.getRank()
                            + "; the largest rank that is still faster: "
                            + fitted.maxRankWithSpeedup());
        }
        // end
    }
}
