package org.lowrank4j.examples.docs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.TensorOps;
import org.lowrank4j.tensor.TuckerTensor;

/** The example of the README. */
public final class QuickStart {

    private QuickStart() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // snippet:quickstart
        try (NDManager manager = NDManager.newBaseManager()) {
            // a conv kernel (out, in, kh, kw) whose channels are strongly correlated
            NDArray core = manager.randomNormal(new Shape(16, 16, 3, 3));
            NDArray left = manager.randomNormal(new Shape(128, 16));
            NDArray right = manager.randomNormal(new Shape(64, 16));
            NDArray kernel = TensorOps.modeProduct(TensorOps.modeProduct(core, left, 0), right, 1);

            // Tucker-2: compress the channel modes to a quarter of the parameters
            Decomposition<TuckerTensor> tucker =
                    Tucker.builder()
                            .setRank(Rank.fraction(0.25))
                            .optFixedModes(2, 3)
                            .build()
                            .fit(kernel);

            TuckerTensor factorized = tucker.getTensor();
            System.out.printf(
                    "ranks %s, %d -> %d parameters, relative error %.2e%n",
                    Arrays.toString(factorized.getRank()),
                    kernel.size(),
                    factorized.numParameters(),
                    tucker.getRelativeError());
        }
        // end
    }
}
