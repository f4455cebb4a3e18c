package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * The decompositions refuse every bad option and tensor with an IllegalArgumentException naming the
 * value and what is accepted, and leave the tensor as it was.
 */
public class DecompositionBadInputTest extends EngineTestBase {

    @Test
    public void parafacOptionsAreChecked() {
        assertIllegalArgument(() -> Parafac.builder().optMaxIterations(-1), "-1");
        assertIllegalArgument(() -> Parafac.builder().optTolerance(-1), "-1");
        assertIllegalArgument(() -> Parafac.builder().optTolerance(Double.NaN), "NaN");
        assertIllegalArgument(() -> Parafac.builder().optInit(null), "null");
        assertIllegalArgument(() -> Parafac.builder().optL2Reg(-0.5), "-0.5");
        assertIllegalArgument(() -> Parafac.builder().optL2Reg(Double.NaN), "NaN");
        assertIllegalArgument(() -> Parafac.builder().setRank((Rank) null).build(), "rank");
        assertIllegalArgument(() -> Parafac.builder().setRank(Rank.of(2, 3)).build(), "[2, 3]");
    }

    @Test
    public void tuckerAndTrainOptionsAreChecked() {
        assertIllegalArgument(() -> Tucker.builder().setRank(null).build(), "rank");
        assertIllegalArgument(() -> Tucker.builder().optMaxIterations(-2), "-2");
        assertIllegalArgument(() -> Tucker.builder().optTolerance(-1), "-1");
        assertIllegalArgument(() -> Tucker.builder().optMethod(null), "null");
        assertIllegalArgument(() -> Tucker.builder().build(), "rank");
        assertIllegalArgument(() -> TensorTrain.builder().setRank(null).build(), "rank");
        assertIllegalArgument(() -> TensorTrain.builder().build(), "rank");
    }

    @Test
    public void badTensorsAreNamedAndLeftAlone() {
        NDArray x = randn(3, DataType.FLOAT32, 4, 5, 6);
        float[] before = x.toFloatArray();
        NDArray infinite =
                manager.create(new float[] {1, Float.POSITIVE_INFINITY, 3, 4}, new Shape(2, 2));
        assertIllegalArgument(() -> Parafac.builder().setRank(2).build().fit(infinite), "nfinit");
        assertIllegalArgument(
                () -> Tucker.builder().setRank(Rank.of(1)).build().fit(infinite), "nfinit");
        assertIllegalArgument(() -> Parafac.builder().setRank(2).build().fit(null), "null");
        assertIllegalArgument(() -> Tucker.builder().setRank(Rank.of(2)).build().fit(null), "null");
        assertIllegalArgument(
                () -> TensorTrain.builder().setRank(Rank.of(2)).build().fit(null), "null");
        NDArray empty = manager.zeros(new Shape(0, 3));
        assertIllegalArgument(() -> Parafac.builder().setRank(1).build().fit(empty), "(0, 3)");
        assertIllegalArgument(
                () -> Tucker.builder().setRank(Rank.of(1)).optFixedModes(-1).build().fit(x), "-1");
        // a train of an order-3 tensor has 2 inner bonds (or all 4)
        assertIllegalArgument(
                () -> TensorTrain.builder().setRank(Rank.of(2, 2, 2)).build().fit(x), "[2, 2, 2]");
        assertIllegalArgument(
                () ->
                        TensorTrain.builder()
                                .setRank(Rank.of(2))
                                .build()
                                .fitMatrix(randn(4, DataType.FLOAT32, 8, 6), new Shape(2, 4), null),
                "null");
        assertIllegalArgument(
                () ->
                        Tucker.builder()
                                .setRank(Rank.of(2))
                                .build()
                                .fit(manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2))),
                "float32 and float64");
        Assert.assertEquals(x.toFloatArray(), before);
    }
}
