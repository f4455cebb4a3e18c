/**
 * The dense linear algebra DJL's {@link ai.djl.ndarray.NDArray} API lacks.
 *
 * <p>{@link org.lowrank4j.linalg.HostLinalg} solves small dense problems (symmetric
 * eigendecomposition, SVD, linear systems, least squares, orthonormalisation) on the host with
 * EJML, in double precision. {@link org.lowrank4j.linalg.TruncatedSvd} computes the leading
 * singular triplets of a large matrix without a full SVD: big products (Gram matrices, random
 * projections) run on the engine with {@link ai.djl.ndarray.NDArray#matMul}, and only the small
 * projected problem goes to the host.
 */
package org.lowrank4j.linalg;
