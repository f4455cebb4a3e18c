package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.fit.OutputSpectrum;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Rank;

/**
 * What a {@link RankSelector} knows about one layer and one method: the singular values of the
 * unfoldings the method truncates (one per rank value, a <em>mode</em>), optionally the spectrum of
 * the layer's outputs on calibration data, and how the new block's cost and error grow with the
 * ranks.
 *
 * <p>A {@link LayerMethod} makes the profile of a layer ({@link LayerMethod#profile}); {@link
 * #ofMatrix(String, NDArray)} profiles a bare matrix. The error of a rank tuple ({@link
 * #errorAt(int...)}) is a relative squared error computed from the spectra alone: with an output
 * spectrum, the output nmse of the closed-form data-aware fit; otherwise, summed over the modes,
 * the energy the truncation drops over the total energy (for one mode, the squared relative
 * Frobenius error of the truncated SVD). Curves are computed once, when the profile is built.
 */
public final class LayerProfile {

    private final String path;
    private final List<Mode> modes;
    private final OutputSpectrum outputSpectrum;
    private final BlockCost denseCost;
    private final Function<int[], BlockCost> costModel;
    private final Function<Rank, int[]> resolver;
    private final Block layer;
    private final Shape[] inputShapes;
    private final Function<int[], Block> structure;
    private final int step;

    private LayerProfile(Builder b) {
        path = b.path;
        modes = List.copyOf(b.modes);
        outputSpectrum = b.outputSpectrum;
        denseCost = b.denseCost;
        costModel = b.costModel;
        resolver = b.resolver;
        layer = b.layer;
        inputShapes = b.inputShapes;
        structure = b.structure;
        step = 1;
    }

    private LayerProfile(LayerProfile base, int step) {
        path = base.path;
        modes = base.modes;
        outputSpectrum = base.outputSpectrum;
        denseCost = base.denseCost;
        costModel = base.costModel;
        resolver = base.resolver;
        layer = base.layer;
        inputShapes = base.inputShapes;
        structure = base.structure;
        this.step = step;
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
     * Profiles a matrix as the weight of a linear map applied to one vector: one mode, its singular
     * values; rank {@code r} costs {@code r · (rows + cols)} parameters and as many FLOPs; a
     * fraction {@code f} resolves to about {@code f} of the dense parameters.
     *
     * @param path a name for the matrix
     * @param matrix a 2-D float array, left unchanged
     * @return the profile
     * @throws IllegalArgumentException if the array is not a 2-D float array
     */
    public static LayerProfile ofMatrix(String path, NDArray matrix) {
        Checks.dims(matrix, 2, "matrix");
        Checks.floatType(matrix, "matrix");
        long rows = matrix.getShape().get(0);
        long cols = matrix.getShape().get(1);
        double[] sv = singularValues(matrix);
        return builder()
                .setPath(path)
                .addMode(sv, rows, cols)
                .setDenseCost(BlockCost.of(rows * cols, rows * cols))
                .setCostModel(r -> BlockCost.of(r[0] * (rows + cols), r[0] * (rows + cols)))
                .build();
    }

    /**
     * Returns the singular values of a 2-D array, descending, computed in double precision from the
     * Gram matrix of its smaller side.
     *
     * @param matrix a 2-D float array, left unchanged
     * @return {@code min(rows, cols)} singular values
     */
    static double[] singularValues(NDArray matrix) {
        long rows = matrix.getShape().get(0);
        long cols = matrix.getShape().get(1);
        try (Workspace ws = Workspace.of(matrix)) {
            ws.adopt(matrix);
            NDArray m = matrix.toType(DataType.FLOAT64, true);
            NDArray gram = rows <= cols ? m.matMul(m.transpose()) : m.transpose().matMul(m);
            double[] values = HostLinalg.symmetricEigenvalues(HostLinalg.toHost(gram));
            double[] sv = new double[values.length];
            for (int i = 0; i < sv.length; i++) {
                sv[i] = Math.sqrt(Math.max(0, values[i]));
            }
            return sv;
        }
    }

    /**
     * Returns the layer's path.
     *
     * @return the path
     */
    public String getPath() {
        return path;
    }

    /**
     * Returns the number of rank values the method takes.
     *
     * @return the number of modes, at least 1
     */
    public int getModes() {
        return modes.size();
    }

    /**
     * Returns the singular values of a mode's unfolding, descending.
     *
     * @param mode the mode
     * @return a copy of the values
     */
    public double[] getSingularValues(int mode) {
        return mode(mode).sv.clone();
    }

    /**
     * Returns the number of rows of a mode's unfolding.
     *
     * @param mode the mode
     * @return the rows
     */
    public long getRows(int mode) {
        return mode(mode).rows;
    }

    /**
     * Returns the number of columns of a mode's unfolding.
     *
     * @param mode the mode
     * @return the columns
     */
    public long getColumns(int mode) {
        return mode(mode).cols;
    }

    /**
     * Returns the largest rank of a mode.
     *
     * @param mode the mode
     * @return {@code min(rows, cols)} of the unfolding
     */
    public int getMaxRank(int mode) {
        return mode(mode).max;
    }

    /**
     * Returns the spectrum of the layer's outputs on calibration data.
     *
     * @return the spectrum, {@code null} without calibration data
     */
    public OutputSpectrum getOutputSpectrum() {
        return outputSpectrum;
    }

    /**
     * Returns the cost of the dense layer.
     *
     * @return the cost before factorization
     */
    public BlockCost getDenseCost() {
        return denseCost;
    }

    /**
     * Returns the rank granularity of {@link #candidates()}.
     *
     * @return 1, or the multiple set by {@link #withRankStep(int)}
     */
    public int getRankStep() {
        return step;
    }

    /**
     * Returns the cost of the factorized block at given ranks.
     *
     * @param ranks one rank per mode
     * @return the cost
     * @throws IllegalArgumentException if the ranks do not fit the modes
     */
    public BlockCost costAt(int... ranks) {
        return costModel.apply(check(ranks));
    }

    /**
     * Returns whether the layer can be timed: the profile knows the dense layer, its input shapes
     * and the factorized block of every rank ({@link Builder#optLayer}, {@link
     * Builder#optStructure}).
     *
     * @return whether {@link #denseLatency} and {@link #latencyAt} are available
     */
    public boolean isTimeable() {
        return layer != null && structure != null;
    }

    /**
     * Returns the measured latency of the dense layer on its input shapes (cached by the meter).
     *
     * @param meter the meter
     * @return the latency in milliseconds
     * @throws IllegalStateException if the profile cannot be timed ({@link #isTimeable()})
     */
    public double denseLatency(LatencyMeter meter) {
        requireTimeable(meter);
        return meter.measure(layer, inputShapes);
    }

    /**
     * Returns the measured latency of the factorized block at given ranks, with the fastest
     * implementation it can run among those cheaper than the dense layer (fewer parameters and
     * FLOPs), as the factorizer then fixes it: for a {@link org.lowrank4j.nn.FactorizedConv} in
     * {@link org.lowrank4j.nn.ConvImplementation#AUTO}, every implementation is measured. The block
     * is built with random values (latency does not depend on them), on the engine, device and data
     * type of the layer's parameters, and released afterwards; the meter's cache keeps the
     * measurement of each configuration, so every rank is timed once.
     *
     * @param meter the meter
     * @param ranks one rank per mode
     * @return the latency in milliseconds, infinite when no implementation is cheaper than the
     *     dense layer
     * @throws IllegalArgumentException if the ranks do not fit the modes
     * @throws IllegalStateException if the profile cannot be timed ({@link #isTimeable()})
     */
    public double latencyAt(LatencyMeter meter, int... ranks) {
        check(ranks);
        requireTimeable(meter);
        Block probe = structure.apply(ranks.clone());
        NDArray anchor = null;
        for (Pair<String, Parameter> p : layer.getParameters()) {
            if (anchor == null && p.getValue().isInitialized()) {
                anchor = p.getValue().getArray();
            }
        }
        NDManager scope =
                anchor == null ? NDManager.newBaseManager() : anchor.getManager().newSubManager();
        try {
            probe.initialize(
                    scope, anchor == null ? DataType.FLOAT32 : anchor.getDataType(), inputShapes);
            double millis = Latencies.fastest(meter, probe, inputShapes, denseCost);
            return CostCounter.layer(probe, inputShapes).isCheaperThan(denseCost)
                    ? millis
                    : Double.POSITIVE_INFINITY;
        } finally {
            scope.close();
        }
    }

    private void requireTimeable(LatencyMeter meter) {
        if (meter == null) {
            throw new IllegalArgumentException(
                    "latency meter null is not accepted; LatencyMeter.builder().build() is");
        }
        if (!isTimeable()) {
            throw new IllegalStateException(
                    "layer '"
                            + path
                            + "' cannot be timed: its profile has no "
                            + (layer == null ? "layer and input shapes" : "factorized structure")
                            + "; a profile made by a LayerMethod for a model's layer is accepted"
                            + " by a latency budget");
        }
    }

    /**
     * Returns the relative squared error of the factorized block at given ranks, from the spectra:
     * the output nmse with an output spectrum, else the dropped energy over the total energy,
     * summed over the modes.
     *
     * @param ranks one rank per mode
     * @return the error, 0 when nothing is dropped
     * @throws IllegalArgumentException if the ranks do not fit the modes
     */
    public double errorAt(int... ranks) {
        check(ranks);
        if (outputSpectrum != null && modes.size() == 1) {
            return outputSpectrum.nmseAt(ranks[0]);
        }
        double error = 0;
        for (int i = 0; i < modes.size(); i++) {
            error += modes.get(i).dropped(ranks[i]);
        }
        return error;
    }

    /**
     * Resolves a rank request into one rank per mode, as the method would.
     *
     * @param rank the request
     * @return the ranks, each within {@code 1..getMaxRank(mode)}
     * @throws IllegalArgumentException if the request does not fit the modes
     */
    public int[] resolve(Rank rank) {
        return check(resolver.apply(rank));
    }

    /**
     * Returns the rank tuples a global allocation chooses among, cheapest first: for one mode every
     * rank (every multiple of {@link #getRankStep()}); for several, every mode scaled together,
     * with the steps between two such tuples taken one mode at a time, so that no candidate moves
     * the layer's cost by more than one mode's step.
     *
     * @return the candidates
     */
    public List<int[]> candidates() {
        int largest = 0;
        for (Mode m : modes) {
            largest = Math.max(largest, m.max);
        }
        List<int[]> out = new ArrayList<>();
        int[] last = null;
        for (int k = 1; k <= largest; k++) {
            int[] r = new int[modes.size()];
            for (int i = 0; i < r.length; i++) {
                int max = modes.get(i).max;
                int raw = modes.size() == 1 ? k : (int) Math.ceil((double) k * max / largest);
                r[i] = roundToStep(raw, max, step);
            }
            if (last != null && !Arrays.equals(last, r)) {
                int[] between = last.clone();
                for (int i = 0; i < r.length - 1; i++) {
                    if (between[i] != r[i]) {
                        between[i] = r[i];
                        if (!Arrays.equals(between, r)) {
                            out.add(between.clone());
                        }
                    }
                }
            }
            if (last == null || !Arrays.equals(last, r)) {
                out.add(r);
                last = r;
            }
        }
        return out;
    }

    /**
     * Returns a view of this profile whose candidates are multiples of {@code step}.
     *
     * @param step the multiple, at least 1
     * @return the view
     */
    public LayerProfile withRankStep(int step) {
        if (step < 1) {
            throw new IllegalArgumentException(
                    "rank step " + step + " is not accepted; it must be >= 1");
        }
        return new LayerProfile(this, step);
    }

    /**
     * Rounds a rank to the nearest multiple of {@code step} (halves up), at least {@code step}, and
     * at most the largest multiple not above {@code max}; when {@code max < step}, {@code max}.
     */
    static int roundToStep(int rank, int max, int step) {
        if (step <= 1) {
            return Math.max(1, Math.min(max, rank));
        }
        if (max < step) {
            return max;
        }
        int r = (int) (Math.floor((double) rank / step + 0.5) * step);
        int top = max / step * step;
        return Math.max(step, Math.min(top, r));
    }

    private Mode mode(int mode) {
        if (mode < 0 || mode >= modes.size()) {
            throw new IllegalArgumentException(
                    "mode "
                            + mode
                            + " is not accepted; the profile has modes 0.."
                            + (modes.size() - 1));
        }
        return modes.get(mode);
    }

    private int[] check(int[] ranks) {
        if (ranks == null || ranks.length != modes.size()) {
            throw new IllegalArgumentException(
                    "ranks "
                            + Arrays.toString(ranks)
                            + " are not accepted for layer '"
                            + path
                            + "'; "
                            + modes.size()
                            + " rank value(s) are");
        }
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] < 1 || ranks[i] > modes.get(i).max) {
                throw new IllegalArgumentException(
                        "rank "
                                + ranks[i]
                                + " of mode "
                                + i
                                + " is not accepted for layer '"
                                + path
                                + "'; 1.."
                                + modes.get(i).max
                                + " is");
            }
        }
        return ranks;
    }

    /** The spectrum of one unfolding. */
    private static final class Mode {
        final double[] sv;
        final long rows;
        final long cols;
        final int max;
        final double[] tail;

        Mode(double[] sv, long rows, long cols) {
            this.sv = sv;
            this.rows = rows;
            this.cols = cols;
            this.max = (int) Math.min(Math.min(rows, cols), Integer.MAX_VALUE);
            tail = new double[sv.length + 1];
            for (int i = sv.length - 1; i >= 0; i--) {
                tail[i] = tail[i + 1] + sv[i] * sv[i];
            }
        }

        double dropped(int rank) {
            double total = tail[0];
            return total <= 0 ? 0 : tail[Math.min(rank, sv.length)] / total;
        }
    }

    /** Builds a {@link LayerProfile}. */
    public static final class Builder {

        private String path = "";
        private final List<Mode> modes = new ArrayList<>();
        private OutputSpectrum outputSpectrum;
        private BlockCost denseCost;
        private Function<int[], BlockCost> costModel;
        private Function<Rank, int[]> resolver;
        private Block layer;
        private Shape[] inputShapes;
        private Function<int[], Block> structure;

        private Builder() {}

        /**
         * Sets the dense layer and the shapes of its inputs, so that the layer can be timed.
         *
         * @param layer the trained layer, initialised
         * @param inputShapes the shapes of its inputs, batch included
         * @return this builder
         * @throws IllegalArgumentException if the layer is {@code null} or no shape is given
         */
        public Builder optLayer(Block layer, Shape... inputShapes) {
            if (layer == null || inputShapes == null || inputShapes.length == 0) {
                throw new IllegalArgumentException(
                        "layer "
                                + layer
                                + " with input shapes "
                                + Arrays.toString(inputShapes)
                                + " is not accepted; a layer and its input shapes are");
            }
            this.layer = layer;
            this.inputShapes = inputShapes.clone();
            return this;
        }

        /**
         * Sets the factorized block the method builds at given ranks, uninitialised, so that its
         * latency can be measured ({@link LayerProfile#latencyAt}).
         *
         * @param structure one rank per mode to a new, uninitialised block
         * @return this builder
         */
        public Builder optStructure(Function<int[], Block> structure) {
            this.structure = structure;
            return this;
        }

        /**
         * Sets the layer's path (default empty).
         *
         * @param path the path
         * @return this builder
         */
        public Builder setPath(String path) {
            this.path = path == null ? "" : path;
            return this;
        }

        /**
         * Adds a mode: the singular values of the unfolding its rank truncates.
         *
         * @param singularValues the singular values, descending, finite and at least 0
         * @param rows the rows of the unfolding, at least 1
         * @param columns the columns of the unfolding, at least 1
         * @return this builder
         * @throws IllegalArgumentException if a value is out of range
         */
        public Builder addMode(double[] singularValues, long rows, long columns) {
            if (rows < 1 || columns < 1) {
                throw new IllegalArgumentException(
                        "unfolding of "
                                + rows
                                + "x"
                                + columns
                                + " is not accepted; both sizes must be >= 1");
            }
            double[] sv = singularValues.clone();
            for (int i = 0; i < sv.length; i++) {
                if (!Double.isFinite(sv[i]) || sv[i] < 0) {
                    throw new IllegalArgumentException(
                            "singular value "
                                    + sv[i]
                                    + " at "
                                    + i
                                    + " is not accepted; finite values >= 0 are");
                }
            }
            Arrays.sort(sv);
            for (int i = 0, j = sv.length - 1; i < j; i++, j--) {
                double t = sv[i];
                sv[i] = sv[j];
                sv[j] = t;
            }
            modes.add(new Mode(sv, rows, columns));
            return this;
        }

        /**
         * Sets the spectrum of the layer's outputs on calibration data (one-mode methods only).
         *
         * @param spectrum the spectrum, or {@code null}
         * @return this builder
         */
        public Builder optOutputSpectrum(OutputSpectrum spectrum) {
            this.outputSpectrum = spectrum;
            return this;
        }

        /**
         * Sets the cost of the dense layer (required).
         *
         * @param cost the cost
         * @return this builder
         */
        public Builder setDenseCost(BlockCost cost) {
            this.denseCost = cost;
            return this;
        }

        /**
         * Sets the cost of the factorized block as a function of the ranks (required).
         *
         * @param costModel one rank per mode to the cost
         * @return this builder
         */
        public Builder setCostModel(Function<int[], BlockCost> costModel) {
            this.costModel = costModel;
            return this;
        }

        /**
         * Sets how the method turns a {@link Rank} into one rank per mode (default: explicit values
         * as given, one value for every mode; a fraction to the candidate whose parameters are
         * closest to that fraction of the dense layer's).
         *
         * @param resolver the resolver
         * @return this builder
         */
        public Builder optResolver(Function<Rank, int[]> resolver) {
            this.resolver = resolver;
            return this;
        }

        /**
         * Builds the profile.
         *
         * @return the profile
         * @throws IllegalArgumentException if no mode, dense cost or cost model is set
         */
        public LayerProfile build() {
            if (modes.isEmpty() || denseCost == null || costModel == null) {
                throw new IllegalArgumentException(
                        "profile of '"
                                + path
                                + "' is incomplete (modes "
                                + modes.size()
                                + ", dense cost "
                                + denseCost
                                + ", cost model "
                                + (costModel == null ? "missing" : "set")
                                + "); at least one mode, a dense cost and a cost model are required");
            }
            if (resolver == null) {
                resolver = this::defaultResolve;
            }
            return new LayerProfile(this);
        }

        private int[] defaultResolve(Rank rank) {
            int[] out = new int[modes.size()];
            if (rank.isFraction()) {
                LayerProfile probe = new LayerProfile(this);
                double target = rank.getFraction() * denseCost.getParameters();
                int[] best = null;
                double gap = Double.POSITIVE_INFINITY;
                for (int[] c : probe.candidates()) {
                    double g = Math.abs(costModel.apply(c).getParameters() - target);
                    if (g < gap) {
                        gap = g;
                        best = c;
                    }
                }
                return best;
            }
            int[] v = rank.getValues();
            if (v.length != 1 && v.length != out.length) {
                throw new IllegalArgumentException(
                        "rank "
                                + rank
                                + " is not accepted for layer '"
                                + path
                                + "'; one value or "
                                + out.length
                                + " values are");
            }
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.max(1, Math.min(modes.get(i).max, v.length == 1 ? v[0] : v[i]));
            }
            return out;
        }
    }
}
