/**
 * Parameter, multiply-accumulate and memory-traffic counts of layers, and the cost model that picks
 * the cheapest way to compute a factorized layer.
 *
 * <p>{@link org.lowrank4j.cost.ConvGeometry} describes one convolution applied to one input shape;
 * {@link org.lowrank4j.cost.ConvCost} counts what a way of computing it costs (dense, CP, Tucker or
 * tensor-train pipelines, kernel reconstruction); {@link org.lowrank4j.cost.CostModel} turns a
 * count into a comparable estimate.
 */
package org.lowrank4j.cost;
