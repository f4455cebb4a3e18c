package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;

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
