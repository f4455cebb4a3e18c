package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A tensor stored in a factorized format.
 *
 * <p>Implementations are immutable values over {@link NDArray}s: they never change the arrays they
 * hold, and callers must not change them either. Closing a factorized tensor closes its arrays.
 */
public interface FactorizedTensor extends AutoCloseable {

    /**
     * Returns the shape of the full tensor.
     *
     * @return the shape
     */
    Shape getShape();

    /**
     * Returns the rank of the factorization.
     *
     * <p>CP: {@code {R}}; Tucker: the core's shape; tensor train: the bond ranks {@code {1, r_1,
     * ..., r_{N-1}, 1}}.
     *
     * @return a copy of the rank
     */
    int[] getRank();

    /**
     * Rebuilds the full tensor.
     *
     * @return a new array of shape {@link #getShape()}, in the manager of the factors
     */
    NDArray toFull();

    /**
     * Returns the number of stored values.
     *
     * @return the number of parameters of the factorization
     */
    long numParameters();

    /**
     * Returns the Frobenius norm of the full tensor, computed from the factors without rebuilding
     * the tensor.
     *
     * @return the norm
     */
    double norm();

    /**
     * Returns the arrays of the factorization, in a fixed order documented by each format.
     *
     * @return the arrays (not copies)
     */
    NDList getArrays();

    /**
     * Returns the data type of the factors.
     *
     * @return the data type
     */
    default DataType getDataType() {
        return getArrays().get(0).getDataType();
    }

    /** Closes every array of the factorization. */
    @Override
    default void close() {
        getArrays().close();
    }
}
