/**
 * Parameter, FLOP and memory-traffic counts of layers and whole models, the cost models that pick
 * the cheapest way to compute a factorized layer, and measured latency.
 *
 * <p>{@link org.lowrank4j.cost.CostCounter} walks any DJL block tree with an input shape and
 * returns a {@link org.lowrank4j.cost.BlockCost} per layer and in total. A block that knows its own
 * cost implements {@link org.lowrank4j.cost.CostAware}. {@link org.lowrank4j.cost.ConvGeometry}
 * describes one convolution applied to one input shape; {@link org.lowrank4j.cost.ConvCost} counts
 * what a way of computing it costs (dense, CP, Tucker or tensor-train pipelines, kernel
 * reconstruction) and {@link org.lowrank4j.cost.CostModel} turns a count into a comparable
 * estimate; {@link org.lowrank4j.cost.LinearCost} does the same for tensorized linear layers.
 * {@link org.lowrank4j.cost.LatencyMeter} times any block on the engine, device and threads it runs
 * on (warm-up, repeats, median), caching each configuration in a {@link
 * org.lowrank4j.cost.LatencyCache}. {@link org.lowrank4j.cost.TemporaryMemory} measures the peak
 * memory of the temporary arrays of a forward pass.
 */
package org.lowrank4j.cost;
