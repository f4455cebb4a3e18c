package org.lowrank4j.testing;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.lowrank4j.cost.BlockTimer;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;

/**
 * Deterministic {@link BlockTimer}s for latency tests: a pass "takes" a duration computed from the
 * block, so measured latencies and everything chosen from them are exact. Each timer counts its
 * runs per block configuration ({@link LatencyMeter#signature}).
 */
public final class Timers {

    private Timers() {}

    /**
     * A timer whose pass takes one nanosecond per FLOP plus {@code launch} nanoseconds per
     * parameter array of the block tree (a kernel launch): additive over the layers of a model.
     */
    public static BlockTimer byCost(long launch, Map<String, Integer> runs) {
        return (block, inputs) -> {
            count(runs, block, inputs.getShapes());
            return costNanos(block, launch, inputs.getShapes());
        };
    }

    /** What {@link #byCost} reports for a block. */
    public static long costNanos(Block block, long launch, Shape... inputShapes) {
        return CostCounter.count(block, inputShapes).getFlops()
                + launch * block.getParameters().size();
    }

    /** A timer whose pass takes the sum of {@code leaf} over the blocks without children. */
    public static BlockTimer byLeaf(ToLongFunction<Block> leaf, Map<String, Integer> runs) {
        return (block, inputs) -> {
            count(runs, block, inputs.getShapes());
            return leafNanos(block, leaf);
        };
    }

    /** What {@link #byLeaf} reports for a block. */
    public static long leafNanos(Block block, ToLongFunction<Block> leaf) {
        if (block.getChildren().isEmpty()) {
            return leaf.applyAsLong(block);
        }
        long total = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            total += leafNanos(child.getValue(), leaf);
        }
        return total;
    }

    /** A meter of one warm-up and three timed runs with a timer. */
    public static LatencyMeter meter(BlockTimer timer) {
        return LatencyMeter.builder().optWarmup(1).optRepeats(3).optTimer(timer).build();
    }

    private static void count(Map<String, Integer> runs, Block block, Shape[] shapes) {
        if (runs != null) {
            runs.merge(LatencyMeter.signature(block, shapes), 1, Integer::sum);
        }
    }
}
