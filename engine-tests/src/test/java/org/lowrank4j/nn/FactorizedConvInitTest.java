package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.TTTensor;
import org.lowrank4j.tensor.TuckerTensor;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Initialisation, conversion from DJL convolutions and the typed decompositions. */
public class FactorizedConvInitTest extends EngineTestBase {

    private NDArray forward(FactorizedConv<?> conv, NDArray x) {
        return conv.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    private static double rms(NDArray a) {
        double s = 0;
        for (double v : a.toType(DataType.FLOAT64, true).toDoubleArray()) {
            s += v * v;
        }
        return Math.sqrt(s / a.size());
    }

    private static FactorizedConvBuilder<?> small(Factorization f) {
        return FactorizedConv.builder()
                .setInChannels(6)
                .setOutChannels(5)
                .setKernelSize(3)
                .setOrder(2)
                .setFactorization(f)
                .setRank(Rank.fraction(0.5))
                .optSeed(3);
    }

    @Test
    public void randomFactorsGiveTheKernelStd() {
        double std = Math.sqrt(2.0 / (6 * 9));
        for (Factorization f : FactorizedConvTest.FORMATS) {
            FactorizedConv<?> conv = small(f).build();
            conv.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
            try (NDArray k = conv.reconstructKernel()) {
                Assert.assertEquals(k.getShape(), new Shape(5, 6, 3, 3));
                Assert.assertEquals(rms(k), std, 1e-4 * std, f + " on " + engine());
            }
            conv.initFromRandom(false, 0.5);
            try (NDArray k = conv.reconstructKernel()) {
                Assert.assertEquals(rms(k), 0.5, 1e-4, f + " on " + engine());
            }
            conv.initFromRandom(true, 0.5);
            try (NDArray k = conv.reconstructKernel()) {
                double r = rms(k);
                Assert.assertTrue(r > 0.1 && r < 0.5, f + " decomposed rms " + r);
            }
            Assert.assertEquals(rms(conv.getBias()), 0.0);
        }
    }

    @Test
    public void randomChoiceBeforeInitializeAppliesToInitialize() {
        FactorizedConv<?> conv = small(Factorization.TUCKER).build();
        conv.initFromRandom(false, 2.0);
        conv.initialize(manager, DataType.FLOAT64, new Shape(1, 6, 5, 5));
        try (NDArray k = conv.reconstructKernel()) {
            Assert.assertEquals(k.getDataType(), DataType.FLOAT64);
            Assert.assertEquals(rms(k), 2.0, 1e-9);
        }
    }

    @Test
    public void initFromTensorAtFullRankIsExact() {
        NDArray kernel = randn(1, DataType.FLOAT32, 5, 6, 3, 3);
        NDArray bias = randn(2, DataType.FLOAT32, 5);
        NDArray x = randn(3, DataType.FLOAT32, 2, 6, 7, 6);
        NDArray expected =
                ConvOps.conv(x, kernel, bias, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1);
        for (Factorization f : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            FactorizedConv<?> conv =
                    small(f).setRank(Rank.of(1000)).optPadding(new Shape(1, 1)).build();
            double err = conv.initFromTensor(kernel, bias);
            Assert.assertTrue(err < 1e-5, f + " decomposition error " + err);
            assertClose(forward(conv, x), expected, 1e-4);
        }
        // a kernel of CP rank 4 is recovered by a rank-4 CP convolution
        NDArray cpKernel = CPTensor.normal(manager, new Shape(5, 6, 3, 3), 4, 1.0, 5).toFull();
        FactorizedConv<?> cp = small(Factorization.CP).setRank(Rank.of(4)).build();
        double err = cp.initFromTensor(cpKernel, null);
        Assert.assertTrue(err < 1e-3, "CP decomposition error " + err + " on " + engine());
        assertClose(cp.reconstructKernel(), cpKernel, 1e-3);
    }

    @Test
    public void initFromTensorTakesDecompositionOptions() {
        NDArray cpKernel = CPTensor.normal(manager, new Shape(5, 6, 3, 3), 4, 1.0, 5).toFull();
        CPConv cp = (CPConv) small(Factorization.CP).setRank(Rank.of(4)).build();
        cp.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
        double err =
                cp.initFromTensor(
                        cpKernel,
                        null,
                        k ->
                                org.lowrank4j.decompose.Parafac.builder()
                                        .setRank(4)
                                        .optInit(org.lowrank4j.decompose.Parafac.Init.RANDOM)
                                        .optSeed(3)
                                        .optMaxIterations(1000)
                                        .optTolerance(1e-14)
                                        .build()
                                        .fit(k));
        Assert.assertTrue(err < 1e-3, "CP decomposition error " + err + " on " + engine());
        assertClose(cp.reconstructKernel(), cpKernel, 1e-3);
        // a decomposition of another rank is refused and the block keeps its kernel
        float[] before = cp.reconstructKernel().toFloatArray();
        Assert.expectThrows(
                IllegalArgumentException.class,
                () ->
                        cp.initFromTensor(
                                cpKernel,
                                null,
                                k ->
                                        org.lowrank4j.decompose.Parafac.builder()
                                                .setRank(5)
                                                .build()
                                                .fit(k)));
        Assert.assertEquals(cp.reconstructKernel().toFloatArray(), before);
    }

    @Test
    public void decompositionsAreTyped() {
        CPConv cp = (CPConv) small(Factorization.CP).build();
        cp.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
        CPTensor c = cp.getDecomposition();
        Assert.assertEquals(c.getShape(), new Shape(5, 6, 3, 3));
        Assert.assertEquals(c.getRank(), cp.getRank());
        Assert.assertEquals(c.numParameters() + 5, cp.numParameters());
        assertClose(c.toFull(), cp.reconstructKernel(), 1e-6);

        TuckerConv tucker =
                (TuckerConv) small(Factorization.TUCKER).optFixedRankModes("spatial").build();
        tucker.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
        TuckerTensor t = tucker.getDecomposition();
        Assert.assertEquals(t.getFactorizedModes(), new int[] {0, 1});
        Assert.assertEquals(tucker.getFixedRankModes(), new int[] {2, 3});
        Assert.assertEquals(t.getRank()[2], 3);
        Assert.assertEquals(t.getRank(), tucker.getRank());

        TTConv tt = (TTConv) small(Factorization.TT).build();
        tt.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
        TTTensor train = tt.getDecomposition();
        Assert.assertEquals(train.getShape(), new Shape(6, 3, 3, 5));
        Assert.assertEquals(train.getRank(), tt.getRank());
        // initFromDecomposition takes the typed tensor back
        TTTensor doubled;
        try (NDArray core = train.getCore(0).mul(2)) {
            java.util.List<NDArray> cores = new java.util.ArrayList<>(train.getCores());
            cores.set(0, core);
            doubled = new TTTensor(cores);
            NDArray before = tt.reconstructKernel();
            tt.initFromDecomposition(doubled, null);
            assertClose(tt.reconstructKernel(), before.mul(2), 1e-6);
        }
    }

    private static Convolution djlConv(int order, int groups) {
        Shape stride = FactorizedConvTest.per(order, 2, 1);
        Shape padding = FactorizedConvTest.per(order, 1, 0);
        Shape dilation = FactorizedConvTest.per(order, 2, 1);
        Shape kernel = FactorizedConvTest.per(order, 3, 2);
        switch (order) {
            case 1:
                return Conv1d.builder()
                        .setKernelShape(kernel)
                        .setFilters(6)
                        .optStride(stride)
                        .optPadding(padding)
                        .optDilation(dilation)
                        .optGroups(groups)
                        .build();
            case 2:
                return Conv2d.builder()
                        .setKernelShape(kernel)
                        .setFilters(6)
                        .optStride(stride)
                        .optPadding(padding)
                        .optDilation(dilation)
                        .optGroups(groups)
                        .build();
            default:
                return Conv3d.builder()
                        .setKernelShape(kernel)
                        .setFilters(6)
                        .optStride(stride)
                        .optPadding(padding)
                        .optDilation(dilation)
                        .optGroups(groups)
                        .build();
        }
    }

    @Test
    public void fromConvCopiesGeometryAndReproducesAtFullRank() {
        for (int order = 1; order <= 3; order++) {
            Convolution conv = djlConv(order, 1);
            Shape in = FactorizedConvTest.input(order);
            conv.initialize(manager, DataType.FLOAT32, in);
            // a non-zero bias, so that copying it is tested
            conv.getParameters().get("bias").getArray().addi(0.5);
            NDArray x = randn(7, DataType.FLOAT32, in.getShape());
            NDArray expected =
                    conv.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                FactorizedConv<?> tucker =
                        FactorizedConv.fromConv(
                                conv, Rank.of(1000), Factorization.TUCKER, impl, true);
                Assert.assertEquals(tucker.getStride(), conv.getStride());
                Assert.assertEquals(tucker.getPadding(), conv.getPadding());
                Assert.assertEquals(tucker.getDilation(), conv.getDilation());
                Assert.assertTrue(tucker.hasBias());
                Assert.assertEquals(tucker.getInChannels(), 4);
                assertClose(forward(tucker, x), expected, 1e-4);
            }
            FactorizedConv<?> cp =
                    FactorizedConv.fromConv(
                            conv,
                            Rank.fraction(0.5),
                            Factorization.CP,
                            ConvImplementation.FACTORIZED,
                            false);
            Assert.assertFalse(cp.isInitialized());
            Assert.assertEquals(
                    cp.getOutputShapes(new Shape[] {in})[0],
                    conv.getOutputShapes(new Shape[] {in})[0]);
        }
    }

    @Test
    public void fromConvRefusesGroupedConv() {
        Convolution grouped = djlConv(2, 2);
        grouped.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 9, 7));
        assertIllegalArgument(
                () ->
                        FactorizedConv.fromConv(
                                grouped,
                                Rank.same(),
                                Factorization.CP,
                                ConvImplementation.FACTORIZED,
                                true),
                "groups=2");
    }

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    public void initFromDecompositionRefusesWrongRankAndLeavesBlockUnchanged() {
        FactorizedConv conv = small(Factorization.CP).build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 5, 5));
        NDArray before = conv.reconstructKernel();
        FactorizedTensor wrong = CPTensor.normal(manager, new Shape(5, 6, 3, 3), 2, 1.0, 1);
        assertIllegalArgument(() -> conv.initFromDecomposition(wrong, null), "factor shapes");
        assertIllegalArgument(
                () -> conv.initFromTensor(randn(1, DataType.FLOAT32, 5, 6, 3), null),
                "(5, 6, 3, 3)");
        assertIllegalArgument(
                () ->
                        conv.initFromTensor(
                                randn(1, DataType.FLOAT32, 5, 6, 3, 3), manager.ones(new Shape(4))),
                "bias of shape (4)");
        Assert.assertEquals(relError(conv.reconstructKernel(), before), 0.0);
    }
}
