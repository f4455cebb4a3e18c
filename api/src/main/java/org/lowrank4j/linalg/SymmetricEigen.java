package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.ejml.data.DMatrixRMaj;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.HostLinalg;

/**
 * The eigendecomposition {@code A = V · diag(values) · Vᵀ} of a symmetric matrix, eigenvalues in
 * descending order. Closing it closes both arrays.
 */
public final class SymmetricEigen implements AutoCloseable {

    private final NDArray values;
    private final NDArray vectors;

    /**
     * Bundles the two parts.
     *
     * @param values the eigenvalues, {@code (n)}, descending
     * @param vectors the eigenvectors as columns, {@code (n, n)}
     */
    public SymmetricEigen(NDArray values, NDArray vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * Computes the full eigendecomposition of a small symmetric matrix on the host (EJML, double
     * precision), eigenvalues descending; {@link LeadingEigen} gives the leading pairs of a large
     * one.
     *
     * @param symmetric a square symmetric 2-D array
     * @return the eigenvalues and eigenvectors, in the input's manager and data type
     */
    public static SymmetricEigen of(NDArray symmetric) {
        DMatrixRMaj vectors = new DMatrixRMaj(1, 1);
        double[] values = HostLinalg.symmetricEigen(HostLinalg.toHost(symmetric), vectors);
        NDManager manager = symmetric.getManager();
        DataType type = symmetric.getDataType();
        return new SymmetricEigen(
                HostArrays.create(manager, values, new Shape(values.length), type),
                HostLinalg.toEngine(manager, vectors, type));
    }

    /**
     * Returns the eigenvalues.
     *
     * @return the eigenvalues, {@code (n)}, descending
     */
    public NDArray getValues() {
        return values;
    }

    /**
     * Returns the eigenvectors.
     *
     * @return the orthonormal eigenvectors as columns, {@code (n, n)}
     */
    public NDArray getVectors() {
        return vectors;
    }

    /** Closes both arrays. */
    @Override
    public void close() {
        values.close();
        vectors.close();
    }
}
