package org.lowrank4j.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.cost.ConvCost;
import org.lowrank4j.cost.CostModel;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Tucker convolutions whose core has small spatial ranks run the separable pipeline (a depthwise
 * filter bank, then one mixing 1×1 convolution); it must agree with the rebuilt kernel in values
 * and gradients, for every order, with anisotropic geometry.
 */
public class TuckerSeparableTest extends EngineTestBase {

    private static final int CHANNELS = 24;
    private static final CostModel BY_MACS = new CostModel(1, 0, 0, 0, 1);

    private FactorizedConv<?> build(int order, int[] ranks, int... fixed) {
        long[] kernel = {3, 2, 3};
        long[] k = new long[order];
        System.arraycopy(kernel, 0, k, 0, order);
        FactorizedConvBuilder<?> b =
                FactorizedConv.builder()
                        .setInChannels(CHANNELS)
                        .setOutChannels(CHANNELS + 1)
                        .setKernelShape(new Shape(k))
                        .setFactorization(Factorization.TUCKER)
                        .setRank(Rank.of(ranks))
                        .optStride(FactorizedConvTest.per(order, 2, 1))
                        .optPadding(FactorizedConvTest.per(order, 1, 0))
                        .optDilation(FactorizedConvTest.per(order, 2, 1))
                        .optSeed(5);
        if (fixed.length > 0) {
            b.optFixedRankModes(fixed);
        }
        FactorizedConv<?> conv = b.build();
        // decide by multiply-accumulates alone, so the pipeline does not depend on the tuning
        conv.setCostModel(BY_MACS);
        return conv;
    }

    private static Shape input(int order) {
        long[] spatial = {31, 17, 9};
        long[] s = new long[order + 2];
        s[0] = 4;
        s[1] = CHANNELS;
        System.arraycopy(spatial, 0, s, 2, order);
        return new Shape(s);
    }

    private NDArray forward(FactorizedConv<?> conv, NDArray x, boolean training) {
        return conv.forward(new ParameterStore(manager, false), new NDList(x), training).head();
    }

    private static boolean runsDepthwise(FactorizedConv<?> conv, Shape in) {
        return conv.cost(ConvImplementation.FACTORIZED, in, false).getOperationList().stream()
                .anyMatch(op -> op.kind() == ConvCost.Kind.DEPTHWISE);
    }

    /**
     * Rank tuples (out, in, spatial…) with spatial ranks 1, with a spatial rank 2, and with a fixed
     * output mode.
     */
    private List<FactorizedConv<?>> cases(int order) {
        int[] ones = new int[order + 2];
        java.util.Arrays.fill(ones, 1);
        ones[0] = 10;
        ones[1] = 8;
        int[] mixed = ones.clone();
        mixed[2] = 2;
        List<FactorizedConv<?>> cases = new ArrayList<>();
        cases.add(build(order, ones));
        if (order > 1) {
            // a spatial rank of 2 pays off once the kernel has more than one spatial mode
            cases.add(build(order, mixed));
        }
        int[] fixedOut = ones.clone();
        fixedOut[0] = CHANNELS + 1;
        cases.add(build(order, fixedOut, 0));
        return cases;
    }

    @Test
    public void separablePipelineEqualsReconstructed() {
        for (int order = 1; order <= 3; order++) {
            Shape in = input(order);
            for (FactorizedConv<?> conv : cases(order)) {
                conv.initialize(manager, DataType.FLOAT32, in);
                Assert.assertTrue(runsDepthwise(conv, in), "separable pipeline not chosen");
                FactorizedConvTest.setBias(conv, randn(9, DataType.FLOAT32, CHANNELS + 1));
                NDArray x = randn(3, DataType.FLOAT32, in.getShape());
                conv.setImplementation(ConvImplementation.RECONSTRUCTED);
                NDArray reference = forward(conv, x, false);
                conv.setImplementation(ConvImplementation.FACTORIZED);
                NDArray y = forward(conv, x, false);
                Assert.assertEquals(y.getShape(), reference.getShape());
                double err = relError(y, reference);
                Assert.assertTrue(err <= 1e-5, "order " + order + ": " + err + " on " + engine());
            }
        }
    }

    @Test
    public void separableGradientsEqualReconstructed() {
        for (int order = 1; order <= 3; order++) {
            Shape in = input(order);
            // two identical blocks (same seed), one backward pass each
            List<FactorizedConv<?>> separable = cases(order);
            List<FactorizedConv<?>> rebuilt = cases(order);
            for (int c = 0; c < separable.size(); c++) {
                separable.get(c).initialize(manager, DataType.FLOAT64, in);
                rebuilt.get(c).initialize(manager, DataType.FLOAT64, in);
                NDArray x = randn(4, DataType.FLOAT64, in.getShape());
                List<double[]> expected =
                        gradients(rebuilt.get(c), x, ConvImplementation.RECONSTRUCTED);
                List<double[]> actual =
                        gradients(separable.get(c), x, ConvImplementation.FACTORIZED);
                for (int i = 0; i < expected.size(); i++) {
                    double err =
                            relError(
                                    manager.create(actual.get(i)), manager.create(expected.get(i)));
                    Assert.assertTrue(
                            err <= 1e-9,
                            "order " + order + " case " + c + " parameter " + i + ": " + err);
                }
            }
        }
    }

    private List<double[]> gradients(FactorizedConv<?> conv, NDArray x, ConvImplementation impl) {
        conv.setImplementation(impl);
        NDArray g =
                randn(
                        6,
                        DataType.FLOAT64,
                        conv.getOutputShapes(new Shape[] {x.getShape()})[0].getShape());
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(forward(conv, x, true).mul(g).sum());
        }
        List<double[]> out = new ArrayList<>();
        for (Parameter p : conv.getParameters().values()) {
            out.add(p.getArray().getGradient().toDoubleArray());
        }
        return out;
    }

    @Test
    public void fullSpatialRanksKeepTheFoldedCore() {
        FactorizedConv<?> conv = build(2, new int[] {10, 8, 3, 2});
        Shape in = input(2);
        conv.initialize(manager, DataType.FLOAT32, in);
        Assert.assertFalse(runsDepthwise(conv, in), "a 6-kernel bank costs more than folding");
    }
}
