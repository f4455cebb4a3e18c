package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;

/**
 * The leading {@code k} singular triplets of a matrix, without a full SVD.
 *
 * <p>Two methods, both with their big products on the engine in double precision:
 *
 * <ul>
 *   <li>{@link Method#GRAM}: eigendecomposition of the Gram matrix of the smaller side ({@code A
 *       Aᵀ} or {@code Aᵀ A}), so a wide {@code (256, 2304)} unfolding costs one {@code 256 × 256}
 *       eigenproblem; its {@code k} leading pairs come from {@link LeadingEigen}, which iterates on
 *       the engine when {@code k} is a small share of the order. Singular values below about {@code
 *       1e-7} of the largest are resolved as zero.
 *   <li>{@link Method#RANDOMIZED}: a randomized range finder with oversampling and power iterations
 *       (Halko, Martinsson and Tropp), then the Gram method on the small projected matrix. Seeded,
 *       so deterministic.
 * </ul>
 *
 * <p>{@link Method#AUTO} (the default) takes the Gram method when the smaller side is at most
 * {@link Builder#optGramLimit(int) the Gram limit} (256) or {@code k} plus the oversampling is more
 * than a quarter of it, and the randomized method otherwise.
 *
 * <p>Left singular vectors always come out orthonormal; where a singular value is zero, {@code U}
 * is completed with orthonormal columns and the row of {@code Vt} is zero.
 */
public final class TruncatedSvd {

    /** How the leading triplets are computed. */
    public enum Method {
        /** The Gram method for small or nearly square problems, randomized otherwise. */
        AUTO,
        /** Eigendecomposition of the Gram matrix of the smaller side. */
        GRAM,
        /** Randomized range finder followed by the Gram method on the projection. */
        RANDOMIZED
    }

    private static final double NULL_THRESHOLD = 1e-7;
    private static final TruncatedSvd DEFAULTS = builder().build();

    private final Method method;
    private final long seed;
    private final int oversampling;
    private final int powerIterations;
    private final int gramLimit;

    private TruncatedSvd(Builder builder) {
        this.method = builder.method;
        this.seed = builder.seed;
        this.oversampling = builder.oversampling;
        this.powerIterations = builder.powerIterations;
        this.gramLimit = builder.gramLimit;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The leading {@code k} singular triplets with the default options.
     *
     * @param matrix a 2-D float32 or float64 array {@code (m, n)}
     * @param k how many triplets, {@code 1 <= k <= min(m, n)}
     * @return the triplets, in the input's manager and data type
     */
    public static Svd leading(NDArray matrix, int k) {
        return DEFAULTS.compute(matrix, k);
    }

    /**
     * The leading {@code k} singular triplets.
     *
     * @param matrix a 2-D float32 or float64 array {@code (m, n)}
     * @param k how many triplets, {@code 1 <= k <= min(m, n)}
     * @return {@code U (m, k)}, {@code S (k)} descending, {@code Vt (k, n)}, in the input's manager
     *     and data type
     * @throws IllegalArgumentException if the matrix is not 2-D or {@code k} is out of range
     */
    public Svd compute(NDArray matrix, int k) {
        Checks.dims(matrix, 2, "matrix");
        Checks.floatType(matrix, "matrix");
        int m = Math.toIntExact(matrix.getShape().get(0));
        int n = Math.toIntExact(matrix.getShape().get(1));
        int p = Math.min(m, n);
        if (k < 1 || k > p) {
            throw new IllegalArgumentException(
                    "cannot compute "
                            + k
                            + " singular triplets of a matrix of shape "
                            + matrix.getShape()
                            + "; accepted are 1.."
                            + p);
        }
        boolean gram =
                method == Method.GRAM
                        || (method == Method.AUTO
                                && (p <= gramLimit || 4L * (k + oversampling) > p));
        try (Workspace ws = Workspace.of(matrix)) {
            NDArray a = ws.adopt(matrix).toType(DataType.FLOAT64, false);
            Svd svd = gram ? gram(ws, a, k) : randomized(ws, a, k);
            DataType type = matrix.getDataType();
            return new Svd(
                    ws.keep(svd.getU().toType(type, false)),
                    ws.keep(svd.getS().toType(type, false)),
                    ws.keep(svd.getVt().toType(type, false)));
        }
    }

    /** Gram method on a float64 matrix; results live in the workspace. */
    private Svd gram(Workspace ws, NDArray a, int k) {
        NDManager manager = ws.manager();
        int m = Math.toIntExact(a.getShape().get(0));
        int n = Math.toIntExact(a.getShape().get(1));
        boolean wide = m <= n;
        NDArray at = a.transpose();
        NDArray g = wide ? a.matMul(at) : at.matMul(a);
        SymmetricEigen eigen = LeadingEigen.builder().optSeed(seed).build().compute(g, k);
        double[] values = HostArrays.toDoubles(eigen.getValues());
        double[] s = new double[k];
        double[] inv = new double[k];
        double top = Math.sqrt(Math.max(values[0], 0));
        boolean anyNull = false;
        for (int i = 0; i < k; i++) {
            double v = Math.sqrt(Math.max(values[i], 0));
            if (v <= NULL_THRESHOLD * top || v == 0) {
                anyNull = true;
                s[i] = 0;
                inv[i] = 0;
            } else {
                s[i] = v;
                inv[i] = 1 / v;
            }
        }
        NDArray w = eigen.getVectors();
        NDArray invS = manager.create(inv);
        NDArray sv = manager.create(s);
        if (wide) {
            // U = W, Vt = diag(1/s) Wᵀ A
            NDArray vt = w.transpose().matMul(a).mul(invS.reshape(k, 1));
            return new Svd(w, sv, vt);
        }
        // V = W, U = A W diag(1/s)
        NDArray u = a.matMul(w).mul(invS.reshape(1, k));
        if (anyNull) {
            u = complete(manager, u, s);
        }
        return new Svd(u, sv, w.transpose());
    }

    /** Replaces the columns of {@code u} whose singular value is zero by orthonormal ones. */
    private NDArray complete(NDManager manager, NDArray u, double[] s) {
        int m = Math.toIntExact(u.getShape().get(0));
        int k = s.length;
        double[] h = HostArrays.toDoubles(u);
        Random random = new Random(seed ^ 0x5DEECE66DL);
        for (int c = 0; c < k; c++) {
            if (s[c] != 0) {
                continue;
            }
            double[] col = HostRandom.gaussian(random, m);
            for (int pass = 0; pass < 2; pass++) {
                for (int o = 0; o < k; o++) {
                    if (o == c || (s[o] == 0 && o > c)) {
                        continue;
                    }
                    double dot = 0;
                    for (int r = 0; r < m; r++) {
                        dot += h[r * k + o] * col[r];
                    }
                    for (int r = 0; r < m; r++) {
                        col[r] -= dot * h[r * k + o];
                    }
                }
            }
            double norm = 0;
            for (double v : col) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int r = 0; r < m; r++) {
                h[r * k + c] = col[r] / norm;
            }
        }
        return manager.create(h, new Shape(m, k));
    }

    /** Randomized method on a float64 matrix; results live in the workspace. */
    private Svd randomized(Workspace ws, NDArray a, int k) {
        NDManager manager = ws.manager();
        int m = Math.toIntExact(a.getShape().get(0));
        int n = Math.toIntExact(a.getShape().get(1));
        int l = Math.min(k + oversampling, Math.min(m, n));
        Random random = new Random(seed);
        NDArray omega = manager.create(HostRandom.gaussian(random, n * l), new Shape(n, l));
        NDArray at = a.transpose();
        NDArray q = orth(manager, a.matMul(omega));
        for (int i = 0; i < powerIterations; i++) {
            NDArray z = orth(manager, at.matMul(q));
            q = orth(manager, a.matMul(z));
        }
        NDArray b = q.transpose().matMul(a);
        Svd small = gram(ws, b, k);
        return new Svd(q.matMul(small.getU()), small.getS(), small.getVt());
    }

    private static NDArray orth(NDManager manager, NDArray y) {
        return HostLinalg.toEngine(
                manager, HostLinalg.orthonormalize(HostLinalg.toHost(y)), DataType.FLOAT64);
    }

    /** Builds a {@link TruncatedSvd}. */
    public static final class Builder {

        private Method method = Method.AUTO;
        private long seed;
        private int oversampling = 10;
        private int powerIterations = 3;
        private int gramLimit = 256;

        private Builder() {}

        /**
         * Sets the method (default {@link Method#AUTO}).
         *
         * @param method the method
         * @return this builder
         */
        public Builder optMethod(Method method) {
            if (method == null) {
                throw new IllegalArgumentException("method must not be null");
            }
            this.method = method;
            return this;
        }

        /**
         * Sets the seed of the random projections and completions (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how many extra random directions the randomized method samples (default 10).
         *
         * @param oversampling at least 0
         * @return this builder
         */
        public Builder optOversampling(int oversampling) {
            if (oversampling < 0) {
                throw new IllegalArgumentException(
                        "oversampling " + oversampling + " is not accepted; it must be >= 0");
            }
            this.oversampling = oversampling;
            return this;
        }

        /**
         * Sets the number of power iterations of the randomized method (default 3).
         *
         * @param powerIterations at least 0
         * @return this builder
         */
        public Builder optPowerIterations(int powerIterations) {
            if (powerIterations < 0) {
                throw new IllegalArgumentException(
                        "power iterations "
                                + powerIterations
                                + " is not accepted; it must be >= 0");
            }
            this.powerIterations = powerIterations;
            return this;
        }

        /**
         * Sets the largest smaller side for which {@link Method#AUTO} uses the Gram method (default
         * 256).
         *
         * @param gramLimit at least 1
         * @return this builder
         */
        public Builder optGramLimit(int gramLimit) {
            if (gramLimit < 1) {
                throw new IllegalArgumentException(
                        "Gram limit " + gramLimit + " is not accepted; it must be >= 1");
            }
            this.gramLimit = gramLimit;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the truncated SVD
         */
        public TruncatedSvd build() {
            return new TruncatedSvd(this);
        }
    }
}
