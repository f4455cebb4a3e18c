package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Small dense linear algebra on the host, in double precision, through EJML.
 *
 * <p>The {@link NDArray} methods copy their input to the host, solve there and return arrays of the
 * input's data type in the input's manager (so on its device). They are meant for small problems (a
 * few thousand rows at most); {@code org.lowrank4j.linalg.TruncatedSvd} handles large matrices. Not
 * part of the public API: the library's public linear algebra is in {@code org.lowrank4j.linalg}.
 */
public final class HostLinalg {

    private HostLinalg() {}

    /**
     * Copies a 2-D array to an EJML matrix.
     *
     * @param matrix a 2-D float32 or float64 array
     * @return the host copy
     */
    public static DMatrixRMaj toHost(NDArray matrix) {
        Checks.dims(matrix, 2, "matrix");
        Checks.floatType(matrix, "matrix");
        Shape shape = matrix.getShape();
        return DMatrixRMaj.wrap(
                Math.toIntExact(shape.get(0)),
                Math.toIntExact(shape.get(1)),
                HostArrays.toDoubles(matrix));
    }

    /**
     * Copies an EJML matrix to a 2-D engine array.
     *
     * @param manager where the array lives
     * @param matrix the host matrix
     * @param type float32 or float64
     * @return the engine array
     */
    public static NDArray toEngine(NDManager manager, DMatrixRMaj matrix, DataType type) {
        return HostArrays.create(
                manager,
                matrix.getData().length == matrix.getNumElements()
                        ? matrix.getData()
                        : Arrays.copyOf(matrix.getData(), matrix.getNumElements()),
                new Shape(matrix.getNumRows(), matrix.getNumCols()),
                type);
    }

    /**
     * Eigendecomposition of a symmetric host matrix, eigenvalues descending.
     *
     * @param symmetric the matrix (only read)
     * @param vectors receives the eigenvectors as columns; resized to {@code (n, n)}
     * @return the eigenvalues, descending
     */
    public static double[] symmetricEigen(DMatrixRMaj symmetric, DMatrixRMaj vectors) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decomposeSymmetric(symmetric, true);
        int n = symmetric.getNumRows();
        Integer[] order = new Integer[n];
        double[] raw = new double[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            raw[i] = eig.getEigenvalue(i).getReal();
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> -raw[i]));
        vectors.reshape(n, n);
        double[] values = new double[n];
        for (int c = 0; c < n; c++) {
            int src = order[c];
            values[c] = raw[src];
            DMatrixRMaj v = eig.getEigenVector(src);
            for (int r = 0; r < n; r++) {
                vectors.unsafe_set(r, c, v.get(r, 0));
            }
        }
        return values;
    }

    /**
     * Eigenvalues of a symmetric host matrix, descending, without the eigenvectors (several times
     * faster than {@link #symmetricEigen(DMatrixRMaj, DMatrixRMaj)} for large matrices).
     *
     * @param symmetric the matrix (only read)
     * @return the eigenvalues, descending
     */
    public static double[] symmetricEigenvalues(DMatrixRMaj symmetric) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decomposeSymmetric(symmetric, false);
        int n = symmetric.getNumRows();
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = eig.getEigenvalue(i).getReal();
        }
        Arrays.sort(values);
        for (int i = 0; i < n / 2; i++) {
            double t = values[i];
            values[i] = values[n - 1 - i];
            values[n - 1 - i] = t;
        }
        return values;
    }

    private static EigenDecomposition_F64<DMatrixRMaj> decomposeSymmetric(
            DMatrixRMaj symmetric, boolean withVectors) {
        int n = symmetric.getNumRows();
        if (n != symmetric.getNumCols()) {
            throw new IllegalArgumentException(
                    "matrix of shape ("
                            + n
                            + ", "
                            + symmetric.getNumCols()
                            + ") is not square; a symmetric square matrix is accepted");
        }
        DMatrixRMaj work = symmetric.copy();
        // symmetrise against rounding in the caller's product
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double v = 0.5 * (work.unsafe_get(i, j) + work.unsafe_get(j, i));
                work.unsafe_set(i, j, v);
                work.unsafe_set(j, i, v);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig =
                DecompositionFactory_DDRM.eig(n, withVectors, true);
        if (!eig.decompose(work)) {
            throw new IllegalArgumentException(
                    "the symmetric eigendecomposition of a "
                            + n
                            + "x"
                            + n
                            + " matrix did not converge");
        }
        return eig;
    }

    /**
     * Thin SVD of a host matrix, singular values descending.
     *
     * @param matrix the {@code (m, n)} matrix (only read)
     * @param u receives {@code U}, {@code (m, k)}, {@code k = min(m, n)}
     * @param vt receives {@code Vt}, {@code (k, n)}
     * @return the singular values, descending
     */
    public static double[] svd(DMatrixRMaj matrix, DMatrixRMaj u, DMatrixRMaj vt) {
        int m = matrix.getNumRows();
        int n = matrix.getNumCols();
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m, n, true, true, true);
        if (!svd.decompose(matrix.copy())) {
            throw new IllegalArgumentException(
                    "the SVD of a " + m + "x" + n + " matrix did not converge");
        }
        DMatrixRMaj uu = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj vv = svd.getV(null, true);
        SingularOps_DDRM.descendingOrder(uu, false, w, vv, true);
        u.setTo(uu);
        vt.setTo(vv);
        int k = Math.min(m, n);
        double[] s = new double[k];
        for (int i = 0; i < k; i++) {
            s[i] = w.get(i, i);
        }
        return s;
    }

    /**
     * Solves {@code A X = B} for a square {@code A}; a singular {@code A} gets the minimum-norm
     * least-squares solution.
     *
     * @param a the {@code (n, n)} matrix
     * @param b the {@code (n, k)} right-hand sides
     * @return {@code X}, {@code (n, k)}
     */
    public static DMatrixRMaj solve(DMatrixRMaj a, DMatrixRMaj b) {
        if (a.getNumRows() != a.getNumCols() || a.getNumRows() != b.getNumRows()) {
            throw new IllegalArgumentException(
                    "cannot solve A X = B with A of shape ("
                            + a.getNumRows()
                            + ", "
                            + a.getNumCols()
                            + ") and B of shape ("
                            + b.getNumRows()
                            + ", "
                            + b.getNumCols()
                            + "); A must be square with as many rows as B");
        }
        DMatrixRMaj x = new DMatrixRMaj(a.getNumCols(), b.getNumCols());
        LinearSolverDense<DMatrixRMaj> lu = LinearSolverFactory_DDRM.lu(a.getNumRows());
        if (lu.setA(a.copy())) {
            lu.solve(b, x);
            if (!org.ejml.dense.row.MatrixFeatures_DDRM.hasUncountable(x)) {
                return x;
            }
        }
        return lstsq(a, b);
    }

    /**
     * Solves {@code A X = B} for a symmetric positive (semi-)definite {@code A} by Cholesky; if the
     * factorization fails it falls back to the minimum-norm least-squares solution.
     *
     * @param a the {@code (n, n)} symmetric matrix
     * @param b the {@code (n, k)} right-hand sides
     * @return {@code X}, {@code (n, k)}
     */
    public static DMatrixRMaj solveSymmetric(DMatrixRMaj a, DMatrixRMaj b) {
        int n = a.getNumRows();
        if (n != a.getNumCols() || n != b.getNumRows()) {
            throw new IllegalArgumentException(
                    "cannot solve A X = B with A of shape ("
                            + n
                            + ", "
                            + a.getNumCols()
                            + ") and B of shape ("
                            + b.getNumRows()
                            + ", "
                            + b.getNumCols()
                            + "); A must be square with as many rows as B");
        }
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, true);
        if (chol.decompose(a.copy())) {
            DMatrixRMaj x = choleskySolve(chol.getT(null), b);
            if (!org.ejml.dense.row.MatrixFeatures_DDRM.hasUncountable(x)) {
                return x;
            }
        }
        return lstsq(a, b);
    }

    /**
     * Solves {@code L Lᵀ X = B} by forward and back substitution over whole rows of {@code B}, so
     * that many right-hand sides are solved with contiguous memory access.
     */
    private static DMatrixRMaj choleskySolve(DMatrixRMaj lower, DMatrixRMaj b) {
        int n = lower.getNumRows();
        int k = b.getNumCols();
        double[] l = lower.getData();
        double[] x = b.copy().getData();
        // L Z = B
        for (int i = 0; i < n; i++) {
            int row = i * k;
            for (int j = 0; j < i; j++) {
                double lij = l[i * n + j];
                if (lij != 0) {
                    int other = j * k;
                    for (int c = 0; c < k; c++) {
                        x[row + c] -= lij * x[other + c];
                    }
                }
            }
            double d = l[i * n + i];
            for (int c = 0; c < k; c++) {
                x[row + c] /= d;
            }
        }
        // Lᵀ X = Z
        for (int i = n - 1; i >= 0; i--) {
            int row = i * k;
            for (int j = i + 1; j < n; j++) {
                double lji = l[j * n + i];
                if (lji != 0) {
                    int other = j * k;
                    for (int c = 0; c < k; c++) {
                        x[row + c] -= lji * x[other + c];
                    }
                }
            }
            double d = l[i * n + i];
            for (int c = 0; c < k; c++) {
                x[row + c] /= d;
            }
        }
        return DMatrixRMaj.wrap(n, k, x);
    }

    /**
     * Minimum-norm least-squares solution of {@code A X ≈ B} (through the pseudo-inverse, so
     * rank-deficient {@code A} is fine).
     *
     * @param a the {@code (m, n)} matrix
     * @param b the {@code (m, k)} right-hand sides
     * @return {@code X}, {@code (n, k)}
     */
    public static DMatrixRMaj lstsq(DMatrixRMaj a, DMatrixRMaj b) {
        if (a.getNumRows() != b.getNumRows()) {
            throw new IllegalArgumentException(
                    "least squares needs as many rows in A ("
                            + a.getNumRows()
                            + ") as in B ("
                            + b.getNumRows()
                            + ")");
        }
        LinearSolverDense<DMatrixRMaj> pinv = LinearSolverFactory_DDRM.pseudoInverse(true);
        DMatrixRMaj x = new DMatrixRMaj(a.getNumCols(), b.getNumCols());
        if (!pinv.setA(a.copy())) {
            throw new IllegalArgumentException(
                    "the pseudo-inverse of a "
                            + a.getNumRows()
                            + "x"
                            + a.getNumCols()
                            + " matrix did not converge");
        }
        pinv.solve(b, x);
        return x;
    }

    /**
     * Solves {@code A X = B} for a square {@code A} (minimum-norm least squares if singular).
     *
     * @param a the {@code (n, n)} matrix
     * @param b the {@code (n)} or {@code (n, k)} right-hand side
     * @return {@code X} shaped like {@code b}, in {@code a}'s manager and data type
     */
    public static NDArray solve(NDArray a, NDArray b) {
        return solveWith(a, b, false);
    }

    /**
     * Minimum-norm least-squares solution of {@code A X ≈ B}.
     *
     * @param a the {@code (m, n)} matrix
     * @param b the {@code (m)} or {@code (m, k)} right-hand side
     * @return {@code X}, {@code (n)} or {@code (n, k)}, in {@code a}'s manager and data type
     */
    public static NDArray lstsq(NDArray a, NDArray b) {
        return solveWith(a, b, true);
    }

    private static NDArray solveWith(NDArray a, NDArray b, boolean leastSquares) {
        boolean vector = b.getShape().dimension() == 1;
        DMatrixRMaj hb;
        if (vector) {
            hb = DMatrixRMaj.wrap(Math.toIntExact(b.getShape().get(0)), 1, HostArrays.toDoubles(b));
        } else {
            hb = toHost(b);
        }
        DMatrixRMaj ha = toHost(a);
        DMatrixRMaj x = leastSquares ? lstsq(ha, hb) : solve(ha, hb);
        NDArray result = toEngine(a.getManager(), x, a.getDataType());
        if (vector) {
            NDArray flat = result.reshape(x.getNumRows());
            result.close();
            return flat;
        }
        return result;
    }

    /**
     * Moore-Penrose pseudo-inverse.
     *
     * @param a the {@code (m, n)} matrix
     * @return {@code A⁺}, {@code (n, m)}, in {@code a}'s manager and data type
     */
    public static NDArray pinv(NDArray a) {
        DMatrixRMaj ha = toHost(a);
        DMatrixRMaj inv = new DMatrixRMaj(ha.getNumCols(), ha.getNumRows());
        CommonOps_DDRM.pinv(ha, inv);
        return toEngine(a.getManager(), inv, a.getDataType());
    }

    /**
     * Orthonormal basis of a host matrix's column space by thin QR.
     *
     * @param matrix the {@code (m, k)} matrix, {@code k <= m}
     * @return {@code Q}, {@code (m, k)}
     */
    public static DMatrixRMaj orthonormalize(DMatrixRMaj matrix) {
        QRDecomposition<DMatrixRMaj> qr =
                DecompositionFactory_DDRM.qr(matrix.getNumRows(), matrix.getNumCols());
        if (!qr.decompose(matrix.copy())) {
            throw new IllegalArgumentException(
                    "the QR decomposition of a "
                            + matrix.getNumRows()
                            + "x"
                            + matrix.getNumCols()
                            + " matrix failed");
        }
        return qr.getQ(null, true);
    }

    /**
     * Orthonormal basis of a matrix's column space by thin QR.
     *
     * @param matrix the {@code (m, k)} matrix, {@code k <= m}
     * @return {@code Q}, {@code (m, k)}, in the input's manager and data type
     */
    public static NDArray orthonormalize(NDArray matrix) {
        Shape shape = matrix.getShape();
        if (shape.dimension() == 2 && shape.get(1) > shape.get(0)) {
            throw new IllegalArgumentException(
                    "cannot orthonormalize the "
                            + shape.get(1)
                            + " columns of a matrix of shape "
                            + shape
                            + "; at most as many columns as rows are accepted");
        }
        return toEngine(matrix.getManager(), orthonormalize(toHost(matrix)), matrix.getDataType());
    }
}
