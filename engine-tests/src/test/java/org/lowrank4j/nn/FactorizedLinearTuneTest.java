package org.lowrank4j.nn;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.lowrank4j.cost.BlockTimer;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.cost.LinearCost;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** {@link FactorizedLinear#tune} and the decisions of AUTO. */
public class FactorizedLinearTuneTest extends EngineTestBase {

    private FactorizedLinear layer(Factorization f, long in, long out, double fraction) {
        FactorizedLinear block =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(Tensorize.shapes(in, out, 3).getKey())
                        .setOutTensorizedFeatures(Tensorize.shapes(in, out, 3).getValue())
                        .setFactorization(f)
                        .setRank(Rank.fraction(fraction))
                        .optSeed(1)
                        .build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        return block;
    }

    /** A meter whose passes take {@code factorized} or {@code reconstructed} nanoseconds. */
    private static LatencyMeter fake(long factorized, long reconstructed) {
        BlockTimer timer =
                (block, inputs) ->
                        ((FactorizedLinear) block).getImplementation()
                                        == ConvImplementation.FACTORIZED
                                ? factorized
                                : reconstructed;
        return LatencyMeter.builder().optWarmup(1).optRepeats(3).optTimer(timer).build();
    }

    @Test
    public void tuneWithAMeterUsesItsCacheAndRestoresTheSetting() {
        AtomicInteger runs = new AtomicInteger();
        BlockTimer timer =
                (block, inputs) -> {
                    runs.incrementAndGet();
                    return ((FactorizedLinear) block).getImplementation()
                                    == ConvImplementation.FACTORIZED
                            ? 1_000_000
                            : 3_000_000;
                };
        LatencyMeter meter =
                LatencyMeter.builder().optWarmup(1).optRepeats(3).optTimer(timer).build();
        FactorizedLinear block = layer(Factorization.TUCKER, 64, 64, 0.25);
        Shape x = new Shape(8, 64);
        Map<ConvImplementation, Double> ms = block.tune(meter, x);
        Assert.assertEquals(ms.get(ConvImplementation.FACTORIZED), 1.0, 1e-12);
        Assert.assertEquals(ms.get(ConvImplementation.RECONSTRUCTED), 3.0, 1e-12);
        Assert.assertEquals(block.chooseImplementation(8, false), ConvImplementation.FACTORIZED);
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
        // two implementations, one warm-up and three timed passes each
        Assert.assertEquals(runs.get(), 8);
        // a block of the same configuration is measured from the meter's cache
        FactorizedLinear twin = layer(Factorization.TUCKER, 64, 64, 0.25);
        Assert.assertEquals(twin.tune(meter, x), ms);
        Assert.assertEquals(runs.get(), 8);
        Assert.assertEquals(twin.chooseImplementation(8, false), ConvImplementation.FACTORIZED);
        assertIllegalArgument(() -> block.tune((LatencyMeter) null, x), "latency meter null");
        assertIllegalArgument(() -> block.tune(meter), "no input shape");
        assertIllegalArgument(() -> block.tune(meter, new Shape(8, 63)), "63");
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
    }

    @Test
    public void tuneRecordsTheFasterImplementationForThatBatch() {
        FactorizedLinear block = layer(Factorization.TUCKER, 64, 64, 0.25);
        Shape x = new Shape(4, 2, 64); // 8 rows

        Map<ConvImplementation, Double> ms = block.tune(manager, x, fake(1_000_000, 3_000_000));
        Assert.assertEquals(ms.get(ConvImplementation.FACTORIZED), 1.0, 1e-12);
        Assert.assertEquals(ms.get(ConvImplementation.RECONSTRUCTED), 3.0, 1e-12);
        Assert.assertEquals(block.chooseImplementation(8, false), ConvImplementation.FACTORIZED);
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
        // other batch sizes and training keep the cost model's choice
        FactorizedLinear untuned = layer(Factorization.TUCKER, 64, 64, 0.25);
        Assert.assertEquals(
                block.chooseImplementation(16, false), untuned.chooseImplementation(16, false));
        Assert.assertEquals(
                block.chooseImplementation(8, true), untuned.chooseImplementation(8, true));

        block.tune(manager, new Shape(8, 64), fake(5_000_000, 2_000_000));
        Assert.assertEquals(block.chooseImplementation(8, false), ConvImplementation.RECONSTRUCTED);
        // a tie goes to the reconstructed (dense-speed) implementation
        block.tune(manager, new Shape(8, 64), fake(2_000_000, 2_000_000));
        Assert.assertEquals(block.chooseImplementation(8, false), ConvImplementation.RECONSTRUCTED);
        // a fixed implementation is not overridden by tuning
        block.setImplementation(ConvImplementation.FACTORIZED);
        Assert.assertEquals(block.chooseImplementation(8, false), ConvImplementation.FACTORIZED);
    }

    @Test
    public void tuneTimesBothImplementationsOnTheEngine() {
        for (Factorization f : new Factorization[] {Factorization.CP, Factorization.TT}) {
            FactorizedLinear block = layer(f, 64, 32, 0.5);
            Map<ConvImplementation, Double> ms = block.tune(manager, new Shape(5, 64), 1, 3);
            Assert.assertEquals(
                    ms.keySet(),
                    EnumSet.of(ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED));
            ConvImplementation faster =
                    ms.get(ConvImplementation.FACTORIZED) < ms.get(ConvImplementation.RECONSTRUCTED)
                            ? ConvImplementation.FACTORIZED
                            : ConvImplementation.RECONSTRUCTED;
            Assert.assertEquals(block.chooseImplementation(5, false), faster);
        }
    }

    @Test
    public void badTuneArgumentsAreRejectedAndLeaveTheBlockUnchanged() {
        FactorizedLinear block = layer(Factorization.CP, 64, 64, 0.25);
        ConvImplementation before = block.chooseImplementation(8, false);
        assertIllegalArgument(() -> block.tune(manager, new Shape(8, 63), fake(1, 9)), "(8, 63)");
        assertIllegalArgument(() -> block.tune(manager, new Shape(8, 64), -1, 3), "warmup -1");
        assertIllegalArgument(() -> block.tune(manager, new Shape(8, 64), 0, 0), "repeats 0");
        Assert.assertEquals(block.chooseImplementation(8, false), before);
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
        // a failing timer leaves the implementation as it was
        BlockTimer failing =
                (b, inputs) -> {
                    throw new IllegalStateException("timer failed");
                };
        Assert.expectThrows(
                IllegalStateException.class,
                () ->
                        block.tune(
                                manager,
                                new Shape(8, 64),
                                LatencyMeter.builder().optTimer(failing).build()));
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
        Assert.assertEquals(block.chooseImplementation(8, false), before);
        // not initialised
        FactorizedLinear fresh =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(8, 8))
                        .setOutTensorizedFeatures(new Shape(8, 8))
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(4))
                        .build();
        Assert.expectThrows(
                IllegalStateException.class, () -> fresh.tune(manager, new Shape(2, 64), 0, 1));
    }

    @Test
    public void untunedAutoFollowsTheBenchmark() {
        // measured (docs/benchmarks/linear.md): the factorized Tucker Linear(1024, 1024) at rank
        // 0.5
        // has fewer multiply-adds than the dense product but is slower on both engines; at 0.1 it
        // is faster on PyTorch, and slower on MXNet, whose engine calls cost more
        FactorizedLinear half = layer(Factorization.TUCKER, 1024, 1024, 0.5);
        FactorizedLinear tenth = layer(Factorization.TUCKER, 1024, 1024, 0.1);
        Assert.assertEquals(half.chooseImplementation(64, false), ConvImplementation.RECONSTRUCTED);
        Assert.assertEquals(
                tenth.chooseImplementation(64, false),
                "MXNet".equals(engine())
                        ? ConvImplementation.RECONSTRUCTED
                        : ConvImplementation.FACTORIZED);
        // in training the weight would be rebuilt at every pass, which costs more
        Assert.assertEquals(half.chooseImplementation(64, true), ConvImplementation.FACTORIZED);
        // small layers: every factorized chain is slower than the cached weight
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            for (double fraction : new double[] {0.5, 0.25, 0.1}) {
                Assert.assertEquals(
                        layer(f, 256, 256, fraction).chooseImplementation(32, false),
                        ConvImplementation.RECONSTRUCTED,
                        f + " " + fraction);
            }
        }
    }

    @Test
    public void memoryAndCallsCountBesideMultiplyAdds() {
        Shape shape = new Shape(4, 16, 16);
        long[] ranks = {4, 14, 14};
        LinearCost.Estimate tucker = LinearCost.tucker(64, shape, shape, ranks, ranks);
        LinearCost.Estimate dense = LinearCost.dense(64, 1024, 1024);
        Assert.assertEquals(dense.macs(), 64L * 1024 * 1024);
        Assert.assertTrue(tucker.macs() < 0.7 * dense.macs(), tucker + " vs " + dense);
        LinearCost.Weights weights = new LinearCost.Weights(30, 200_000);
        Assert.assertTrue(tucker.total(weights) > dense.total(weights), tucker + " vs " + dense);
        Assert.assertEquals(
                tucker.total(weights),
                tucker.macs() + 30 * tucker.elements() + 200_000 * tucker.calls());
        Assert.assertEquals(
                LinearCost.Weights.forEngine("MXNet").callOverhead(),
                LinearCost.Weights.MXNET.callOverhead());
        Assert.assertSame(LinearCost.Weights.forEngine("PyTorch"), LinearCost.Weights.PYTORCH);
        assertIllegalArgument(() -> new LinearCost.Weights(-1, 0), "-1");
        // the FLOPs a block reports are the multiply-adds alone
        FactorizedLinear tenth = layer(Factorization.TUCKER, 1024, 1024, 0.1);
        long[] r = {3, 11, 11};
        long ops =
                tenth.chooseImplementation(64, false) == ConvImplementation.FACTORIZED
                        ? LinearCost.tucker(64, shape, shape, r, r).macs()
                        : 64L * 1024 * 1024;
        Assert.assertEquals(tenth.cost(new Shape(64, 1024)).getFlops(), ops + 64 * 1024);
    }
}
