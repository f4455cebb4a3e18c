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
}
