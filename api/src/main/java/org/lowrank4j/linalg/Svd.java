package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;

/**
 * A (truncated) singular value decomposition {@code A ≈ U · diag(S) · Vt}.
 *
 * <p>{@code U} is {@code (m, k)} with orthonormal columns, {@code S} is {@code (k)} in descending
 * order, {@code Vt} is {@code (k, n)}. Closing it closes the three arrays.
 */
public final class Svd implements AutoCloseable {

    private final NDArray u;
    private final NDArray s;
    private final NDArray vt;

    /**
     * Bundles the three parts.
     *
     * @param u the left singular vectors, {@code (m, k)}
     * @param s the singular values, {@code (k)}, descending
     * @param vt the right singular vectors as rows, {@code (k, n)}
     */
    public Svd(NDArray u, NDArray s, NDArray vt) {
        this.u = u;
        this.s = s;
        this.vt = vt;
    }

    /**
     * Returns the left singular vectors.
     *
     * @return {@code U}, {@code (m, k)}
     */
    public NDArray getU() {
        return u;
    }

    /**
     * Returns the singular values.
     *
     * @return {@code S}, {@code (k)}, descending
     */
    public NDArray getS() {
        return s;
    }

    /**
     * Returns the right singular vectors as rows.
     *
     * @return {@code Vt}, {@code (k, n)}
     */
    public NDArray getVt() {
        return vt;
    }

    /**
     * Returns the number of singular triplets.
     *
     * @return {@code k}
     */
    public int getRank() {
        return Math.toIntExact(s.getShape().get(0));
    }

    /** Closes the three arrays. */
    @Override
    public void close() {
        u.close();
        s.close();
        vt.close();
    }
}
