/**
 * Factorized tensors as immutable values over {@link ai.djl.ndarray.NDArray}s.
 *
 * <p>{@link org.lowrank4j.tensor.FactorizedTensor} is the common interface; {@link
 * org.lowrank4j.tensor.CPTensor}, {@link org.lowrank4j.tensor.TuckerTensor}, {@link
 * org.lowrank4j.tensor.TTTensor} and {@link org.lowrank4j.tensor.TTMatrix} are its formats. {@link
 * org.lowrank4j.tensor.TensorOps} holds the multilinear building blocks (unfold, fold, mode
 * products, Khatri-Rao) and {@link org.lowrank4j.tensor.Ranks} turns a {@link
 * org.lowrank4j.nn.Rank} request into concrete ranks for a shape and a format.
 *
 * <p>Shapes and unfoldings follow TensorLy's row-major conventions, so ranks, unfoldings and
 * Khatri-Rao products agree with it element for element.
 */
package org.lowrank4j.tensor;
