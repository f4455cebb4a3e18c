package org.lowrank4j.examples.docs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.decompose.TensorTrain;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TTMatrix;
import org.lowrank4j.tensor.TTTensor;
import org.lowrank4j.tensor.TuckerTensor;

/** The code of {@code docs/tensors-and-decompositions.md}. */
public final class DecompositionsExample {

    private DecompositionsExample() {}

    /**
     * Runs every snippet of the page.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            // snippet:ranks
            Shape kernelShape = new Shape(32, 16, 3, 3);
            int cpRank = Ranks.cp(kernelShape, Rank.fraction(0.5)); // 43
            int[] tucker2 = Ranks.tucker(kernelShape, Rank.fraction(0.5), new int[] {2, 3});
            // [19, 9, 3, 3]: the spatial modes keep full rank
            int[] ttRequest =
                    Ranks.tt(new Shape(16, 3, 3, 32), Rank.fraction(0.5)); // [1, 18, 6, 34, 1]
            int[] ttRealised = Ranks.realizableTt(new Shape(16, 3, 3, 32), ttRequest);
            // [1, 16, 6, 18, 1]: what TT-SVD can realise
            // end
            System.out.println(
                    "CP "
                            + cpRank
                            + ", Tucker-2 "
                            + Arrays.toString(tucker2)
                            + ", TT "
                            + Arrays.toString(ttRequest)
                            + " -> "
                            + Arrays.toString(ttRealised));

            // snippet:decompose
            NDArray kernel = manager.randomNormal(new Shape(64, 32, 3, 3));

            Decomposition<CPTensor> cp =
                    Parafac.builder().setRank(Rank.fraction(0.25)).optSeed(1).build().fit(kernel);
            Decomposition<TuckerTensor> tucker =
                    Tucker.builder()
                            .setRank(Rank.fraction(0.25))
                            .optFixedModes(2, 3) // Tucker-2: keep the spatial modes
                            .build()
                            .fit(kernel);
            Decomposition<TTTensor> tt =
                    TensorTrain.builder()
                            .setRank(Rank.fraction(0.25))
                            .build()
                            .fit(kernel.transpose(1, 2, 3, 0)); // (in, kh, kw, out)

            for (Decomposition<?> d : Arrays.asList(cp, tucker, tt)) {
                System.out.printf(
                        "%s: %d parameters, relative error %.3f%n",
                        Arrays.toString(d.getRank()),
                        d.getTensor().numParameters(),
                        d.getRelativeError());
            }
            NDArray rebuilt = cp.getTensor().toFull(); // (64, 32, 3, 3), same manager and type
            // end
            System.out.println("rebuilt " + rebuilt.getShape());

            // snippet:random
            CPTensor random = CPTensor.normal(manager, new Shape(256, 256, 3, 3), 64, 0.02, 42);
            System.out.printf("RMS of the full tensor: %.4f%n", random.norm() / Math.sqrt(589824));
            // end

            // snippet:ttmatrix
            NDArray weight = manager.randomNormal(new Shape(512, 256)); // a Linear(256, 512) weight
            Decomposition<TTMatrix> mpo =
                    TensorTrain.builder()
                            .setRank(Rank.of(16))
                            .build()
                            .fitMatrix(weight, new Shape(8, 8, 8), new Shape(4, 8, 8));
            System.out.println(
                    mpo.getTensor() + ", " + mpo.getTensor().numParameters() + " parameters");
            // end
        }
    }
}
