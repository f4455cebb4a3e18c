package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;

/**
 * The leading eigenpairs of a symmetric positive semi-definite matrix, computed without a full
 * eigendecomposition when only a few are asked for.
 *
 * <p>For a matrix of order {@code n} and {@code k} wanted pairs, a block of {@code k + p} vectors
 * is multiplied by the matrix on the engine (in float64) and re-orthonormalised, and after each
 * product a Rayleigh–Ritz step on the {@code (k + p) x (k + p)} projection gives the current
 * estimates. The iteration stops when the sum of the {@code k} leading Ritz values, the energy the
 * pairs capture, grows by less than {@code tolerance} times the energy they leave out (the trace
 * minus that sum). That is the quantity a rank-{@code k} projection is judged by, so the result
 * captures the optimal energy up to a small fraction of the optimal residual, even where
 * eigenvalues cluster and individual vectors converge slowly.
 *
 * <p>Small matrices, requests for a large share of the spectrum, and iterations that do not
 * converge within the iteration limit use the full host eigendecomposition ({@link
 * HostLinalg#symmetricEigen(DMatrixRMaj, DMatrixRMaj)}) instead, so the answer is always at least
 * as accurate as the tolerance asks. The computation is deterministic for a given seed.
 *
 * <pre>{@code
 * try (SymmetricEigen top = LeadingEigen.leading(covariance, 16)) {
 *     NDArray basis = top.getVectors(); // (n, 16), descending eigenvalues
 * }
 * }</pre>
 */
public final class LeadingEigen {

    /** Orders up to which the full eigendecomposition is always used. */
    private static final int EXACT_LIMIT = 160;

    private static final LeadingEigen DEFAULTS = builder().build();

    private final double tolerance;
    private final int maxIterations;
    private final int oversampling;
    private final long seed;

    private LeadingEigen(Builder builder) {
        this.tolerance = builder.tolerance;
        this.maxIterations = builder.maxIterations;
        this.oversampling = builder.oversampling;
        this.seed = builder.seed;
    }

    /**
     * Creates a builder with the default settings (tolerance {@code 1e-5}, at most 30 iterations,
     * oversampling {@code max(10, k / 4)}, seed 0).
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Computes the {@code k} leading eigenpairs with the default settings.
     *
     * @param matrix a square symmetric positive semi-definite float array of order {@code n}
     * @param k the number of pairs, in {@code 1..n}
     * @return the eigenvalues {@code (k)}, descending, and the eigenvectors as the columns of an
     *     {@code (n, k)} array, in the input's manager and data type
     * @throws IllegalArgumentException if the matrix is not square and floating point, holds NaN or
     *     infinite values, or {@code k} is outside {@code 1..n}
     */
    public static SymmetricEigen leading(NDArray matrix, int k) {
        return DEFAULTS.compute(matrix, k);
    }

    /**
     * Computes the {@code k} leading eigenpairs.
     *
     * @param matrix a square symmetric positive semi-definite float array of order {@code n}
     * @param k the number of pairs, in {@code 1..n}
     * @return the eigenvalues {@code (k)}, descending, and the eigenvectors as the columns of an
     *     {@code (n, k)} array, in the input's manager and data type
     * @throws IllegalArgumentException if the matrix is not square and floating point, holds NaN or
     *     infinite values, or {@code k} is outside {@code 1..n}
     */
    public SymmetricEigen compute(NDArray matrix, int k) {
        Checks.dims(matrix, 2, "matrix");
        Checks.floatType(matrix, "matrix");
        Shape shape = matrix.getShape();
        int n = Math.toIntExact(shape.get(0));
        if (shape.get(1) != n) {
            throw new IllegalArgumentException(
                    "matrix of shape " + shape + " is not square; a square matrix is accepted");
        }
        if (k < 1 || k > n) {
            throw new IllegalArgumentException(
                    "cannot compute "
                            + k
                            + " eigenpairs of a matrix of order "
                            + n
                            + "; accepted are 1.."
                            + n);
        }
        DataType type = matrix.getDataType();
        try (Workspace ws = Workspace.of(matrix)) {
            ws.adopt(matrix);
            Checks.finiteFloat(matrix, "matrix");
            NDArray a = matrix.toType(DataType.FLOAT64, false);
            DMatrixRMaj host = HostLinalg.toHost(a);
            int block = Math.min(n, k + Math.max(oversampling, k / 4));
            double[] values = null;
            NDArray vectors = null;
            if (n > EXACT_LIMIT && 2 * block <= n) {
                NDArray[] found = iterate(ws.manager(), a, trace(host), k, block);
                if (found != null) {
                    values = HostArrays.toDoubles(found[0]);
                    vectors = found[1];
                }
            }
            if (vectors == null) {
                DMatrixRMaj all = new DMatrixRMaj(1, 1);
                double[] every = HostLinalg.symmetricEigen(host, all);
                DMatrixRMaj lead = new DMatrixRMaj(n, k);
                CommonOps_DDRM.extract(all, 0, n, 0, k, lead, 0, 0);
                values = java.util.Arrays.copyOf(every, k);
                vectors = HostLinalg.toEngine(ws.manager(), lead, DataType.FLOAT64);
            }
            return new SymmetricEigen(
                    ws.keep(HostArrays.create(ws.manager(), values, new Shape(k), type)),
                    ws.keep(vectors.toType(type, false)));
        }
    }

    /**
     * Subspace iteration with two products per step; {@code null} when it did not converge or met a
     * direction of negative curvature. Each step's temporaries are freed with the step, so memory
     * stays flat over the iterations.
     */
    private NDArray[] iterate(NDManager manager, NDArray a, double trace, int k, int block) {
        int n = Math.toIntExact(a.getShape().get(0));
        Random random = new Random(seed);
        NDArray basis;
        try (Workspace start = Workspace.of(manager)) {
            start.adopt(a);
            NDArray omega =
                    start.manager()
                            .create(HostRandom.gaussian(random, n * block), new Shape(n, block));
            basis = start.keep(orthonormal(start.manager(), a.matMul(omega)));
        }
        double previous = Double.NaN;
        double previousGain = Double.NaN;
        for (int it = 0; it < maxIterations; it++) {
            NDArray next;
            try (Workspace step = Workspace.of(manager)) {
                step.adopt(a);
                step.adopt(basis);
                NDManager scope = step.manager();
                NDArray product = a.matMul(basis);
                DMatrixRMaj rotation = new DMatrixRMaj(1, 1);
                double[] ritz =
                        HostLinalg.symmetricEigen(
                                HostLinalg.toHost(basis.transpose().matMul(product)), rotation);
                if (ritz[block - 1] < -1e-12 * Math.abs(ritz[0])) {
                    // not semi-definite: the largest magnitudes need not be the largest values
                    basis.close();
                    return null;
                }
                double energy = 0;
                for (int i = 0; i < k; i++) {
                    energy += ritz[i];
                }
                double left = Math.max(trace - energy, 1e-12 * Math.abs(trace));
                NDArray turn = HostLinalg.toEngine(scope, rotation, DataType.FLOAT64);
                if (it > 0) {
                    double gain = Math.max(energy - previous, 0);
                    // the gains shrink geometrically; what is still to come is about
                    // gain / (1 - ratio)
                    double ratio = previousGain > 0 ? Math.min(gain / previousGain, 0.9) : 0.9;
                    if (gain / (1 - ratio) <= tolerance * left) {
                        NDArray vectors = basis.matMul(turn.get(new NDIndex(":, :{}", k)));
                        NDArray values = scope.create(java.util.Arrays.copyOf(ritz, k));
                        NDArray[] found = {step.keep(values), step.keep(vectors)};
                        basis.close();
                        return found;
                    }
                    previousGain = gain;
                }
                previous = energy;
                next = step.keep(orthonormal(scope, a.matMul(product.matMul(turn))));
            }
            basis.close();
            basis = next;
        }
        basis.close();
        return null;
    }

    /**
     * An orthonormal basis of a block's columns: Cholesky QR on the engine after scaling the
     * columns to unit norm, checked, with host Householder QR when the block is too ill-conditioned
     * for it.
     */
    private static NDArray orthonormal(NDManager manager, NDArray block) {
        int l = Math.toIntExact(block.getShape().get(1));
        NDArray norms = block.mul(block).sum(new int[] {0}, true).sqrt();
        if (norms.min().getDouble() > 0) {
            NDArray scaled = block.div(norms);
            DMatrixRMaj gram = HostLinalg.toHost(scaled.transpose().matMul(scaled));
            CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(l, true);
            if (chol.decompose(gram)) {
                DMatrixRMaj lower = chol.getT(null);
                TriangularSolver_DDRM.invertLower(lower.data, l);
                NDArray inverse = HostLinalg.toEngine(manager, lower, DataType.FLOAT64);
                NDArray q = scaled.matMul(inverse.transpose());
                NDArray check = q.transpose().matMul(q).sub(manager.eye(l, l, 0, DataType.FLOAT64));
                if (check.abs().max().getDouble() < 1e-10) {
                    return q;
                }
            }
        }
        return HostLinalg.toEngine(
                manager, HostLinalg.orthonormalize(HostLinalg.toHost(block)), DataType.FLOAT64);
    }

    private static double trace(DMatrixRMaj matrix) {
        double total = 0;
        for (int i = 0; i < matrix.getNumRows(); i++) {
            total += matrix.unsafe_get(i, i);
        }
        return total;
    }

    /** Builds a {@link LeadingEigen}. */
    public static final class Builder {

        private double tolerance = 1e-5;
        private int maxIterations = 30;
        private int oversampling = 10;
        private long seed;

        private Builder() {}

        /**
         * Sets the stopping tolerance: the iteration stops when the captured energy grows by less
         * than this fraction of the energy left out (default {@code 1e-5}).
         *
         * @param tolerance the tolerance, in {@code (0, 1)}
         * @return this builder
         * @throws IllegalArgumentException if the tolerance is outside {@code (0, 1)}
         */
        public Builder optTolerance(double tolerance) {
            if (!(tolerance > 0 && tolerance < 1)) {
                throw new IllegalArgumentException(
                        "tolerance " + tolerance + " is not accepted; it must be in (0, 1)");
            }
            this.tolerance = tolerance;
            return this;
        }

        /**
         * Sets the most block iterations before the full eigendecomposition is used instead
         * (default 30).
         *
         * @param maxIterations the limit, at least 1
         * @return this builder
         * @throws IllegalArgumentException if the limit is below 1
         */
        public Builder optMaxIterations(int maxIterations) {
            if (maxIterations < 1) {
                throw new IllegalArgumentException(
                        "iteration limit " + maxIterations + " is not accepted; it must be >= 1");
            }
            this.maxIterations = maxIterations;
            return this;
        }

        /**
         * Sets the least number of extra vectors iterated beside the {@code k} wanted (default 10;
         * at least {@code k / 4} are always used).
         *
         * @param oversampling the extra vectors, at least 1
         * @return this builder
         * @throws IllegalArgumentException if the count is below 1
         */
        public Builder optOversampling(int oversampling) {
            if (oversampling < 1) {
                throw new IllegalArgumentException(
                        "oversampling " + oversampling + " is not accepted; it must be >= 1");
            }
            this.oversampling = oversampling;
            return this;
        }

        /**
         * Sets the seed of the random starting block (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the solver.
         *
         * @return the solver
         */
        public LeadingEigen build() {
            return new LeadingEigen(this);
        }
    }
}
