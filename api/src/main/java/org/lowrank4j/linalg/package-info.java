/**
 * The dense linear algebra DJL's {@link ai.djl.ndarray.NDArray} API lacks, as {@link
 * ai.djl.ndarray.NDArray}s in and out.
 *
 * <p>{@link org.lowrank4j.linalg.TruncatedSvd} computes the leading singular triplets of a large
 * matrix without a full SVD and {@link org.lowrank4j.linalg.LeadingEigen} the leading eigenpairs of
 * a symmetric positive semi-definite one: big products (Gram matrices, random projections, blocks
 * of vectors) run on the engine with {@link ai.djl.ndarray.NDArray#matMul}, and only the small
 * projected problem goes to the host, where it is solved with EJML in double precision.
 */
package org.lowrank4j.linalg;
