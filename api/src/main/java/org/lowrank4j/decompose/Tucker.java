package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TensorOps;
import org.lowrank4j.tensor.TuckerTensor;

/**
 * Tucker decomposition: HOSVD, and HOOI (higher-order orthogonal iteration) started from it.
 *
 * <p>Modes listed as fixed are not factorized (partial Tucker): they keep their full size and have
 * no factor in the result, as for a Tucker-2 convolution kernel whose spatial modes are kept. The
 * other modes get orthonormal factors from the leading left singular vectors of the (projected)
 * unfoldings, computed by {@link TruncatedSvd}. Ranks are clipped to what the decomposition can
 * realise ({@link Ranks#realizableTucker}).
 *
 * <pre>{@code
 * // Tucker-2 of a conv kernel (out, in, kh, kw): spatial modes kept
 * Decomposition<TuckerTensor> t = Tucker.builder()
 *         .setRank(Rank.fraction(0.25))
 *         .optFixedModes(2, 3)
 *         .build()
 *         .fit(kernel);
 * }</pre>
 */
public final class Tucker {

    /** The algorithm. */
    public enum Method {
        /** Truncated higher-order SVD: one pass. */
        HOSVD,
        /** Higher-order orthogonal iteration, started from the HOSVD. */
        HOOI
    }

    private final Rank rank;
    private final int[] fixedModes;
    private final Method method;
    private final int maxIterations;
    private final double tolerance;
    private final long seed;

    private Tucker(Builder b) {
        this.rank = b.rank;
        this.fixedModes = b.fixedModes.clone();
        this.method = b.method;
        this.maxIterations = b.maxIterations;
        this.tolerance = b.tolerance;
        this.seed = b.seed;
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
     * Decomposes a tensor.
     *
     * @param tensor a float32 or float64 tensor with finite values
     * @return the Tucker tensor (in the input's manager and data type) and its errors
     * @throws IllegalArgumentException if the tensor has NaN/infinite values, a fixed mode is out
     *     of range, or the rank request does not fit the shape
     */
    public Decomposition<TuckerTensor> fit(NDArray tensor) {
        Inputs.check(tensor, 1, "Tucker");
        Shape shape = tensor.getShape();
        int n = shape.dimension();
        for (int m : fixedModes) {
            Checks.mode(m, n);
        }
        int[] ranks = Ranks.realizableTucker(shape, Ranks.tucker(shape, rank, fixedModes));
        boolean[] fixed = new boolean[n];
        for (int m : fixedModes) {
            fixed[m] = true;
        }
        int[] modes = java.util.stream.IntStream.range(0, n).filter(k -> !fixed[k]).toArray();
        DataType type = tensor.getDataType();
        List<Double> errors = new ArrayList<>();
        boolean converged = true;
        TuckerTensor result;
        try (Workspace ws = Workspace.of(tensor)) {
            NDArray x = ws.adopt(tensor);
            double normX2 = squaredNorm(x);
            NDArray[] factors = new NDArray[n];
            for (int k : modes) {
                factors[k] = leading(TensorOps.unfold(x, k), ranks[k], k);
            }
            NDArray core = project(x, factors, modes, -1);
            errors.add(error(normX2, core));
            if (method == Method.HOOI) {
                converged = false;
                for (int iteration = 1; iteration < maxIterations; iteration++) {
                    for (int k : modes) {
                        try (NDArray y = project(x, factors, modes, k);
                                NDArray unfolded = TensorOps.unfold(y, k)) {
                            NDArray next = leading(unfolded, ranks[k], k);
                            factors[k].close();
                            factors[k] = next;
                        }
                    }
                    core.close();
                    core = project(x, factors, modes, -1);
                    double e = error(normX2, core);
                    errors.add(e);
                    if (Math.abs(errors.get(errors.size() - 2) - e) < tolerance) {
                        converged = true;
                        break;
                    }
                }
            }
            List<NDArray> kept = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                kept.add(factors[k] == null ? null : ws.keep(factors[k].toType(type, false)));
            }
            result = new TuckerTensor(ws.keep(core.toType(type, false)), kept);
        }
        return new Decomposition<>(result, errors, Inputs.relativeError(tensor, result), converged);
    }

    private NDArray leading(NDArray unfolded, int r, int mode) {
        try (unfolded;
                Svd svd =
                        TruncatedSvd.builder().optSeed(seed + mode).build().compute(unfolded, r)) {
            NDArray u = svd.getU();
            return u.duplicate();
        }
    }

    /** {@code X ×_j U_jᵀ} over every factorized mode except {@code skip}. */
    private static NDArray project(NDArray x, NDArray[] factors, int[] modes, int skip) {
        List<NDArray> matrices = new ArrayList<>();
        int[] used = Arrays.stream(modes).filter(k -> k != skip).toArray();
        for (int k : used) {
            matrices.add(factors[k]);
        }
        return TensorOps.multiModeProduct(x, matrices, used, true);
    }

    private static double squaredNorm(NDArray a) {
        try (NDArray d = a.toType(DataType.FLOAT64, true);
                NDArray sq = d.mul(d);
                NDArray s = sq.sum()) {
            return s.getDouble();
        }
    }

    /** With orthonormal factors, {@code ‖X − X̂‖² = ‖X‖² − ‖G‖²}. */
    private static double error(double normX2, NDArray core) {
        double e2 = Math.max(normX2 - squaredNorm(core), 0);
        return normX2 == 0 ? Math.sqrt(e2) : Math.sqrt(e2 / normX2);
    }

    /** Builds a {@link Tucker}. */
    public static final class Builder {

        private Rank rank;
        private int[] fixedModes = new int[0];
        private Method method = Method.HOOI;
        private int maxIterations = 100;
        private double tolerance = 1e-4;
        private long seed;

        private Builder() {}

        /**
         * Sets the rank (required): a fraction, one value for every free mode, or one per mode.
         *
         * @param rank the rank
         * @return this builder
         */
        public Builder setRank(Rank rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets the modes that are not factorized and keep their full size (default none).
         *
         * @param modes the fixed modes
         * @return this builder
         */
        public Builder optFixedModes(int... modes) {
            this.fixedModes = modes.clone();
            return this;
        }

        /**
         * Sets the algorithm (default {@link Method#HOOI}).
         *
         * @param method the algorithm
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
         * Sets the largest number of HOOI iterations, the HOSVD start included (default 100).
         *
         * @param maxIterations at least 1
         * @return this builder
         */
        public Builder optMaxIterations(int maxIterations) {
            this.maxIterations = Inputs.iterations(maxIterations);
            return this;
        }

        /**
         * Sets the tolerance on the change of relative error between HOOI iterations (default 1e-4,
         * as TensorLy's Tucker).
         *
         * @param tolerance at least 0
         * @return this builder
         */
        public Builder optTolerance(double tolerance) {
            this.tolerance = Inputs.tolerance(tolerance);
            return this;
        }

        /**
         * Sets the seed of the randomized SVDs used on large unfoldings (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the decomposition.
         *
         * @return the configured {@link Tucker}
         * @throws IllegalArgumentException if no rank was set
         */
        public Tucker build() {
            if (rank == null) {
                throw new IllegalArgumentException("Tucker needs a rank: call setRank(Rank)");
            }
            return new Tucker(this);
        }
    }
}
