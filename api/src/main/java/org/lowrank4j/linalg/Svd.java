package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.ejml.data.DMatrixRMaj;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.HostLinalg;

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
     * Computes the thin SVD of a small matrix on the host (EJML, double precision), singular values
     * descending; {@link TruncatedSvd} gives the leading triplets of a large one.
     *
     * @param matrix a 2-D array {@code (m, n)}
     * @return {@code U (m, k)}, {@code S (k)}, {@code Vt (k, n)} with {@code k = min(m, n)}, in the
     *     input's manager and data type
     */
    public static Svd of(NDArray matrix) {
        DMatrixRMaj u = new DMatrixRMaj(1, 1);
        DMatrixRMaj vt = new DMatrixRMaj(1, 1);
        double[] s = HostLinalg.svd(HostLinalg.toHost(matrix), u, vt);
        NDManager manager = matrix.getManager();
        DataType type = matrix.getDataType();
        return new Svd(
                HostLinalg.toEngine(manager, u, type),
                HostArrays.create(manager, s, new Shape(s.length), type),
                HostLinalg.toEngine(manager, vt, type));
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
