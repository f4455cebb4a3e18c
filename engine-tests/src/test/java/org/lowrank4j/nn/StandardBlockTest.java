package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** A factorized convolution exported as DJL convolutions computes what the block computes. */
public class StandardBlockTest extends EngineTestBase {

    private NDArray run(Block block, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    private void assertExports(FactorizedConv<?> conv, int order) {
        NDArray x = randn(5, DataType.FLOAT32, FactorizedConvTest.input(order).getShape());
        conv.initialize(manager, DataType.FLOAT32, x.getShape());
        NDArray expected = run(conv, x);
        SequentialBlock standard = conv.toStandardBlock();
        for (Block child : standard.getChildren().values()) {
            Assert.assertTrue(child instanceof Convolution, child.toString());
        }
        Assert.assertEquals(standard.getInputShapes()[0], x.getShape());
        assertClose(run(standard, x), expected, 1e-5);
        Convolution dense = conv.toDenseConvolution();
        Assert.assertEquals(dense.getStride(), conv.getStride());
        Assert.assertEquals(dense.getPadding(), conv.getPadding());
        Assert.assertEquals(dense.getDilation(), conv.getDilation());
        assertClose(run(dense, x), expected, 1e-5);
    }

    @Test
    public void everyFormatAndOrderExportsItsFunction() {
        for (Factorization f : FactorizedConvTest.FORMATS) {
            for (int order = 1; order <= 3; order++) {
                FactorizedConv<?> conv = FactorizedConvTest.anisotropic(f, order).build();
                assertExports(conv, order);
                // CP: 1×1, depthwise, 1×1; Tucker: 1×1, core, 1×1; TT: 1×1, one per axis, 1×1
                int stages = f == Factorization.TT ? order + 2 : 3;
                Assert.assertEquals(
                        conv.toStandardBlock().getChildren().size(), stages, f + " order " + order);
            }
        }
    }

    @Test
    public void tuckerWithoutAnOutputFactorHasNoLastPointwise() {
        TuckerConv conv =
                TuckerConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setRank(org.lowrank4j.tensor.Rank.fraction(0.5))
                        .optFixedRankModes(0)
                        .optPadding(new ai.djl.ndarray.types.Shape(1, 1))
                        .build();
        assertExports(conv, 2);
        Assert.assertEquals(conv.toStandardBlock().getChildren().size(), 2);
    }

    @Test
    public void aBlockOfSeveralLayersOrWithoutValuesIsRefused() {
        FactorizedConv<?> layered =
                FactorizedConvTest.anisotropic(Factorization.CP, 2).optLayers(2).build();
        assertIllegalArgument(layered::toStandardBlock, "a block of 2 layers is not accepted");
        assertIllegalArgument(layered::toDenseConvolution, "use getConv(i)");
        FactorizedConv<?> fresh = FactorizedConvTest.anisotropic(Factorization.TT, 2).build();
        assertIllegalState(fresh::toStandardBlock, "call initialize");
        assertIllegalState(fresh::toDenseConvolution, "call initialize");
    }
}
