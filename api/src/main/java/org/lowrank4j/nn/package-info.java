/**
 * Factorized layers as DJL blocks, configured with a {@link org.lowrank4j.tensor.Rank} (how large a
 * factorization is), a {@link org.lowrank4j.tensor.Factorization} (which format it uses) and a
 * {@link org.lowrank4j.nn.ConvImplementation} (how the forward pass is computed).
 *
 * <p>{@link org.lowrank4j.nn.FactorizedConv} is a convolution of order 1 to 3 whose kernel is a CP
 * ({@link org.lowrank4j.nn.CPConv}), Tucker ({@link org.lowrank4j.nn.TuckerConv}) or tensor-train
 * ({@link org.lowrank4j.nn.TTConv}) tensor.
 */
package org.lowrank4j.nn;
