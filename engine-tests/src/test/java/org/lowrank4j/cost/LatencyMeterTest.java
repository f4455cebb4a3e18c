package org.lowrank4j.cost;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Latency measurement with injected clocks and timings: no test depends on wall-clock speed. */
public class LatencyMeterTest extends EngineTestBase {

    private Block linear(int units, long in) {
        Block b = Linear.builder().setUnits(units).build();
        b.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        return b;
    }

    private Block conv(int padding, int dilation) {
        Block b =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(4)
                        .optPadding(new Shape(padding, padding))
                        .optDilation(new Shape(dilation, dilation))
                        .build();
        b.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 8, 8));
        return b;
    }

    /** A timer that counts its runs and always reports the same duration. */
    private static BlockTimer counting(AtomicInteger runs, long nanos) {
        return (block, inputs) -> {
            runs.incrementAndGet();
            return nanos;
        };
    }

    @Test
    public void theMedianOfTheTimedRunsComesFromTheClock() {
        // run j takes durations[j] ms: two warm-up runs, then five timed runs
        long[] durations = {100, 50, 5, 1, 9, 3, 7};
        long[] calls = {0};
        LongSupplier clock =
                () -> {
                    long c = calls[0]++;
                    long run = c / 2;
                    long start = run * 1_000_000_000L;
                    return c % 2 == 0 ? start : start + durations[(int) run] * 1_000_000L;
                };
        LatencyMeter meter =
                LatencyMeter.builder().optWarmup(2).optRepeats(5).optClock(clock).build();
        Block b = linear(4, 6);
        Assert.assertEquals(meter.measure(b, new Shape(3, 6)), 5.0, 1e-12);
        Assert.assertEquals(calls[0], 14);
        // cached: the clock is not read again
        Assert.assertEquals(meter.measure(b, new Shape(3, 6)), 5.0, 1e-12);
        Assert.assertEquals(calls[0], 14);
    }

    @Test
    public void theCacheIsKeyedByConfigurationShapeEngineDeviceAndThreads() {
        AtomicInteger runs = new AtomicInteger();
        LatencyCache cache = new LatencyCache();
        LatencyMeter one =
                LatencyMeter.builder()
                        .optWarmup(0)
                        .optRepeats(1)
                        .optThreads(1)
                        .optCache(cache)
                        .optTimer(counting(runs, 2_000_000))
                        .build();
        Assert.assertEquals(one.measure(linear(4, 6), new Shape(3, 6)), 2.0, 1e-12);
        Assert.assertEquals(runs.get(), 1);
        // another block of the same configuration shares the measurement
        one.measure(linear(4, 6), new Shape(3, 6));
        Assert.assertEquals(runs.get(), 1);
        // another input shape, another configuration: measured again
        one.measure(linear(4, 6), new Shape(5, 6));
        Assert.assertEquals(runs.get(), 2);
        one.measure(linear(5, 6), new Shape(3, 6));
        Assert.assertEquals(runs.get(), 3);
        // convolutions with the same parameter shapes but other padding or dilation differ
        one.measure(conv(1, 1), new Shape(1, 2, 8, 8));
        one.measure(conv(2, 2), new Shape(1, 2, 8, 8));
        Assert.assertEquals(runs.get(), 5);
        Assert.assertNotEquals(
                one.keyOf(conv(1, 1), new Shape(1, 2, 8, 8)),
                one.keyOf(conv(2, 2), new Shape(1, 2, 8, 8)));
        // a tensorized linear layer in another implementation is another configuration
        FactorizedLinear tensorized =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(2, 3))
                        .setOutTensorizedFeatures(new Shape(2, 2))
                        .setFactorization(Factorization.TUCKER)
                        .setRank(Rank.fraction(0.5))
                        .optImplementation(ConvImplementation.FACTORIZED)
                        .build();
        tensorized.initialize(manager, DataType.FLOAT32, new Shape(3, 6));
        LatencyKey factorizedKey = one.keyOf(tensorized, new Shape(3, 6));
        tensorized.setImplementation(ConvImplementation.RECONSTRUCTED);
        Assert.assertNotEquals(one.keyOf(tensorized, new Shape(3, 6)), factorizedKey);
        tensorized.setImplementation(ConvImplementation.AUTO);
        String auto = LatencyMeter.signature(tensorized, new Shape(3, 6));
        Assert.assertTrue(
                auto.contains("runs=" + tensorized.chooseImplementation(3, false).name()), auto);
        // a meter with another thread count sharing the cache measures anew, then hits
        LatencyMeter two =
                LatencyMeter.builder()
                        .optWarmup(0)
                        .optRepeats(1)
                        .optThreads(2)
                        .optCache(cache)
                        .optTimer(counting(runs, 2_000_000))
                        .build();
        two.measure(linear(4, 6), new Shape(3, 6));
        Assert.assertEquals(runs.get(), 6);
        two.measure(linear(4, 6), new Shape(3, 6));
        Assert.assertEquals(runs.get(), 6);
        Assert.assertEquals(cache.size(), 6);
        // the key carries the engine and device of the block's parameters
        LatencyKey k = one.keyOf(linear(4, 6), new Shape(3, 6));
        Assert.assertTrue(k.getEngine().startsWith(engine()), k.toString());
        Assert.assertEquals(k.getDevice(), manager.getDevice().toString());
        Assert.assertEquals(k.getThreads(), 1);
        LatencyKey same = LatencyKey.of(k.getConfig(), k.getEngine(), k.getDevice(), 1);
        Assert.assertEquals(same, k);
        Assert.assertEquals(same.hashCode(), k.hashCode());
        Assert.assertNotEquals(LatencyKey.of(k.getConfig(), "other 1.0", k.getDevice(), 1), k);
        Assert.assertNotEquals(LatencyKey.of(k.getConfig(), k.getEngine(), "gpu(0)", 1), k);
        Assert.assertNotEquals(LatencyKey.of(k.getConfig(), k.getEngine(), k.getDevice(), 4), k);
        // a cached value is used as it is
        cache.put(k, 0.25);
        Assert.assertEquals(one.measure(linear(4, 6), new Shape(3, 6)), 0.25, 1e-12);
        Assert.assertEquals(runs.get(), 6);
    }

    private SequentialBlock mlp() {
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(32).build());
        net.add(Activation.reluBlock());
        net.add(Linear.builder().setUnits(32).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(2, 32));
        return net;
    }

    private FactorizeReport factorize(Block net, long denseNanos, long factorizedNanos) {
        List<String> timed = new ArrayList<>();
        BlockTimer fake =
                (block, inputs) -> {
                    timed.add(block.getClass().getSimpleName());
                    return block instanceof LowRankLinear ? factorizedNanos : denseNanos;
                };
        LatencyMeter meter =
                LatencyMeter.builder().optWarmup(1).optRepeats(3).optTimer(fake).build();
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(FactorizePolicy.builder().setRank(Rank.of(4)).build())
                        .optLatency(meter)
                        .build()
                        .factorize(net);
        // both layers share one configuration: the dense layer is timed once (1 + 3 runs), and so
        // is each factorized block of a new configuration
        Assert.assertEquals(timed.stream().filter("Linear"::equals).count(), 4, timed.toString());
        return report;
    }

    @Test
    public void aSwapThatMeasuresSlowerIsNotMade() {
        Block net = mlp();
        FactorizeReport report = factorize(net, 1_000_000, 3_000_000);
        Assert.assertTrue(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertEquals(l.getLatencyBefore(), 1.0, 1e-12);
            Assert.assertEquals(l.getLatencyAfter(), 3.0, 1e-12);
            Assert.assertTrue(l.getReason().contains("measured slower"), l.getReason());
        }
        Assert.assertTrue(net.getChildren().valueAt(0) instanceof Linear);
        Assert.assertTrue(report.toString().contains("latency ms"), report.toString());
    }

    @Test
    public void aSwapThatMeasuresFasterIsMadeAndReported() {
        Block net = mlp();
        FactorizeReport report = factorize(net, 3_000_000, 1_000_000);
        Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Assert.assertEquals(l.getLatencyBefore(), 3.0, 1e-12);
            Assert.assertEquals(l.getLatencyAfter(), 1.0, 1e-12);
        }
        Assert.assertTrue(report.toCsv().contains(",3.0,1.0,true,"), report.toCsv());
        Assert.assertTrue(report.toJson().contains("\"latencyBeforeMs\": 3"), report.toJson());
        Assert.assertTrue(net.getChildren().valueAt(0) instanceof LowRankLinear);
    }

    @Test
    public void awaitingAResultReadsOneElementAndLeavesNoArray() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] arrays = {
                scope.create(2.5f),
                scope.arange(6f),
                scope.ones(new Shape(2, 3, 4, 5)).mul(3),
                scope.zeros(new Shape(2, 0, 3))
            };
            int before = scope.getManagedArrays().size();
            for (NDArray a : arrays) {
                LatencyMeter.awaitResult(a);
            }
            Assert.assertEquals(scope.getManagedArrays().size(), before);
            // the arrays themselves are untouched
            Assert.assertEquals(arrays[2].getShape(), new Shape(2, 3, 4, 5));
            Assert.assertEquals(arrays[2].sum().getFloat(), 360f);
            // a 1x1 convolution's output in an engine's blocked layout (slicing such an output
            // of this shape crashes MXNet 1.9 on AVX-512 CPUs)
            NDArray y =
                    Conv2d.conv2d(
                                    scope.ones(new Shape(8, 16, 7, 7)),
                                    scope.ones(new Shape(512, 16, 1, 1)),
                                    null,
                                    new Shape(1, 1),
                                    new Shape(0, 0),
                                    new Shape(1, 1),
                                    1)
                            .singletonOrThrow();
            LatencyMeter.awaitResult(y);
            Assert.assertEquals(y.getShape(), new Shape(8, 512, 7, 7));
            Assert.assertEquals(y.toFloatArray()[0], 16f);
        }
    }

    @Test
    public void badSettingsNameTheValue() {
        assertIllegalArgument(() -> LatencyMeter.builder().optRepeats(0), "repeats 0");
        assertIllegalArgument(() -> LatencyMeter.builder().optWarmup(-1), "-1");
        assertIllegalArgument(() -> LatencyMeter.builder().optThreads(0), "threads 0");
        assertIllegalArgument(
                () -> new LatencyCache().put(LatencyKey.of("a", "b", "c", 1), -2), "-2");
        assertIllegalArgument(() -> LatencyKey.of("a", "b", "c", 0), "0 threads");
    }
}
