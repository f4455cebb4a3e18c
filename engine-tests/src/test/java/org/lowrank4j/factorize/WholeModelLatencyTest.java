package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import java.util.function.ToLongFunction;
import org.lowrank4j.cost.BlockTimer;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.lowrank4j.testing.Timers;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * With a latency meter, swaps that each measure faster are kept only if the whole model measures no
 * slower with them.
 */
public class WholeModelLatencyTest extends EngineTestBase {

    private static final Shape FEATURES = new Shape(4, 16);

    private Block mlp() {
        return initialised(Nets.twoLinear(), FEATURES);
    }

    /**
     * A timer: a dense layer takes 100 ns, a low-rank one {@code layer} of it; the whole model
     * takes 1000 ns plus {@code model} of each low-rank layer it holds.
     */
    private static BlockTimer timer(
            Block net, ToLongFunction<LowRankLinear> layer, ToLongFunction<LowRankLinear> model) {
        return (block, inputs) -> {
            if (block == net) {
                long t = 1000;
                for (Block b : Nets.blocks(net).keySet()) {
                    if (b instanceof LowRankLinear) {
                        t += model.applyAsLong((LowRankLinear) b);
                    }
                }
                return t;
            }
            return block instanceof LowRankLinear ? layer.applyAsLong((LowRankLinear) block) : 100;
        };
    }

    private static FactorizeReport factorize(Block net, BlockTimer timer) {
        return Factorizer.builder()
                .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                .optLatency(Timers.meter(timer))
                .build()
                .factorize(net);
    }

    @Test
    public void swapsThatSlowTheWholeModelAreUndone() {
        Block net = mlp();
        // each swap is faster alone, but every one slows the whole model
        FactorizeReport report = factorize(net, timer(net, b -> 10, b -> 500));
        Assert.assertTrue(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertTrue(l.getReason().startsWith("swap undone"), l.getReason());
        }
        Assert.assertEquals(
                Nets.blocks(net).keySet().stream().filter(LowRankLinear.class::isInstance).count(),
                0);
        Assert.assertTrue(
                report.getNotes().get(0).contains("2 swap(s) of the smallest measured gain"),
                report.getNotes().toString());
        Assert.assertEquals(report.getTotalAfter(), report.getTotalBefore());
    }

    @Test
    public void theSwapOfSmallestGainGoesFirst() {
        Block net = mlp();
        // the wide layer gains 10 ns alone but costs the model 300; the narrow one gains 90
        FactorizeReport report =
                factorize(
                        net,
                        timer(
                                net,
                                b -> b.getUnits() == 24 ? 90 : 10,
                                b -> b.getUnits() == 24 ? 300 : -100));
        Assert.assertEquals(report.getSwapped().size(), 1, report.toString());
        FactorizeReport.Layer wide = report.getLayers().get(0);
        Assert.assertFalse(wide.isSwapped());
        Assert.assertTrue(wide.getReason().startsWith("swap undone"), wide.getReason());
        Assert.assertTrue(report.getLayers().get(1).isSwapped());
        Assert.assertTrue(net.getChildren().valueAt(0) instanceof Linear);
        Assert.assertTrue(net.getChildren().valueAt(2) instanceof LowRankLinear);
        // the plan holds the kept swap only
        Assert.assertEquals(report.getPlan().getEntries().size(), 1);
    }

    @Test
    public void swapsThatSpeedTheModelUpStay() {
        Block net = mlp();
        FactorizeReport report = factorize(net, timer(net, b -> 10, b -> -100));
        Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
        Assert.assertTrue(report.getNotes().isEmpty(), report.getNotes().toString());
    }
}
