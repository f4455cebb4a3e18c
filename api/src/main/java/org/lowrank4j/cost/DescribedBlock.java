package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;

/**
 * A block that describes the configuration its latency depends on, for the keys of {@link
 * LatencyMeter}'s cache. The meter adds the block's class, parameter shapes and children itself; a
 * block of this library adds what is not visible from those: its kernel geometry, ranks, and the
 * implementation it runs.
 */
public interface DescribedBlock {

    /**
     * Appends the configuration as {@code name=value} pairs, each followed by a comma.
     *
     * @param description the description to append to
     * @param inputShapes the shapes of the block's inputs when it is the block being measured (an
     *     implementation chosen per input shape is named then), or {@code null} for a block inside
     *     it
     */
    void describeConfiguration(StringBuilder description, Shape[] inputShapes);
}
