/**
 * Parameter and FLOP counts of blocks and whole models.
 *
 * <p>{@link org.lowrank4j.cost.CostCounter} walks any DJL block tree with an input shape and
 * returns a {@link org.lowrank4j.cost.BlockCost} per layer and in total. A block that knows its own
 * cost implements {@link org.lowrank4j.cost.CostAware}.
 */
package org.lowrank4j.cost;
