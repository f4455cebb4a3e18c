/**
 * Data-aware low-rank factorization: replacing a layer's weight by two factors fitted to the
 * layer's outputs on calibration data rather than to the weight itself.
 *
 * <p>{@link org.lowrank4j.fit.LowRankFit} fits linear maps ({@code factorizeMatrix}) and 2-D
 * convolutions ({@code factorizeConv2d}, any stride, padding and dilation) in closed form or by
 * alternating least squares; {@link org.lowrank4j.fit.LowRankSolution} holds the factors, the bias,
 * the rank and the normalised error. The blocks {@link org.lowrank4j.nn.LowRankLinear} and {@link
 * org.lowrank4j.nn.LowRankConv} use them.
 */
package org.lowrank4j.fit;
