/**
 * Algorithms that factorize a dense {@link ai.djl.ndarray.NDArray} into the formats of {@link
 * org.lowrank4j.tensor}: {@link org.lowrank4j.decompose.Parafac} (CP by alternating least squares),
 * {@link org.lowrank4j.decompose.Tucker} (HOSVD, HOOI, partial Tucker) and {@link
 * org.lowrank4j.decompose.TensorTrain} (TT-SVD, TT-matrix).
 *
 * <p>Each is configured by a builder and returns a {@link org.lowrank4j.decompose.Decomposition}:
 * the factorized tensor (in the input's manager, device and data type), the realised rank, the
 * error history and the final relative error. Leading singular vectors always come from {@link
 * org.lowrank4j.linalg.TruncatedSvd} (Gram eigendecomposition or randomized SVD), never from a full
 * SVD of a wide unfolding, and every random choice is drawn from the configured seed.
 */
package org.lowrank4j.decompose;
