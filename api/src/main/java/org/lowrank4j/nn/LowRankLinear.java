package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.fit.InputStatistics;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;

/**
 * A linear layer factorized into two: {@code in → rank} without a bias, then {@code rank → units}
 * with a bias, so that {@code y = x · W1ᵀ · W2ᵀ + b}.
 *
 * <p>It costs {@code rank · (in + units)} multiplications per input row instead of {@code in ·
 * units}. Build it from a trained {@link Linear} with {@link #fromLinear(Linear, NDArray, int)}:
 * with calibration inputs the factors minimise the output error on them (see {@link LowRankFit});
 * without, they are the truncated SVD of the weight. {@link #setRank(NDArray, int)} lowers the rank
 * later. The block can also be built untrained with {@link #builder()}.
 *
 * <p>Parameters: {@code first_weight (rank, in)}, {@code second_weight (units, rank)}, {@code bias
 * (units)}. The input is {@code (..., in)}, the output {@code (..., units)}.
 */
public class LowRankLinear extends AbstractBlock implements CostAware {

    private static final byte VERSION = 2;

    private long units;
    private int rank;
    private long inputs = -1;
    private Parameter first;
    private Parameter second;
    private Parameter bias;

    LowRankLinear(Builder builder) {
        super(VERSION);
        this.units = builder.units;
        this.rank = builder.rank;
        Parameter[] created = TwoFactorParameters.create(this::addParameter);
        first = created[0];
        second = created[1];
        bias = created[2];
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
     * Factorizes a trained linear layer.
     *
     * <p>With calibration inputs the factors and the bias minimise the output error on them (the
     * closed-form optimum of {@link LowRankFit}); without, the factors are the truncated SVD of the
     * weight, split evenly ({@code √s} on either side), and the bias is kept. A layer without a
     * bias gets a zero one (refitted when calibration inputs are given). The new arrays live in the
     * manager of the layer's weight.
     *
     * @param linear an initialised linear layer
     * @param input calibration inputs {@code (..., in)}, or {@code null}
     * @param rank the rank, {@code 1 <= rank <= min(in, units)}
     * @return the factorized block
     * @throws IllegalArgumentException if the rank is out of range or the inputs do not match
     */
    public static LowRankLinear fromLinear(Linear linear, NDArray input, int rank) {
        Objects.requireNonNull(linear, "linear must not be null");
        Parameter w = linear.getParameters().get("weight");
        if (w == null || !w.isInitialized()) {
            throw new IllegalArgumentException(
                    "the linear layer has no initialised weight; an initialised layer is accepted");
        }
        NDArray weight = w.getArray(); // (units, in)
        long units = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        checkRank(rank, in, units);
        Parameter b = linear.getParameters().get("bias");
        NDArray oldBias = b == null || !b.isInitialized() ? null : b.getArray();
        Checks.finiteFloat(weight, "weight of the linear layer");
        if (oldBias != null) {
            Checks.finiteFloat(oldBias, "bias of the linear layer");
        }
        LowRankLinear block = builder().setUnits(units).setRank(rank).build();
        block.inputs = in;
        try (Workspace ws = Workspace.of(weight)) {
            NDArray wa = ws.adopt(weight).transpose(); // (in, units)
            NDArray biasArray =
                    oldBias == null
                            ? ws.manager().zeros(new Shape(units), weight.getDataType())
                            : ws.adopt(oldBias);
            LowRankSolution s = solve(ws, input, in, wa, null, biasArray, rank);
            block.install(ws, s);
        }
        SourceLayer.initialize(block, weight, SourceLayer.inputShapes(linear, new Shape(1, in)));
        return block;
    }

    /**
     * Computes the factorization of the current layer at another rank without changing the block.
     *
     * @param input calibration inputs {@code (..., in)}, or {@code null} for the truncated SVD of
     *     the current product {@code W1ᵀ W2ᵀ}
     * @param newRank the rank, {@code 1 <= newRank <= min(in, units)}
     * @return the solution: {@code Wa [in, newRank]}, {@code Wb [newRank, units]}, bias {@code
     *     [units]}, in the manager of the current weights
     * @throws IllegalStateException if the block has no weights yet
     * @throws IllegalArgumentException if the rank is out of range or the inputs do not match
     */
    public LowRankSolution solutionForRank(NDArray input, int newRank) {
        TwoFactorParameters.requireWeights("fromLinear", first, second, bias);
        checkRank(newRank, inputs, units);
        NDArray w1 = first.getArray();
        try (Workspace ws = Workspace.of(w1)) {
            NDArray wa = ws.adopt(w1).transpose();
            NDArray wb = ws.adopt(second.getArray()).transpose();
            LowRankSolution s =
                    solve(ws, input, inputs, wa, wb, ws.adopt(bias.getArray()), newRank);
            ws.keep(s.getWa());
            ws.keep(s.getWb());
            ws.keep(s.getBias());
            return s;
        }
    }

    /**
     * Lowers the rank, refitting the factors to calibration inputs (or to the current weights when
     * {@code input} is {@code null}). A {@link ai.djl.training.Trainer} made before must be made
     * anew.
     *
     * @param input calibration inputs {@code (..., in)}, or {@code null}
     * @param newRank the new rank, {@code 1 <= newRank <= getRank()}
     * @throws IllegalArgumentException if the rank is above the current one or below 1; the block
     *     is then unchanged
     * @throws IllegalStateException if the block has no weights yet
     */
    public void setRank(NDArray input, int newRank) {
        TwoFactorParameters.requireWeights("fromLinear", first, second, bias);
        if (newRank < 1 || newRank > rank) {
            throw new IllegalArgumentException(
                    "rank "
                            + newRank
                            + " is not accepted; setRank only lowers the rank, to 1.."
                            + rank);
        }
        NDArray w1 = first.getArray();
        try (Workspace ws = Workspace.of(w1)) {
            LowRankSolution s = solutionForRank(input, newRank);
            s.getWa().attach(ws.manager());
            s.getWb().attach(ws.manager());
            s.getBias().attach(ws.manager());
            NDArray oldFirst = first.getArray();
            NDArray oldSecond = second.getArray();
            NDArray oldBias = bias.getArray();
            install(ws, s);
            rank = newRank;
            oldFirst.close();
            oldSecond.close();
            oldBias.close();
        }
    }

    /**
     * Returns the largest rank at which this layer is cheaper than the dense one.
     *
     * @return the rank, 0 if none is
     * @throws IllegalStateException if the input size is not known yet
     */
    public int maxRankWithSpeedup() {
        if (inputs < 0) {
            throw new IllegalStateException(
                    "the input size is not known before the block is initialised");
        }
        return LowRankFit.maxRankWithSpeedup(inputs, units);
    }

    /**
     * Returns the rank.
     *
     * @return the number of hidden units between the two factors
     */
    public int getRank() {
        return rank;
    }

    /**
     * Returns the number of outputs.
     *
     * @return the output size
     */
    public long getUnits() {
        return units;
    }

    /**
     * Builds the block from a factorization computed elsewhere, for example by {@link
     * LowRankFit#fitMatrix(InputStatistics, NDArray, NDArray, int)} from calibration statistics.
     * The parameters are copies in the manager of the solution's first factor; the solution stays
     * the caller's.
     *
     * @param solution a factorized solution in matrix layout: {@code Wa [in, rank]}, {@code Wb
     *     [rank, units]} and a bias {@code [units]}
     * @return the block
     * @throws IllegalArgumentException if the solution is not factorized or has no bias
     */
    public static LowRankLinear fromSolution(LowRankSolution solution) {
        if (!solution.isFactorized() || solution.getBias() == null) {
            throw new IllegalArgumentException(
                    "solution "
                            + solution
                            + " is not accepted; a factorized solution with a bias is");
        }
        LowRankLinear block =
                builder()
                        .setUnits(solution.getWb().getShape().get(1))
                        .setRank(solution.getRank())
                        .build();
        block.inputs = solution.getWa().getShape().get(0);
        LowRankConv.checkFinite(solution);
        try (Workspace ws = Workspace.of(solution.getWa())) {
            ws.adopt(solution.getWa());
            ws.adopt(solution.getWb());
            ws.adopt(solution.getBias());
            block.install(ws, solution);
        }
        SourceLayer.initialize(block, solution.getWa(), new Shape(1, block.inputs));
        return block;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        ForwardChecks.check("LowRankLinear", Arrays.asList(first, second, bias), x);
        checkInput(x.getShape());
        NDArray w1 = parameterStore.getValue(first, x.getDevice(), training);
        NDArray w2 = parameterStore.getValue(second, x.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, x.getDevice(), training);
        NDArray hidden = Linear.linear(x, w1).singletonOrThrow();
        NDList out = Linear.linear(hidden, w2, b);
        hidden.close();
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes.length == 0 ? null : inputShapes[0];
        checkInput(in);
        return new Shape[] {in.slice(0, in.dimension() - 1).add(units)};
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LowRankLinear(units=" + getUnits() + ", rank=" + getRank() + ")";
    }

    /**
     * {@inheritDoc}
     *
     * <p>Both factors and the bias: {@code r·D + M·r + M} parameters, as many multiply-accumulates
     * per input row.
     */
    @Override
    public BlockCost cost(Shape... inputShapes) {
        Shape x = inputShapes[0];
        long features = x.get(x.dimension() - 1);
        long rows = x.size() / features;
        long perRow = getRank() * features + getUnits() * getRank() + getUnits();
        return BlockCost.of(perRow, rows * perRow);
    }

    /** {@inheritDoc} */
    @Override
    protected void beforeInitialize(Shape... inputShapes) {
        Shape in = inputShapes.length == 0 ? null : inputShapes[0];
        checkInput(in);
        super.beforeInitialize(inputShapes);
        this.inputs = in.get(in.dimension() - 1);
    }

    private void checkInput(Shape in) {
        if (in == null
                || in.dimension() < 1
                || in.get(in.dimension() - 1) < 1
                || (inputs >= 0 && in.get(in.dimension() - 1) != inputs)) {
            throw new IllegalArgumentException(
                    "input of shape "
                            + in
                            + " is not accepted; LowRankLinear takes (..., "
                            + (inputs >= 0 ? String.valueOf(inputs) : "D")
                            + ")");
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        if (!first.isInitialized()) {
            first.setShape(new Shape(rank, inputs));
        }
        if (!second.isInitialized()) {
            second.setShape(new Shape(units, rank));
        }
        if (!bias.isInitialized()) {
            bias.setShape(new Shape(units));
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        BlockMetadata.write(os, inputShapes, configuration());
        os.writeLong(inputs);
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        Shape[] shapes =
                BlockMetadata.read("LowRankLinear", loadVersion, VERSION, is, configuration());
        long saved = is.readLong();
        if (saved < 1 || (inputs >= 0 && saved != inputs)) {
            throw new MalformedModelException(
                    "the saved LowRankLinear has "
                            + saved
                            + " input features; this block "
                            + (inputs >= 0 ? "takes " + inputs : "takes at least 1"));
        }
        inputs = saved;
        if (inputShapes == null) {
            inputShapes = shapes;
        }
    }

    /** The line that the saved metadata must repeat (the input features are checked apart). */
    private String configuration() {
        return "LowRankLinear(units=" + units + ", rank=" + rank + ")";
    }

    // ------------------------------------------------------------------------------------------

    private static LowRankSolution solve(
            Workspace ws, NDArray input, long in, NDArray wa, NDArray wb, NDArray b, int r) {
        if (input == null) {
            NDArray product = wb == null ? wa : wa.matMul(wb);
            Svd svd = TruncatedSvd.leading(product, r);
            NDArray root = svd.getS().sqrt().reshape(1, r);
            NDArray a = svd.getU().mul(root);
            NDArray bb = svd.getVt().mul(root.reshape(r, 1));
            return LowRankSolution.factorized(a, bb, b.duplicate(), r, Double.NaN);
        }
        long last = input.getShape().get(input.getShape().dimension() - 1);
        if (last != in) {
            throw new IllegalArgumentException(
                    "calibration input of shape "
                            + input.getShape()
                            + " does not match the layer's "
                            + in
                            + " input features; inputs (..., "
                            + in
                            + ") are accepted");
        }
        NDArray x = ws.adopt(input).reshape(-1, in);
        NDArray y = wb == null ? x.matMul(wa) : x.matMul(wa).matMul(wb);
        y = y.add(b);
        return LowRankFit.builder().optRequireSpeedup(false).build().fitMatrix(x, y, wa, wb, b, r);
    }

    /** Puts a solution's arrays (matrix layout) into the parameters, in the workspace's target. */
    private void install(Workspace ws, LowRankSolution s) {
        DataType type = s.getWa().getDataType();
        first = TwoFactorParameters.replace(parameters, first, s.getWa().transpose(), type);
        second = TwoFactorParameters.replace(parameters, second, s.getWb().transpose(), type);
        bias = TwoFactorParameters.replace(parameters, bias, s.getBias(), type);
        ws.keep(first.getArray());
        ws.keep(second.getArray());
        ws.keep(bias.getArray());
        rank = s.getRank();
    }

    private static void checkRank(int rank, long in, long units) {
        long max = Math.min(in, units);
        if (rank < 1 || rank > max) {
            throw new IllegalArgumentException(
                    "rank "
                            + rank
                            + " is not accepted for a ("
                            + units
                            + ", "
                            + in
                            + ") weight; accepted are 1.."
                            + max);
        }
    }

    /** Builds a {@link LowRankLinear}. */
    public static final class Builder {

        private long units;
        private int rank;

        Builder() {}

        /**
         * Sets the number of outputs (required).
         *
         * @param units at least 1
         * @return this builder
         */
        public Builder setUnits(long units) {
            this.units = units;
            return this;
        }

        /**
         * Sets the rank (required).
         *
         * @param rank at least 1
         * @return this builder
         */
        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException if the units or the rank are missing or below 1
         */
        public LowRankLinear build() {
            if (units < 1) {
                throw new IllegalArgumentException(
                        "units " + units + " is not accepted; set it to a value >= 1");
            }
            if (rank < 1) {
                throw new IllegalArgumentException(
                        "rank " + rank + " is not accepted; set it to a value >= 1");
            }
            return new LowRankLinear(this);
        }
    }
}
