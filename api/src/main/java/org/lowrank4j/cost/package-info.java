/**
 * Parameter and FLOP counts of blocks and whole models, and the cost models that pick the forward
 * implementation of factorized layers.
 *
 * <p>{@link org.lowrank4j.cost.CostCounter} walks any DJL block tree with an input shape and
 * returns a {@link org.lowrank4j.cost.BlockCost} per layer and in total. A block that knows its own
 * cost implements {@link org.lowrank4j.cost.CostAware}. {@link org.lowrank4j.cost.LinearCost}
 * prices the forward implementations of a tensorized linear layer. {@link
 * org.lowrank4j.cost.LatencyMeter} times any block on the engine, device and threads it runs on
 * (warm-up, repeats, median), caching each configuration in a {@link
 * org.lowrank4j.cost.LatencyCache}.
 */
package org.lowrank4j.cost;
