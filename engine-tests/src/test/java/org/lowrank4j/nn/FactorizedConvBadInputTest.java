package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Every bad argument gets an IllegalArgumentException naming it, and changes nothing. */
public class FactorizedConvBadInputTest extends EngineTestBase {

    private static FactorizedConvBuilder<?> valid(Factorization f) {
        return FactorizedConv.builder()
                .setInChannels(4)
                .setOutChannels(5)
                .setKernelShape(new Shape(3, 3))
                .setFactorization(f)
                .setRank(Rank.fraction(0.5));
    }

    @Test
    public void formatBuildersBuildTheirFormatOnly() {
        CPConv cp =
                CPConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setRank(Rank.of(3))
                        .build();
        Assert.assertEquals(cp.getFactorization(), Factorization.CP);
        // AUTO by default, as for the tensorized linear layers
        Assert.assertEquals(cp.getImplementation(), ConvImplementation.AUTO);
        Assert.assertEquals(cp.getRank(), new int[] {3});
        TuckerConv tucker =
                TuckerConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setRank(Rank.fraction(0.5))
                        .optFixedRankModes("spatial")
                        .build();
        Assert.assertEquals(tucker.getFixedRankModes(), new int[] {2, 3});
        TTConv tt =
                TTConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelSize(3)
                        .setOrder(1)
                        .setRank(Rank.of(2))
                        .build();
        Assert.assertEquals(tt.getFactorization(), Factorization.TT);
        assertIllegalArgument(
                () -> CPConv.builder().setFactorization(Factorization.TUCKER),
                "factorization TUCKER is not accepted by this builder, which builds CP");
        assertIllegalArgument(() -> TTConv.builder().setFactorization(null), "factorization null");
        // the generic builder still builds every format
        Assert.assertTrue(valid(Factorization.TT).build() instanceof TTConv);
    }

    @Test
    public void builderRefusesBadConfiguration() {
        assertIllegalArgument(
                () -> valid(Factorization.CP).setOrder(3).build(),
                "kernel shape (3, 3) has order 2");
        assertIllegalArgument(
                () ->
                        valid(Factorization.CP)
                                .setKernelShape(null)
                                .setKernelSize(3)
                                .setOrder(4)
                                .build(),
                "order 4");
        assertIllegalArgument(
                () -> valid(Factorization.CP).setKernelShape(null).setKernelSize(3).build(),
                "order 0");
        assertIllegalArgument(
                () -> valid(Factorization.CP).setKernelShape(new Shape(3, 0)).build(),
                "kernel shape (3, 0)");
        assertIllegalArgument(
                () -> valid(Factorization.CP).setInChannels(0).build(), "inChannels 0");
        assertIllegalArgument(
                () -> valid(Factorization.CP).setOutChannels(-2).build(), "outChannels -2");
        assertIllegalArgument(() -> valid(Factorization.DENSE).build(), "factorization DENSE");
        assertIllegalArgument(() -> valid(null).build(), "factorization null");
        assertIllegalArgument(() -> valid(Factorization.CP).setRank(null).build(), "rank null");
        // ranks
        assertIllegalArgument(() -> Rank.of(0), "rank 0");
        assertIllegalArgument(() -> Rank.of(3, -1), "rank -1");
        assertIllegalArgument(() -> Rank.fraction(0), "rank fraction 0.0");
        assertIllegalArgument(() -> Rank.fraction(-0.5), "rank fraction -0.5");
        assertIllegalArgument(
                () -> valid(Factorization.CP).setRank(Rank.of(2, 3)).build(),
                "CP takes a single rank, got [2, 3]");
        assertIllegalArgument(
                () -> valid(Factorization.TUCKER).setRank(Rank.of(2, 3)).build(),
                "Tucker rank [2, 3] has 2 values");
        assertIllegalArgument(
                () -> valid(Factorization.TT).setRank(Rank.of(2, 3)).build(),
                "TT rank [2, 3] has 2 values");
        // implementations
        for (Factorization f : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            assertIllegalArgument(
                    () -> valid(f).optImplementation(ConvImplementation.MOBILENET).build(),
                    "MOBILENET is not accepted for " + f);
        }
        assertIllegalArgument(
                () -> valid(Factorization.CP).optImplementation(null).build(),
                "implementation null");
        // stride, padding, dilation
        assertIllegalArgument(
                () -> valid(Factorization.CP).optStride(new Shape(2)).build(),
                "stride (2) is not accepted");
        assertIllegalArgument(
                () -> valid(Factorization.CP).optStride(new Shape(2, 0)).build(),
                "stride (2, 0) is not accepted");
        assertIllegalArgument(
                () -> valid(Factorization.TT).optPadding(new Shape(1, -1)).build(),
                "padding (1, -1) is not accepted");
        assertIllegalArgument(
                () -> valid(Factorization.TUCKER).optDilation(new Shape(1, 1, 1)).build(),
                "dilation (1, 1, 1) is not accepted");
        assertIllegalArgument(
                () -> valid(Factorization.TUCKER).optDilation(new Shape(0, 1)).build(),
                "dilation (0, 1) is not accepted");
        // fixed modes
        assertIllegalArgument(
                () -> valid(Factorization.CP).optFixedRankModes(2, 3).build(),
                "only TUCKER has them");
        assertIllegalArgument(
                () -> valid(Factorization.TUCKER).optFixedRankModes(4).build(),
                "fixed rank mode 4");
        assertIllegalArgument(
                () -> valid(Factorization.TUCKER).optFixedRankModes("temporal"),
                "preset 'temporal'");
    }

    @Test
    public void blockRefusesBadInputAndStaysUsable() {
        for (Factorization f : FactorizedConvTest.FORMATS) {
            FactorizedConv<?> conv = valid(f).optPadding(new Shape(1, 1)).build();
            assertIllegalArgument(
                    () -> conv.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 8, 8)),
                    "input of shape (1, 3, 8, 8) is not accepted");
            Assert.assertFalse(conv.isInitialized());
            conv.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
            NDArray kernel = conv.reconstructKernel();
            ParameterStore ps = new ParameterStore(manager, false);
            assertIllegalArgument(
                    () -> conv.forward(ps, new NDList(manager.ones(new Shape(1, 5, 8, 8))), false),
                    "(B, 4, S1, S2)");
            assertIllegalArgument(
                    () -> conv.forward(ps, new NDList(manager.ones(new Shape(1, 4, 8))), false),
                    "input of shape (1, 4, 8)");
            assertIllegalArgument(
                    () -> conv.getOutputShapes(new Shape[] {new Shape(1, 4, 8, 8, 8)}),
                    "input of shape (1, 4, 8, 8, 8)");
            assertIllegalArgument(
                    () -> conv.forward(ps, new NDList(manager.ones(new Shape(1, 4, 1, 0))), false),
                    "too small");
            if (f != Factorization.CP) {
                ConvImplementation before = conv.getImplementation();
                assertIllegalArgument(
                        () -> conv.setImplementation(ConvImplementation.MOBILENET), "MOBILENET");
                Assert.assertEquals(conv.getImplementation(), before);
            }
            assertIllegalArgument(() -> conv.initFromRandom(false, 0), "std 0.0");
            assertIllegalArgument(
                    () -> conv.initFromTensor(manager.ones(new Shape(5, 4, 3)), null),
                    "kernel of shape (5, 4, 3) is not accepted");
            Assert.assertEquals(relError(conv.reconstructKernel(), kernel), 0.0);
            NDArray y =
                    conv.forward(ps, new NDList(manager.ones(new Shape(2, 4, 8, 8))), false).head();
            Assert.assertEquals(y.getShape(), new Shape(2, 5, 8, 8));
        }
    }

    @Test
    public void aWrongDataTypeOrAnUninitialisedBlockIsNamedBeforeTheEngineSeesIt() {
        for (Factorization f : new Factorization[] {Factorization.CP, Factorization.TUCKER}) {
            FactorizedConv<?> fresh = valid(f).build();
            IllegalStateException e =
                    Assert.expectThrows(
                            IllegalStateException.class,
                            () -> infer(fresh, randn(1, DataType.FLOAT32, 2, 4, 6, 6)));
            Assert.assertTrue(e.getMessage().contains("call initialize("), e.getMessage());
            FactorizedConv<?> block = valid(f).build();
            block.initialize(manager, DataType.FLOAT32, new Shape(2, 4, 6, 6));
            NDArray before = infer(block, randn(1, DataType.FLOAT32, 2, 4, 6, 6));
            assertIllegalArgument(
                    () -> infer(block, randn(1, DataType.FLOAT64, 2, 4, 6, 6)),
                    "input of data type float64 is not accepted");
            // the block still works
            Assert.assertEquals(
                    infer(block, randn(1, DataType.FLOAT32, 2, 4, 6, 6)).toFloatArray(),
                    before.toFloatArray());
        }
        FactorizedLinear linear =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(4, 4))
                        .setOutTensorizedFeatures(new Shape(2, 4))
                        .setFactorization(Factorization.TT)
                        .setRank(Rank.fraction(0.5))
                        .build();
        IllegalStateException e =
                Assert.expectThrows(
                        IllegalStateException.class,
                        () -> infer(linear, randn(1, DataType.FLOAT32, 3, 16)));
        Assert.assertTrue(e.getMessage().contains("call initialize("), e.getMessage());
        linear.initialize(manager, DataType.FLOAT32, new Shape(3, 16));
        assertIllegalArgument(
                () -> infer(linear, randn(1, DataType.FLOAT64, 3, 16)),
                "input of data type float64 is not accepted by FactorizedLinear");
    }
}
