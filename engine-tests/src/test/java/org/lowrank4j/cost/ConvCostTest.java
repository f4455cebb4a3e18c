package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Counts of the cost model, and the implementations AUTO picks with them. */
public class ConvCostTest extends EngineTestBase {

    private static ConvGeometry g(int c, int o, long k, long batch, long size) {
        return ConvGeometry.of(
                c,
                o,
                new Shape(k, k),
                new Shape(1, 1),
                new Shape(k / 2, k / 2),
                new Shape(1, 1),
                new Shape(batch, c, size, size));
    }

    @Test
    public void geometryFollowsDjlOutputSizes() {
        ConvGeometry geo =
                ConvGeometry.of(
                        4,
                        5,
                        new Shape(3, 2),
                        new Shape(2, 1),
                        new Shape(1, 0),
                        new Shape(2, 1),
                        new Shape(2, 4, 9, 7));
        // (9 + 2 - 4 - 1) / 2 + 1 = 4 ; (7 - 1 - 1) / 1 + 1 = 6
        Assert.assertEquals(geo.outputShape(), new Shape(2, 5, 4, 6));
        Assert.assertEquals(geo.partialVolume(1), 4 * 7);
        Assert.assertEquals(geo.denseParameters(), 5 * 4 * 6);
        assertIllegalArgument(
                () ->
                        ConvGeometry.of(
                                4,
                                5,
                                new Shape(3),
                                new Shape(1),
                                new Shape(0),
                                new Shape(1),
                                new Shape(1, 4, 2)),
                "too small");
    }

    @Test
    public void countsAreExact() {
        ConvGeometry geo = g(64, 64, 3, 8, 32);
        ConvCost dense = ConvCost.dense(geo);
        Assert.assertEquals(dense.getMacs(), 8L * 64 * 64 * 9 * 1024);
        Assert.assertEquals(dense.getFlops(), 2 * dense.getMacs());
        Assert.assertEquals(dense.getMemory(), 8L * 64 * 1024 * 2 + 64 * 64 * 9);
        ConvCost cp = ConvCost.cpFactorized(geo, 10);
        // two 1x1 convolutions, two depthwise 1-D convolutions, folding the weights
        Assert.assertEquals(cp.getMacs(), 2 * 8L * 64 * 10 * 1024 + 64 * 10);
        Assert.assertEquals(cp.getDepthwiseMacs(), 2 * 8L * 10 * 3 * 1024);
        ConvCost tt = ConvCost.ttFactorized(geo, new int[] {1, 8, 6, 7, 1});
        Assert.assertEquals(tt.getMacs(), 8L * 1024 * (64 * 8 + 8 * 6 * 3 + 6 * 7 * 3 + 7 * 64));
        assertIllegalArgument(() -> ConvCost.ttFactorized(geo, new int[] {1, 2, 1}), "5 bond");
        assertIllegalArgument(() -> new CostModel(1, 1, 1, 1, 0), "margin 0.0");
    }

    private static FactorizedConv<?> layer(Factorization f, int channels, Rank rank) {
        return FactorizedConv.builder()
                .setInChannels(channels)
                .setOutChannels(channels)
                .setKernelSize(3)
                .setOrder(2)
                .setFactorization(f)
                .setRank(rank)
                .optPadding(new Shape(1, 1))
                .optImplementation(ConvImplementation.AUTO)
                .build();
    }

    @Test
    public void autoFactorizesOnlyWhenItPays() {
        Shape in = new Shape(8, 256, 14, 14);
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            FactorizedConv<?> small = layer(f, 256, Rank.fraction(0.1));
            ConvImplementation chosen = small.chooseImplementation(in, false);
            Assert.assertNotEquals(chosen, ConvImplementation.RECONSTRUCTED, f.toString());
            CostModel model = small.getCostModel();
            Assert.assertTrue(
                    model.estimate(small.cost(ConvImplementation.AUTO, in, false))
                            < 0.5
                                    * model.estimate(
                                            small.cost(
                                                    ConvImplementation.RECONSTRUCTED, in, false)));
            // an over-parametrised factorization never beats the dense kernel
            FactorizedConv<?> big = layer(f, 16, Rank.fraction(2.0));
            Assert.assertEquals(
                    big.chooseImplementation(new Shape(8, 16, 14, 14), false),
                    ConvImplementation.RECONSTRUCTED,
                    f.toString());
        }
        // in training the reconstruction is paid at every pass
        FactorizedConv<?> cp = layer(Factorization.CP, 64, Rank.fraction(0.5));
        Shape in64 = new Shape(8, 64, 32, 32);
        Assert.assertTrue(
                cp.cost(ConvImplementation.RECONSTRUCTED, in64, true).getTotalMacs()
                        > cp.cost(ConvImplementation.RECONSTRUCTED, in64, false).getTotalMacs());
    }

    @Test
    public void eachEngineHasItsOwnModelAndABlockUsesItsEnginesUnlessOneIsSet() {
        Assert.assertSame(CostModel.forEngine("MXNet"), CostModel.MXNET);
        Assert.assertSame(CostModel.forEngine("PyTorch"), CostModel.PYTORCH);
        Assert.assertSame(CostModel.forEngine("OnnxRuntime"), CostModel.PYTORCH);
        Assert.assertSame(CostModel.defaults(), CostModel.PYTORCH);
        FactorizedConv<?> conv = layer(Factorization.TT, 8, Rank.fraction(0.5));
        CostModel mine = CostModel.forEngine(engine());
        Assert.assertSame(conv.getCostModel(), mine);
        Shape in = new Shape(2, 8, 6, 6);
        conv.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, in);
        Assert.assertSame(conv.getCostModel(), mine);
        CostModel byMacs = new CostModel(1, 0, 0, 0, 1);
        conv.setCostModel(byMacs);
        Assert.assertSame(conv.getCostModel(), byMacs);
        assertIllegalArgument(() -> conv.setCostModel(null), "costModel null");
        assertIllegalArgument(() -> FactorizedConv.builder().optCostModel(null), "costModel null");
    }

    @Test
    public void theEngineModelsKeepWhatEachEngineRunsFaster() {
        // measured: the tensor train of Conv2d(64,64,3) at rank 0.5 on (8,64,32,32) runs in 0.6x
        // of the dense time on PyTorch, but in 0.8x to 1.3x on MXNet (one and two threads)
        Shape first = new Shape(8, 64, 32, 32);
        FactorizedConv<?> tt = layer(Factorization.TT, 64, Rank.fraction(0.5));
        tt.setCostModel(CostModel.PYTORCH);
        Assert.assertEquals(tt.chooseImplementation(first, false), ConvImplementation.FACTORIZED);
        tt.setCostModel(CostModel.MXNET);
        Assert.assertEquals(
                tt.chooseImplementation(first, false), ConvImplementation.RECONSTRUCTED);
        // CP there is about 2x slower than dense on both, Tucker 1.4x to 2x
        for (CostModel model : new CostModel[] {CostModel.PYTORCH, CostModel.MXNET}) {
            for (Factorization f : new Factorization[] {Factorization.CP, Factorization.TUCKER}) {
                FactorizedConv<?> conv = layer(f, 64, Rank.fraction(0.5));
                conv.setCostModel(model);
                Assert.assertEquals(
                        conv.chooseImplementation(first, false),
                        ConvImplementation.RECONSTRUCTED,
                        f + " " + model);
            }
        }
        // at rank 0.1 of Conv2d(256,256,3) on (8,256,14,14) every pipeline is 3x to 7x faster;
        // PyTorch runs CP fastest as MobileNet, MXNet with two 1-D depthwise convolutions
        Shape second = new Shape(8, 256, 14, 14);
        FactorizedConv<?> cp = layer(Factorization.CP, 256, Rank.fraction(0.1));
        cp.setCostModel(CostModel.PYTORCH);
        Assert.assertEquals(cp.chooseImplementation(second, false), ConvImplementation.MOBILENET);
        cp.setCostModel(CostModel.MXNET);
        Assert.assertEquals(cp.chooseImplementation(second, false), ConvImplementation.FACTORIZED);
    }

    @Test
    public void tuningMeasuresEveryImplementationAndPicksTheFastest() {
        FactorizedConv<?> cp = layer(Factorization.CP, 8, Rank.fraction(0.5));
        Shape in = new Shape(2, 8, 10, 10);
        Assert.expectThrows(IllegalStateException.class, () -> cp.tune(manager, in, 0, 1));
        cp.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, in);
        java.util.Map<ConvImplementation, Double> times = cp.tune(manager, in, 1, 3);
        Assert.assertEquals(
                times.keySet(),
                java.util.EnumSet.of(
                        ConvImplementation.RECONSTRUCTED,
                        ConvImplementation.FACTORIZED,
                        ConvImplementation.MOBILENET));
        ConvImplementation fastest =
                java.util.Collections.min(times.entrySet(), java.util.Map.Entry.comparingByValue())
                        .getKey();
        Assert.assertEquals(cp.chooseImplementation(in, false), fastest);
        assertIllegalArgument(() -> cp.tune(manager, in, -1, 1), "warmup -1");
        assertIllegalArgument(
                () -> cp.tune(manager, new Shape(2, 7, 10, 10), 0, 1), "(2, 7, 10, 10)");
    }

    @Test
    public void tuningWithAnInjectedTimerPicksTheFastestDeterministically() {
        FactorizedConv<?> cp = layer(Factorization.CP, 8, Rank.fraction(0.5));
        Shape in = new Shape(2, 8, 10, 10);
        cp.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, in);
        for (ConvImplementation fastest :
                new ConvImplementation[] {
                    ConvImplementation.MOBILENET,
                    ConvImplementation.FACTORIZED,
                    ConvImplementation.RECONSTRUCTED
                }) {
            LatencyMeter meter =
                    LatencyMeter.builder()
                            .optWarmup(0)
                            .optRepeats(3)
                            .optTimer(
                                    (block, inputs) ->
                                            ((FactorizedConv<?>) block).getImplementation()
                                                            == fastest
                                                    ? 1_000_000L
                                                    : 2_000_000L)
                            .build();
            java.util.Map<ConvImplementation, Double> times = cp.tune(manager, in, meter);
            Assert.assertEquals(times.get(fastest), 1.0, 1e-12);
            Assert.assertEquals(cp.chooseImplementation(in, false), fastest);
            Assert.assertEquals(cp.getImplementation(), ConvImplementation.AUTO);
        }
    }
}
