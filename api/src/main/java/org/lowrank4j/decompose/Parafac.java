package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TensorOps;

/**
 * CP decomposition by alternating least squares (CP-ALS, PARAFAC).
 *
 * <p>Each sweep updates every factor in turn, entirely on the engine (no host round trip but one
 * scalar pair per sweep for the error): the big product of an update (the matricised tensor times
 * the Khatri-Rao product of the other factors, MTTKRP) is computed without forming that Khatri-Rao
 * product — the tensor is first contracted with the factor of its largest other mode by one matrix
 * product, then with the remaining factors one mode at a time by batched matrix-vector products —
 * and the small {@code R × R} normal equations are solved in double precision, with a relative
 * ridge of {@code 1e-10} (plus {@link Builder#optL2Reg the L2 regularisation}) that keeps them
 * invertible. Two neighbouring short modes (the spatial modes of a convolution kernel) share one
 * contraction of the tensor per sweep: contracted with every other factor it gives the first mode's
 * product and, with the first mode's new factor, the second's.
 *
 * <p>With {@link Builder#optLineSearch line search} each sweep after the first also tries the
 * factors moved further along the step it took and keeps them when their error is lower; on
 * convolution kernels and tensorized weights this reaches in about half the sweeps the error that
 * plain sweeps reach, each sweep costing one factor update more.
 *
 * <p>At the largest rank a tensor can need ({@link Ranks#cpLimit}) the result is exact without
 * iterations: one rank-one term per fibre along the longest mode. A tensor with only two modes
 * longer than 1 (a {@code 1×1} convolution kernel) is a matrix, whose best CP tensor of any rank is
 * its truncated SVD: that is returned, without iterations, unless an L2 regularisation is set.
 *
 * <p>The SVD initialisation takes the leading left singular vectors of each unfolding from {@link
 * TruncatedSvd} (a Gram eigenproblem of size {@code I_k}), never a full SVD of the wide unfolding;
 * when {@code R > I_k} the missing columns are drawn from the seed. The relative error after each
 * sweep is computed from the factors (no reconstruction); the final error is measured on the
 * reconstruction.
 *
 * <pre>{@code
 * Decomposition<CPTensor> cp = Parafac.builder().setRank(Rank.fraction(0.25)).build().fit(kernel);
 * System.out.println(cp.getRelativeError());
 * }</pre>
 */
public final class Parafac {

    /** How the factors are initialised. */
    public enum Init {
        /** Leading left singular vectors of each unfolding (random columns beyond {@code I_k}). */
        SVD,
        /** Independent normal values drawn from the seed. */
        RANDOM
    }

    private static final double RIDGE = 1e-10;

    /**
     * The largest rank fitted by ALS: its {@code R × R} normal equations take {@code R²} doubles
     * per mode and about {@code R³} operations per factor update.
     */
    public static final int MAX_ALS_RANK = 2048;

    private final Rank rank;
    private final int maxIterations;
    private final double tolerance;
    private final long seed;
    private final Init init;
    private final double l2Reg;
    private final boolean normalizeFactors;
    private final boolean lineSearch;

    private Parafac(Builder b) {
        this.rank = b.rank;
        this.maxIterations = b.maxIterations;
        this.tolerance = b.tolerance;
        this.seed = b.seed;
        this.init = b.init;
        this.l2Reg = b.l2Reg;
        this.normalizeFactors = b.normalizeFactors;
        this.lineSearch = b.lineSearch;
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
     * @param tensor a float32 or float64 tensor of order at least 2, with finite values
     * @return the CP tensor (in the input's manager and data type) and its errors
     * @throws IllegalArgumentException if the tensor has order below 2 or NaN/infinite values, or
     *     the rank request does not fit CP
     * @throws RankTooLargeException if the request resolves to a rank above {@link #MAX_ALS_RANK}
     *     (but the exact largest one)
     */
    public Decomposition<CPTensor> fit(NDArray tensor) {
        Inputs.check(tensor, 2, "Parafac");
        Shape shape = tensor.getShape();
        int n = shape.dimension();
        int r = Ranks.cp(shape, rank);
        DataType type = tensor.getDataType();
        long limit = Ranks.cpLimit(shape);
        if (r > MAX_ALS_RANK && r < limit) {
            throw new RankTooLargeException(
                    "CP rank "
                            + r
                            + " for a tensor of shape "
                            + shape
                            + " is not accepted by CP-ALS: each sweep solves "
                            + n
                            + " systems of "
                            + r
                            + "x"
                            + r
                            + " normal equations; ranks up to "
                            + MAX_ALS_RANK
                            + " are (or the largest rank, "
                            + limit
                            + ", which is exact); ask for a lower rank, or use Tucker or TT",
                    r,
                    MAX_ALS_RANK);
        }
        if (r == limit && l2Reg == 0) {
            CPTensor exact = fibres(tensor);
            double error = Inputs.relativeError(tensor, exact);
            return new Decomposition<>(exact, List.of(error), error, true);
        }
        int[] longModes = longModes(shape);
        if (l2Reg == 0 && longModes.length == 2) {
            CPTensor best = truncatedSvd(tensor, longModes[0], longModes[1], r, seed);
            double error = Inputs.relativeError(tensor, best);
            return new Decomposition<>(best, List.of(error), error, true);
        }
        Random random = new Random(seed);
        List<Double> errors = new ArrayList<>();
        boolean converged = false;
        CPTensor result;
        try (Workspace ws = Workspace.of(tensor)) {
            NDManager manager = ws.manager();
            NDArray x = ws.adopt(tensor);
            double normX2;
            try (NDArray x64 = x.toType(DataType.FLOAT64, true);
                    NDArray sq = x64.mul(x64);
                    NDArray s = sq.sum()) {
                normX2 = s.getDouble();
            }
            Map<Integer, NDArray> unfoldings = new HashMap<>();
            // factors are kept transposed, (R, I_k), so every product reads them contiguously
            NDArray[] rows = new NDArray[n];
            NDArray[] grams = new NDArray[n];
            for (int k = 0; k < n; k++) {
                DMatrixRMaj init0 = CommonOps_DDRM.transpose(initialFactor(x, k, r, random), null);
                NDArray at = HostLinalg.toEngine(manager, init0, DataType.FLOAT64);
                grams[k] = at.matMul(at.transpose());
                rows[k] = at.toType(type, false);
            }
            // a tiny relative ridge on the diagonal keeps the normal equations invertible
            NDArray ridge = manager.eye(r, r, 0, DataType.FLOAT64).mul(RIDGE);
            NDArray l2 = manager.eye(r, r, 0, DataType.FLOAT64).mul(l2Reg);
            NDArray weights = manager.ones(new Shape(r), DataType.FLOAT64);
            boolean extrapolate = lineSearch && !normalizeFactors;
            NDArray[] previous = new NDArray[n];
            int[] partner = partners(shape);
            NDArray pair = null;
            for (int iteration = 0; iteration < maxIterations; iteration++) {
                double[] terms = null;
                for (int k = 0; k < n; k++) {
                    try (Workspace step = Workspace.of(manager)) {
                        NDArray v = null;
                        for (int j = 0; j < n; j++) {
                            if (j != k) {
                                NDArray g = step.adopt(grams[j]);
                                v = v == null ? g.mul(1) : v.mul(g);
                            }
                        }
                        v = v.add(v.mul(step.adopt(ridge)));
                        if (l2Reg > 0) {
                            v = v.add(step.adopt(l2));
                        }
                        NDArray mt;
                        if (partner[k] == k + 1) {
                            // the pair's contraction serves this mode and the next one
                            NDArray both = contract(step, x, rows, k, k + 1, unfoldings);
                            long next = shape.get(k + 1);
                            mt =
                                    both.matMul(step.adopt(rows[k + 1]).reshape(r, next, 1))
                                            .reshape(r, shape.get(k));
                            pair = step.keep(both);
                        } else if (k > 0 && partner[k] == k - 1) {
                            long before = shape.get(k - 1);
                            mt =
                                    step.adopt(rows[k - 1])
                                            .reshape(r, 1, before)
                                            .matMul(pair)
                                            .reshape(r, shape.get(k));
                            pair.close();
                            pair = null;
                        } else {
                            mt = mttkrp(step, x, rows, k, unfoldings);
                        }
                        mt = mt.toType(DataType.FLOAT64, false);
                        // Aᵀ = V⁻¹ Mᵀ (V is symmetric)
                        NDArray at = v.inverse().matMul(mt);
                        if (normalizeFactors) {
                            NDArray norms = at.mul(at).sum(new int[] {1}).sqrt();
                            NDArray safe = norms.add(norms.eq(0).toType(DataType.FLOAT64, false));
                            at = at.div(safe.reshape(r, 1));
                            weights.close();
                            weights = step.keep(norms);
                        }
                        grams[k].close();
                        grams[k] = step.keep(at.matMul(at.transpose()));
                        if (extrapolate) {
                            previous[k] = rows[k];
                        } else {
                            rows[k].close();
                        }
                        rows[k] = step.keep(at.toType(type, true));
                        if (k == n - 1) {
                            terms = errorTerms(step, mt, at, grams, step.adopt(weights));
                        }
                    }
                }
                double error = relative(terms, normX2);
                if (extrapolate) {
                    if (iteration >= 1) {
                        error =
                                extrapolated(
                                        manager,
                                        x,
                                        rows,
                                        previous,
                                        grams,
                                        weights,
                                        unfoldings,
                                        Math.cbrt(iteration + 1),
                                        normX2,
                                        error);
                    }
                    for (int k = 0; k < n; k++) {
                        previous[k].close();
                    }
                }
                errors.add(error);
                if (iteration > 0 && Math.abs(errors.get(iteration - 1) - error) < tolerance) {
                    converged = true;
                    break;
                }
            }
            List<NDArray> kept = new ArrayList<>();
            for (NDArray f : rows) {
                kept.add(ws.keep(f.transpose()));
            }
            result = new CPTensor(ws.keep(weights.toType(type, true)), kept);
        }
        return new Decomposition<>(result, errors, Inputs.relativeError(tensor, result), converged);
    }

    private static double relative(double[] terms, double normX2) {
        double err2 = Math.max(normX2 - 2 * terms[0] + terms[1], 0);
        return normX2 == 0 ? Math.sqrt(err2) : Math.sqrt(err2 / normX2);
    }

    /**
     * Tries the factors moved {@code jump} times further along the sweep's step ({@code A_prev +
     * jump (A - A_prev)}); keeps them (in {@code rows} and {@code grams}) if their error is lower
     * and returns the error of the factors kept.
     */
    private static double extrapolated(
            NDManager manager,
            NDArray x,
            NDArray[] rows,
            NDArray[] previous,
            NDArray[] grams,
            NDArray weights,
            Map<Integer, NDArray> unfoldings,
            double jump,
            double normX2,
            double error) {
        int n = rows.length;
        try (Workspace step = Workspace.of(manager)) {
            NDArray[] moved = new NDArray[n];
            NDArray[] movedGrams = new NDArray[n];
            NDArray last = null;
            for (int k = 0; k < n; k++) {
                NDArray a = step.adopt(rows[k]);
                NDArray p = step.adopt(previous[k]);
                moved[k] = p.add(a.sub(p).mul(jump));
                last = moved[k].toType(DataType.FLOAT64, false);
                movedGrams[k] = last.matMul(last.transpose());
            }
            NDArray mt = mttkrp(step, x, moved, n - 1, unfoldings).toType(DataType.FLOAT64, false);
            double tried =
                    relative(errorTerms(step, mt, last, movedGrams, step.adopt(weights)), normX2);
            if (!(tried < error)) {
                return error;
            }
            for (int k = 0; k < n; k++) {
                rows[k].close();
                rows[k] = step.keep(moved[k]);
                grams[k].close();
                grams[k] = step.keep(movedGrams[k]);
            }
            return tried;
        }
    }

    /** The modes longer than 1, in order. */
    private static int[] longModes(Shape shape) {
        return IntStream.range(0, shape.dimension()).filter(k -> shape.get(k) > 1).toArray();
    }

    /**
     * The best CP tensor of rank {@code r} of a tensor whose only modes longer than 1 are {@code a}
     * and {@code b}, a matrix: its truncated SVD (Eckart-Young), the singular values as weights and
     * ones in the other modes.
     */
    private static CPTensor truncatedSvd(NDArray tensor, int a, int b, int r, long seed) {
        Shape shape = tensor.getShape();
        NDManager manager = tensor.getManager();
        List<NDArray> factors = new ArrayList<>();
        NDArray weights;
        try (NDArray matrix = tensor.reshape(shape.get(a), shape.get(b));
                Svd svd =
                        TruncatedSvd.builder()
                                .optMethod(TruncatedSvd.Method.GRAM)
                                .optSeed(seed)
                                .build()
                                .compute(matrix, r)) {
            weights = svd.getS().duplicate();
            for (int k = 0; k < shape.dimension(); k++) {
                if (k == a) {
                    factors.add(svd.getU().duplicate());
                } else if (k == b) {
                    try (NDArray v = svd.getVt().transpose()) {
                        factors.add(v.duplicate());
                    }
                } else {
                    factors.add(manager.ones(new Shape(1, r), tensor.getDataType()));
                }
            }
        }
        return new CPTensor(weights, factors);
    }

    /**
     * The exact CP tensor of the largest rank a shape can need: one rank-one term per fibre along
     * the longest mode (that fibre times one-hot vectors of its position in the other modes).
     */
    private static CPTensor fibres(NDArray tensor) {
        Shape shape = tensor.getShape();
        int n = shape.dimension();
        int g = 0;
        for (int k = 1; k < n; k++) {
            if (shape.get(k) > shape.get(g)) {
                g = k;
            }
        }
        int[] order = new int[n];
        order[0] = g;
        for (int k = 0, j = 1; k < n; k++) {
            if (k != g) {
                order[j++] = k;
            }
        }
        int r = Math.toIntExact(shape.size() / shape.get(g));
        NDManager manager = tensor.getManager();
        DataType type = tensor.getDataType();
        // the position of term c in mode order[j] is its j-th digit (row-major over those modes)
        long stride = r;
        NDArray[] byMode = new NDArray[n];
        for (int j = 1; j < n; j++) {
            int k = order[j];
            int size = Math.toIntExact(shape.get(k));
            stride /= size;
            float[] oneHot = new float[size * r];
            for (int c = 0; c < r; c++) {
                oneHot[(int) ((c / stride) % size) * r + c] = 1;
            }
            try (NDArray f = manager.create(oneHot, new Shape(size, r))) {
                byMode[k] = f.toType(type, true);
            }
        }
        try (NDArray moved = tensor.transpose(order);
                NDArray fibres = moved.reshape(shape.get(g), r)) {
            byMode[g] = fibres.duplicate();
        }
        return new CPTensor(manager.ones(new Shape(r), type), Arrays.asList(byMode));
    }

    /**
     * {@code <X, X̂>} and {@code ‖X̂‖²} from the last MTTKRP, the last factor, the Gram matrices
     * and the weights, fetched from the engine together.
     */
    private static double[] errorTerms(
            Workspace step, NDArray mt, NDArray at, NDArray[] grams, NDArray weights) {
        int r = Math.toIntExact(weights.getShape().get(0));
        NDArray inner = mt.mul(at).sum(new int[] {1}).mul(weights).sum();
        NDArray h = step.adopt(grams[0]);
        for (int j = 1; j < grams.length; j++) {
            h = h.mul(step.adopt(grams[j]));
        }
        NDArray norm = h.mul(weights.reshape(r, 1).matMul(weights.reshape(1, r))).sum();
        return NDArrays.stack(new NDList(inner, norm)).toDoubleArray();
    }

    private DMatrixRMaj initialFactor(NDArray x, int mode, int r, Random random) {
        int rows = Math.toIntExact(x.getShape().get(mode));
        DMatrixRMaj f = new DMatrixRMaj(rows, r);
        int filled = 0;
        if (init == Init.SVD) {
            int k = Math.min(r, rows);
            try (NDArray unfolded = TensorOps.unfold(x, mode);
                    Svd svd =
                            TruncatedSvd.builder()
                                    .optSeed(seed + mode)
                                    .build()
                                    .compute(unfolded, k)) {
                DMatrixRMaj u = HostLinalg.toHost(svd.getU());
                CommonOps_DDRM.extract(u, 0, rows, 0, k, f, 0, 0);
            }
            filled = k;
        }
        double scale = 1 / Math.sqrt(rows);
        for (int i = 0; i < rows; i++) {
            for (int c = filled; c < r; c++) {
                f.set(i, c, random.nextGaussian() * scale);
            }
        }
        return f;
    }

    /**
     * Pairs of neighbouring modes whose updates share one contraction: the tensor contracted with
     * every other factor, {@code (R, I_k, I_k+1)}, gives the first mode's product and, with the
     * first mode's new factor, the second's. A pair is taken when that contraction is at most a
     * quarter of the size of the one it saves (the tensor times the largest other factor), as for
     * the spatial modes of a convolution kernel. Returns each mode's partner, or -1.
     */
    private static int[] partners(Shape shape) {
        int n = shape.dimension();
        int[] partner = new int[n];
        Arrays.fill(partner, -1);
        // a pair needs a mode outside it to contract first
        for (int k = 0; n > 2 && k + 1 < n; k++) {
            long largest = 1;
            for (int j = 0; j < n; j++) {
                if (j != k && j != k + 1) {
                    largest = Math.max(largest, shape.get(j));
                }
            }
            if (4 * shape.get(k) * shape.get(k + 1) * largest <= shape.size()) {
                partner[k] = k + 1;
                partner[k + 1] = k;
                k++;
            }
        }
        return partner;
    }

    /**
     * {@code unfold(X, k) · khatriRao(A_j, j ≠ k)} without the Khatri-Rao product, {@code (R,
     * I_k)}, in {@code step}.
     */
    private static NDArray mttkrp(
            Workspace step, NDArray x, NDArray[] rows, int k, Map<Integer, NDArray> unfoldings) {
        return contract(step, x, rows, k, k, unfoldings).reshape(rows[k].getShape());
    }

    /**
     * The tensor contracted with the factors of every mode but {@code first..last}, {@code (R,
     * I_first, …, I_last)}, in {@code step}: first with the factor of the largest other mode by one
     * matrix product, then with the others one at a time by batched matrix-vector products, from
     * the last mode backwards and from the first forwards, so that no broadcast intermediate is
     * formed.
     */
    private static NDArray contract(
            Workspace step,
            NDArray x,
            NDArray[] rows,
            int first,
            int last,
            Map<Integer, NDArray> unfoldings) {
        Shape shape = x.getShape();
        int n = shape.dimension();
        int g = -1;
        for (int j = 0; j < n; j++) {
            if ((j < first || j > last) && (g < 0 || shape.get(j) > shape.get(g))) {
                g = j;
            }
        }
        NDArray unfolded = unfoldings.computeIfAbsent(g, mode -> TensorOps.unfold(x, mode));
        NDArray ag = step.adopt(rows[g]);
        long r = ag.getShape().get(0);
        // w is (R, the sizes of the modes other than g, in order)
        NDArray w = ag.matMul(step.adopt(unfolded));
        long rest = w.getShape().get(1);
        for (int j = n - 1; j > last; j--) {
            if (j != g) {
                long size = shape.get(j);
                rest /= size;
                w = w.reshape(r, rest, size).matMul(step.adopt(rows[j]).reshape(r, size, 1));
            }
        }
        for (int j = 0; j < first; j++) {
            if (j != g) {
                long size = shape.get(j);
                rest /= size;
                w = step.adopt(rows[j]).reshape(r, 1, size).matMul(w.reshape(r, size, rest));
            }
        }
        long[] kept = new long[last - first + 2];
        kept[0] = r;
        for (int j = first; j <= last; j++) {
            kept[j - first + 1] = shape.get(j);
        }
        return w.reshape(kept);
    }

    /** Builds a {@link Parafac}. */
    public static final class Builder {

        private Rank rank;
        private int maxIterations = 100;
        private double tolerance = 1e-8;
        private long seed;
        private Init init = Init.SVD;
        private double l2Reg;
        private boolean normalizeFactors;
        private boolean lineSearch;

        private Builder() {}

        /**
         * Sets the rank (required): a fraction of the dense parameters or one explicit CP rank.
         *
         * @param rank the rank
         * @return this builder
         */
        public Builder setRank(Rank rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets an explicit CP rank (required unless {@link #setRank(Rank)} is called).
         *
         * @param rank the CP rank, at least 1
         * @return this builder
         */
        public Builder setRank(int rank) {
            this.rank = Rank.of(rank);
            return this;
        }

        /**
         * Sets the largest number of ALS sweeps (default 100).
         *
         * @param maxIterations at least 1
         * @return this builder
         */
        public Builder optMaxIterations(int maxIterations) {
            this.maxIterations = Inputs.iterations(maxIterations);
            return this;
        }

        /**
         * Sets the tolerance on the change of relative error between sweeps (default 1e-8).
         *
         * @param tolerance at least 0 (0 runs every sweep)
         * @return this builder
         */
        public Builder optTolerance(double tolerance) {
            this.tolerance = Inputs.tolerance(tolerance);
            return this;
        }

        /**
         * Sets the seed of every random choice (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the initialisation (default {@link Init#SVD}).
         *
         * @param init the initialisation
         * @return this builder
         */
        public Builder optInit(Init init) {
            if (init == null) {
                throw new IllegalArgumentException("init must not be null");
            }
            this.init = init;
            return this;
        }

        /**
         * Sets the ridge (L2) regularisation added to every least-squares update (default 0).
         *
         * @param l2Reg at least 0
         * @return this builder
         */
        public Builder optL2Reg(double l2Reg) {
            if (!(l2Reg >= 0) || Double.isInfinite(l2Reg)) {
                throw new IllegalArgumentException(
                        "l2Reg " + l2Reg + " is not accepted; it must be finite and >= 0");
            }
            this.l2Reg = l2Reg;
            return this;
        }

        /**
         * Sets whether factor columns are normalised to unit norm, their scale moving into the
         * weights (default false).
         *
         * @param normalizeFactors whether to normalise
         * @return this builder
         */
        public Builder optNormalizeFactors(boolean normalizeFactors) {
            this.normalizeFactors = normalizeFactors;
            return this;
        }

        /**
         * Sets whether each sweep after the first tries the factors moved further along the step
         * the sweep took ({@code A_prev + s (A - A_prev)}, {@code s} the cube root of the sweep
         * number), keeping them when their error is lower (default false). Each try costs about one
         * factor update; it is skipped with {@link #optNormalizeFactors normalised factors}.
         *
         * @param lineSearch whether to extrapolate
         * @return this builder
         */
        public Builder optLineSearch(boolean lineSearch) {
            this.lineSearch = lineSearch;
            return this;
        }

        /**
         * Builds the decomposition.
         *
         * @return the configured {@link Parafac}
         * @throws IllegalArgumentException if no rank was set
         */
        public Parafac build() {
            if (rank == null) {
                throw new IllegalArgumentException(
                        "Parafac needs a rank: call setRank(Rank) or setRank(int)");
            }
            if (!rank.isFraction() && rank.getValues().length != 1) {
                throw new IllegalArgumentException(
                        "rank "
                                + rank
                                + " is not accepted by CP; one value or a fraction is (CP has a"
                                + " single rank)");
            }
            return new Parafac(this);
        }
    }
}
