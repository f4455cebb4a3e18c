package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * An explicit CP rank far above what a tensor can need is clipped before anything is allocated
 * (before, {@code Rank.of(100000)} on a 16→16 3×3 kernel asked the engine for 80 GB).
 */
public class RankBoundsTest extends EngineTestBase {

    @Test
    public void parafacClipsAHugeRankToTheShapesLimit() {
        NDArray kernel = randn(1, DataType.FLOAT32, 16, 16, 3, 3);
        Decomposition<CPTensor> cp =
                Parafac.builder().setRank(Rank.of(100_000)).optMaxIterations(5).build().fit(kernel);
        Assert.assertEquals(cp.getTensor().getRank(), new int[] {144});
    }

    @Test
    public void aConvolutionFromAnExistingOneClipsItToo() {
        Conv2d conv =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(16)
                        .optPadding(new Shape(1, 1))
                        .build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(1, 16, 6, 6));
        FactorizedConv<?> block =
                FactorizedConv.fromConv(
                        conv,
                        Rank.of(100_000),
                        Factorization.CP,
                        ConvImplementation.FACTORIZED,
                        false);
        Assert.assertEquals(block.getRank(), new int[] {144});
    }

    @Test
    public void ttMatrixRefusesAnArrayThatIsNeitherTheMatrixNorItsTensor() {
        TensorTrain tt = TensorTrain.builder().setRank(Rank.of(2)).build();
        Shape rows = new Shape(4, 4);
        Shape columns = new Shape(2, 3);
        NDArray flat = randn(1, DataType.FLOAT32, 16, 6);
        assertIllegalArgument(
                () -> tt.fitMatrix(flat.reshape(2, 8, 6), rows, columns),
                "a matrix of shape (2, 8, 6) is not accepted for rows (4, 4) x columns (2, 3)");
        assertIllegalArgument(() -> tt.fitMatrix(flat.reshape(6, 16), rows, columns), "(6, 16)");
        assertIllegalArgument(
                () -> tt.fitMatrix(randn(2, DataType.FLOAT32, 16, 5), rows, columns),
                "needs 16 x 6 entries");
        // the matrix and its tensor of shape (n_0, n_1, m_0, m_1) are both accepted, with one
        // result
        NDArray fromMatrix = tt.fitMatrix(flat, rows, columns).getTensor().toFull();
        NDArray fromTensor =
                tt.fitMatrix(flat.reshape(4, 4, 2, 3), rows, columns).getTensor().toFull();
        Assert.assertEquals(fromTensor.toFloatArray(), fromMatrix.toFloatArray());
    }
}
