package org.lowrank4j.cost;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;

/**
 * Times one inference forward pass of a block; {@link LatencyMeter} calls it for the warm-up and
 * the timed runs. The default times the pass with the meter's clock; tests inject their own.
 */
@FunctionalInterface
public interface BlockTimer {

    /**
     * Runs the block once on the inputs and returns how long it took.
     *
     * @param block the block, initialised
     * @param inputs the inputs, on the block's device
     * @return the duration in nanoseconds
     */
    long time(Block block, NDList inputs);
}
