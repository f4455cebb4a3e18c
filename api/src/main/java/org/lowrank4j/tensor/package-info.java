/**
 * Factorized tensors as immutable values over {@link ai.djl.ndarray.NDArray}s.
 *
 * <p>{@link org.lowrank4j.tensor.FactorizedTensor} is the common interface; {@link
 * org.lowrank4j.tensor.CPTensor}, {@link org.lowrank4j.tensor.TuckerTensor}, {@link
 * org.lowrank4j.tensor.TTTensor} and {@link org.lowrank4j.tensor.TTMatrix} are its formats. {@link
 * org.lowrank4j.tensor.TensorOps} holds the multilinear building blocks (unfold, fold, mode
 * products, Khatri-Rao) and {@link org.lowrank4j.tensor.Ranks} turns a {@link
 * org.lowrank4j.tensor.Rank} request into concrete ranks for a shape and a format.
 *
 * <p>The vocabulary of factorizations lives beside the formats: {@link
 * org.lowrank4j.tensor.Factorization} names a format, {@link org.lowrank4j.tensor.Rank} says how
 * large it is (the rank rules are in {@code Ranks}), and {@link org.lowrank4j.tensor.Tensorize}
 * chooses the tensorized shapes of a matrix.
 *
 * <p>Shapes and unfoldings follow TensorLy's row-major conventions, so ranks, unfoldings and
 * Khatri-Rao products agree with it element for element.
 */
package org.lowrank4j.tensor;
