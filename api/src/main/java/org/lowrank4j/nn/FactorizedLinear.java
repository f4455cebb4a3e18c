package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.djl.util.RandomUtils;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.cost.DescribedBlock;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.cost.LinearCost;
import org.lowrank4j.internal.Engines;
import org.lowrank4j.internal.OperandCache;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/**
 * A linear layer whose {@code (out, in)} weight is a tensorized matrix in a factorized format.
 *
 * <p>The input features are viewed as a tensor of shape {@code (I_0, …)} and the output features as
 * {@code (O_0, …)}. {@link Factorization#CP} and {@link Factorization#TUCKER} factorize the weight
 * tensor {@code (O_0, …, I_0, …)}; {@link Factorization#TT} stores a block tensor train (a {@link
 * org.lowrank4j.tensor.TTMatrix} over the {@code (O_k, I_k)} pairs; both shapes must have the same
 * order); {@link Factorization#DENSE} keeps the plain weight.
 *
 * <p>The forward pass takes {@code (…, in)} and returns {@code (…, out)}. {@link
 * ConvImplementation#FACTORIZED} contracts the input with the factors in an order chosen by a small
 * planner ({@link LinearCost}): CP contracts one input mode at a time, largest first, then expands
 * the output modes; Tucker applies the factor that shrinks the temporary most first; block-TT
 * sweeps the cores from whichever end is cheaper. Temporaries are kept below the size of the dense
 * weight (or of the input and output when those are larger) by running the rank-one terms (CP) or
 * the rows (Tucker, TT) in chunks, and freeing each step's arrays once the next step has its input
 * ({@link org.lowrank4j.cost.TemporaryMemory} measures the peak). {@link
 * ConvImplementation#RECONSTRUCTED} rebuilds the dense weight (once, then cached, when not
 * training). {@link ConvImplementation#AUTO} picks the cheaper of the two by {@link LinearCost} for
 * each call's batch size, or the faster as measured by {@link #tune}. {@link
 * ConvImplementation#MOBILENET} is not accepted.
 *
 * <p>With {@link FactorizedLinearBuilder#optLayers(int) several layers}, the layers share one
 * factorization with a leading layer mode (a TT-matrix with a leading {@code (L, 1)} pair for TT),
 * the forward pass takes the layer index as a second input (an integer scalar) and {@link
 * #getLinear(int)} returns a block for one layer that shares the parameters.
 *
 * <p>New blocks are initialised so that the reconstructed weight has the standard deviation set
 * with {@link FactorizedLinearBuilder#optInitStd(double)} (default {@code 1/√in}), whatever the
 * format; the bias starts at zero. {@link #fromLinear} builds one from a trained {@link Linear}.
 *
 * <pre>{@code
 * FactorizedLinear layer = FactorizedLinear.builder()
 *         .setInTensorizedFeatures(new Shape(4, 8, 16))
 *         .setOutTensorizedFeatures(new Shape(4, 8, 16))
 *         .setFactorization(Factorization.TT)
 *         .setRank(Rank.fraction(0.1))
 *         .build();
 * }</pre>
 *
 * <p>Inference is safe from any number of threads sharing the block, each with its own manager and
 * parameter store (as DJL's predictors and serving workers run a model): parameters are only read,
 * and the operands derived from them are built once per parameter state and shared (see {@code
 * OperandCache}).
 */
public class FactorizedLinear extends AbstractBlock implements CostAware, DescribedBlock {

    static final byte VERSION = 2;

    private TensorizedWeight weight;
    private boolean useBias;
    private ConvImplementation implementation;
    private double initStd;
    private long seed;
    private List<Parameter> factors = new ArrayList<>();
    private Parameter bias;

    private final OperandCache operands = new OperandCache();
    private final AutoChoices<Long> choices = new AutoChoices<>();

    FactorizedLinear(FactorizedLinearBuilder builder) {
        super(VERSION);
        this.weight =
                TensorizedWeight.resolve(
                        builder.factorization,
                        builder.outShape,
                        builder.inShape,
                        builder.layers,
                        builder.rank == null ? Rank.same() : builder.rank);
        this.useBias = builder.bias;
        this.implementation = builder.implementation;
        this.initStd = builder.initStd;
        this.seed = builder.seed == null ? RandomUtils.RANDOM.nextLong() : builder.seed;
        createParameters();
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static FactorizedLinearBuilder builder() {
        return new FactorizedLinearBuilder();
    }

    /**
     * Factorizes a trained linear layer with automatic tensorized shapes of order 3 ({@link
     * Tensorize#shapes(long, long, int)}).
     *
     * @param linear an initialised linear layer
     * @param rank the rank request
     * @param factorization the format
     * @return the factorized block, with the layer's bias
     * @throws IllegalArgumentException if the layer is not initialised or the rank does not fit
     */
    public static FactorizedLinear fromLinear(
            Linear linear, Rank rank, Factorization factorization) {
        return fromLinear(linear, null, null, rank, factorization);
    }

    /**
     * Factorizes a trained linear layer: decomposes its weight (CP-ALS, HOSVD, TT-SVD) and copies
     * its bias. At full rank ({@code Rank.same()} for Tucker and TT, a large enough CP rank) the
     * block reproduces the layer. The new arrays live in the manager of the layer's weight.
     *
     * @param linear an initialised linear layer
     * @param inShape the tensorized input features, or {@code null} for automatic shapes
     * @param outShape the tensorized output features, or {@code null} for automatic shapes
     * @param rank the rank request
     * @param factorization the format
     * @return the factorized block
     * @throws IllegalArgumentException if the layer is not initialised, a shape's product is not
     *     the layer's feature count, or the rank does not fit
     */
    public static FactorizedLinear fromLinear(
            Linear linear, Shape inShape, Shape outShape, Rank rank, Factorization factorization) {
        Objects.requireNonNull(linear, "linear must not be null");
        Objects.requireNonNull(rank, "rank must not be null");
        Objects.requireNonNull(factorization, "factorization must not be null");
        return fromLinearList(List.of(linear), inShape, outShape, rank, factorization);
    }

    /**
     * Factorizes several trained linear layers of the same shape jointly, as the layers of one
     * block ({@link FactorizedLinearBuilder#optLayers(int)}); the block's {@link #getLinear(int)}
     * views replace them.
     *
     * @param linears initialised linear layers with equal weight shapes, at least one
     * @param inShape the tensorized input features, or {@code null} for automatic shapes
     * @param outShape the tensorized output features, or {@code null} for automatic shapes
     * @param rank the rank request
     * @param factorization the format
     * @return the factorized block
     * @throws IllegalArgumentException if the list is empty, the layers differ in shape or are not
     *     initialised, a shape's product is not the feature count, or the rank does not fit
     */
    public static FactorizedLinear fromLinearList(
            List<Linear> linears,
            Shape inShape,
            Shape outShape,
            Rank rank,
            Factorization factorization) {
        return LinearConversion.fromLinearList(linears, inShape, outShape, rank, factorization);
    }

    /**
     * Gives a block built from a builder the weight of a decomposition: its layout and values
     * (contiguous, in the parameters' manager), and the bias values (or null).
     */
    void adopt(TensorizedWeight decomposed, List<NDArray> values, NDArray biasValue) {
        weight = decomposed;
        createParameters();
        for (int i = 0; i < values.size(); i++) {
            factors.get(i).setArray(values.get(i));
        }
        if (biasValue != null) {
            bias.setArray(biasValue);
        }
    }

    private void createParameters() {
        for (Parameter p : parameters.values()) {
            p.close();
        }
        parameters.clear();
        factors = new ArrayList<>();
        choices.forgetAll();
        for (String name : weight.names()) {
            factors.add(
                    addParameter(
                            Parameter.builder()
                                    .setName(name)
                                    .setType(Parameter.Type.WEIGHT)
                                    .build()));
        }
        bias =
                useBias
                        ? addParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .build())
                        : null;
        operands.invalidate();
    }

    // ------------------------------------------------------------------------------ accessors

    /**
     * Returns the format of the weight.
     *
     * @return the factorization
     */
    public Factorization getFactorization() {
        return weight.format;
    }

    /**
     * Returns the tensorized input features.
     *
     * @return the shape {@code (I_0, …)}
     */
    public Shape getInTensorizedFeatures() {
        return weight.inShape;
    }

    /**
     * Returns the tensorized output features.
     *
     * @return the shape {@code (O_0, …)}
     */
    public Shape getOutTensorizedFeatures() {
        return weight.outShape;
    }

    /**
     * Returns the number of input features.
     *
     * @return {@code ∏ I_k}
     */
    public long getInFeatures() {
        return weight.in;
    }

    /**
     * Returns the number of output features.
     *
     * @return {@code ∏ O_k}
     */
    public long getOutFeatures() {
        return weight.out;
    }

    /**
     * Returns the realised rank of the factorization (after clipping).
     *
     * @return CP: {@code {R}}; Tucker: the core's shape (layer mode first when there are several
     *     layers); TT: the bond ranks {@code {1, r_1, …, 1}}; dense: an empty array
     */
    public int[] getRank() {
        return weight.rank.clone();
    }

    /**
     * Returns the number of layers sharing the factorization.
     *
     * @return the number of layers
     */
    public int getLayers() {
        return weight.layers;
    }

    /**
     * Returns the configured implementation.
     *
     * @return the implementation ({@link ConvImplementation#AUTO} chooses per call)
     */
    public ConvImplementation getImplementation() {
        return implementation;
    }

    /**
     * Changes how the forward pass is computed.
     *
     * @param implementation FACTORIZED, RECONSTRUCTED or AUTO
     * @throws IllegalArgumentException for MOBILENET or {@code null}
     */
    public void setImplementation(ConvImplementation implementation) {
        checkImplementation(implementation);
        this.implementation = implementation;
    }

    /**
     * Returns the number of stored weight values (factors and bias).
     *
     * @return the parameter count
     */
    public long numParameters() {
        long n = 0;
        for (Parameter p : parameters.values()) {
            n += p.isInitialized() ? p.getArray().size() : 0;
        }
        return n;
    }

    /**
     * Returns the implementation a forward pass of {@code batch} rows uses: the configured one, or
     * for AUTO the fastest measured by {@link #tune} for that many rows (inference), or else the
     * cheaper by {@link LinearCost} with the weights of the parameters' engine (a cached
     * reconstruction costs nothing to rebuild outside training).
     *
     * @param batch the number of input rows (the product of the leading dimensions), at least 1
     * @param training whether the pass is a training pass
     * @return FACTORIZED or RECONSTRUCTED
     * @throws IllegalArgumentException if {@code batch} is less than 1
     */
    public ConvImplementation chooseImplementation(long batch, boolean training) {
        if (batch < 1) {
            throw new IllegalArgumentException(
                    "batch " + batch + " is not accepted; a batch of at least 1 row is");
        }
        if (implementation != ConvImplementation.AUTO) {
            return implementation;
        }
        // the choice depends on the layout alone, which only createParameters changes
        return choices.choose(
                batch,
                training,
                () -> {
                    LinearCost.Weights w = LinearCost.Weights.forEngine(Engines.nameOf(this));
                    long factorized = weight.factorizedCost(batch).total(w);
                    long reconstructed =
                            LinearCost.dense(batch, weight.in, weight.out).total(w)
                                    + (training ? weight.reconstructionCost(w) : 0);
                    return factorized < reconstructed
                            ? ConvImplementation.FACTORIZED
                            : ConvImplementation.RECONSTRUCTED;
                });
    }

    /**
     * Times both implementations on a random input of the given shape (inference) and makes {@link
     * ConvImplementation#AUTO} use the faster for inputs with as many rows from now on, instead of
     * the cost model's pick. The reconstructed implementation, with its cached weight, runs at the
     * speed of the dense layer, so a tuned layer is never slower than the dense one by more than
     * the timing noise.
     *
     * @param manager where the temporary input lives
     * @param inputShape {@code (…, in)}
     * @param warmup untimed passes of each implementation, at least 0
     * @param repeats timed passes of each implementation (round-robin), at least 1
     * @return the median milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the input's last dimension is not the input features or a
     *     count is out of range
     * @throws IllegalStateException if the block has no weights yet
     */
    public Map<ConvImplementation, Double> tune(
            NDManager manager, Shape inputShape, int warmup, int repeats) {
        checkWidth(inputShape);
        return tune(manager, inputShape, Tuning.meter(warmup, repeats));
    }

    /**
     * Like {@link #tune(NDManager, Shape, int, int)}, with the warm-up and timed passes and the
     * timer of a meter: the implementations run round-robin in the order RECONSTRUCTED, FACTORIZED,
     * each pass a {@link LatencyMeter#time} of this block with the implementation set to the
     * candidate; on a tie RECONSTRUCTED is chosen. The meter's cache is not used. With several
     * layers, layer 0 is timed.
     *
     * @param manager where the temporary input lives
     * @param inputShape {@code (…, in)}
     * @param meter the timer and the numbers of passes
     * @return the median milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the input's last dimension is not the input features
     * @throws IllegalStateException if the block has no weights yet
     */
    public Map<ConvImplementation, Double> tune(
            NDManager manager, Shape inputShape, LatencyMeter meter) {
        checkWidth(inputShape);
        requireWeights();
        List<ConvImplementation> candidates =
                List.of(ConvImplementation.RECONSTRUCTED, ConvImplementation.FACTORIZED);
        DataType type = factors.get(0).getArray().getDataType();
        Map<ConvImplementation, Double> medians =
                Tuning.measure(
                        this,
                        candidates,
                        this::getImplementation,
                        this::setImplementation,
                        manager,
                        inputShape,
                        type,
                        weight.layered(),
                        meter);
        choices.measured(inputShape.size() / weight.in, Tuning.fastest(candidates, medians));
        return medians;
    }

    /**
     * Times both implementations with a {@link LatencyMeter} on the given input shapes (inference)
     * and makes {@link ConvImplementation#AUTO} use the faster for inputs with as many rows from
     * now on, as {@link #tune(NDManager, Shape, int, int)} does. Each implementation is measured as
     * a block of this configuration with that implementation set, so the meter's cache holds one
     * measurement per implementation, shared with every block of the same configuration; the
     * block's own implementation setting is restored afterwards. On a tie RECONSTRUCTED is chosen.
     *
     * @param meter the meter, with its warm-up, repeats, cache and timer
     * @param inputShapes the input {@code (…, in)}, and the layer index's shape when the block has
     *     several layers
     * @return the measured milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the meter is {@code null}, no shape is given or the
     *     input's last dimension is not the input features
     * @throws IllegalStateException if the block has no weights yet
     */
    public Map<ConvImplementation, Double> tune(LatencyMeter meter, Shape... inputShapes) {
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException(
                    "no input shape given; the input's shape (…, in) is accepted");
        }
        checkWidth(inputShapes[0]);
        requireWeights();
        List<ConvImplementation> candidates =
                List.of(ConvImplementation.RECONSTRUCTED, ConvImplementation.FACTORIZED);
        Map<ConvImplementation, Double> measured =
                Tuning.measureCached(
                        this,
                        candidates,
                        this::getImplementation,
                        this::setImplementation,
                        meter,
                        inputShapes);
        choices.measured(inputShapes[0].size() / weight.in, Tuning.fastest(candidates, measured));
        return measured;
    }

    /** {@inheritDoc} */
    @Override
    public void describeConfiguration(StringBuilder b, Shape[] inputShapes) {
        b.append("factorization=").append(getFactorization());
        b.append(",in=").append(getInTensorizedFeatures());
        b.append(",out=").append(getOutTensorizedFeatures());
        b.append(",rank=").append(Arrays.toString(getRank()));
        b.append(",layers=").append(getLayers());
        b.append(",implementation=").append(getImplementation());
        if (getImplementation() == ConvImplementation.AUTO
                && inputShapes != null
                && inputShapes.length > 0) {
            // what AUTO runs on inputs with this many rows
            long rows = inputShapes[0].size() / Math.max(1, getInFeatures());
            b.append(",runs=").append(chooseImplementation(rows, false).name());
        }
        b.append(',');
    }

    /**
     * Returns the parameters and the operations of one inference pass, counted for the
     * implementation the block uses on inputs of that shape ({@link #chooseImplementation} with
     * {@code training} false): the factorized contractions (the multiply-adds of {@link
     * LinearCost.Estimate}, without its memory and per-call terms) or the dense product with the
     * reconstructed weight (rebuilt once and cached outside training, so not counted), plus one
     * addition per output element for the bias. The parameters are those of the layout (factors and
     * bias), whether or not the block is initialised. With several layers, the operations are those
     * of one layer.
     *
     * @param inputShapes the input {@code (…, in)}, and the layer index when there are several
     *     layers
     * @return the cost
     * @throws IllegalArgumentException if the input's last dimension is not the input features
     */
    @Override
    public BlockCost cost(Shape... inputShapes) {
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException(
                    "no input shape was given; (..., " + weight.in + ") is accepted");
        }
        Shape x = inputShapes[0];
        checkWidth(x);
        long rows = x.size() / Math.max(1, weight.in);
        long params = weight.parameterCount();
        long flops;
        if (weight.format == Factorization.DENSE
                || chooseImplementation(rows, false) == ConvImplementation.RECONSTRUCTED) {
            flops = rows * weight.in * weight.out;
        } else {
            flops = weight.factorizedCost(rows).macs();
        }
        if (useBias) {
            params += (long) weight.layers * weight.out;
            flops += rows * weight.out;
        }
        return BlockCost.of(params, flops);
    }

    /**
     * Returns a block computing layer {@code layer} alone; it shares this block's parameters (and
     * saves them with its own).
     *
     * @param layer the layer index, {@code 0 <= layer < getLayers()}
     * @return the view
     * @throws IllegalArgumentException if the index is out of range
     */
    public Block getLinear(int layer) {
        ForwardChecks.checkLayer(layer, weight.layers);
        return new LinearLayerView(this, layer);
    }

    /**
     * Rebuilds the dense weight of one layer.
     *
     * @param layer the layer index
     * @return a new {@code (out, in)} array in the parameters' manager
     * @throws IllegalStateException if the block has no weights yet
     * @throws IllegalArgumentException if the index is out of range
     */
    public NDArray reconstructWeight(int layer) {
        ForwardChecks.checkLayer(layer, weight.layers);
        requireWeights();
        List<NDArray> values = new ArrayList<>();
        for (Parameter p : factors) {
            values.add(p.getArray());
        }
        try (Workspace ws = Workspace.of(values.get(0))) {
            NDList own = ws.borrow(values);
            return ws.keep(weight.reconstruct(weight.select(own, layer)).duplicate());
        }
    }

    // ------------------------------------------------------------------------------ forward

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        int layer = layerIndex(inputs);
        return new NDList(forwardLayer(parameterStore, inputs.get(0), layer, training));
    }

    NDArray forwardLayer(ParameterStore ps, NDArray x, int layer, boolean training) {
        checkWidth(x.getShape());
        ForwardChecks.check("FactorizedLinear", factors, x);
        Shape xs = x.getShape();
        long batch = Math.max(1, xs.size() / Math.max(1, weight.in));
        ConvImplementation impl = chooseImplementation(batch, training);
        List<NDArray> values = new ArrayList<>();
        for (Parameter p : factors) {
            values.add(ps.getValue(p, x.getDevice(), training));
        }
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        if (training) {
            // the optimizer updates the parameters in place after this pass
            operands.invalidate();
        } else if (impl == ConvImplementation.RECONSTRUCTED
                && weight.format != Factorization.DENSE) {
            return operands.use(
                    values,
                    "weight@" + layer,
                    v -> new NDList(weight.reconstruct(weight.select(new NDList(v), layer))),
                    w -> compute(x, values, b, w.head(), impl, layer));
        }
        return compute(x, values, b, null, impl, layer);
    }

    /**
     * One pass, from the parameter values or with the cached reconstructed weight. Parameters and
     * the cached weight are borrowed, never attached: other threads may be running the block.
     */
    private NDArray compute(
            NDArray x,
            List<NDArray> values,
            NDArray b,
            NDArray cached,
            ConvImplementation impl,
            int layer) {
        Shape xs = x.getShape();
        long batch = Math.max(1, xs.size() / Math.max(1, weight.in));
        try (Workspace ws = Workspace.of(x)) {
            // 2-D inputs skip the reshapes, and the dense products add the bias themselves:
            // every engine call counts in a small layer
            boolean flat = xs.dimension() == 2;
            NDArray x2 = flat ? ws.adopt(x) : ws.adopt(x).reshape(batch, weight.in);
            NDArray bl = null;
            if (b != null) {
                NDArray own = ws.borrow(b);
                bl = weight.layered() ? own.get(layer) : own;
            }
            NDArray y;
            if (cached != null) {
                y = Linear.linear(x2, ws.borrow(cached), bl).singletonOrThrow();
            } else {
                NDList own = weight.select(ws.borrow(values), layer);
                if (weight.format == Factorization.DENSE) {
                    y = Linear.linear(x2, own.get(0), bl).singletonOrThrow();
                } else if (impl == ConvImplementation.RECONSTRUCTED) {
                    y = Linear.linear(x2, weight.reconstruct(own), bl).singletonOrThrow();
                } else {
                    y = weight.factorized(x2, own);
                    if (bl != null) {
                        y = y.add(bl);
                    }
                }
            }
            return ws.keep(flat ? y : y.reshape(xs.slice(0, xs.dimension() - 1).add(weight.out)));
        }
    }

    private int layerIndex(NDList inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(
                    "FactorizedLinear needs an input (..., " + weight.in + "), got none");
        }
        return ForwardChecks.layerIndex(inputs, weight.layers, "linear layer", "getLinear");
    }

    private void checkWidth(Shape in) {
        if (in.dimension() < 1 || in.get(in.dimension() - 1) != weight.in) {
            throw new IllegalArgumentException(
                    "input shape "
                            + in
                            + " does not match the block's "
                            + weight.in
                            + " input features; inputs (..., "
                            + weight.in
                            + ") are accepted");
        }
    }

    private void requireWeights() {
        for (Parameter p : parameters.values()) {
            if (!p.isInitialized()) {
                throw new IllegalStateException(
                        "the block has no weights yet; initialise it or build it with fromLinear"
                                + " first");
            }
        }
    }

    // ------------------------------------------------------------------------------ DJL plumbing

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        checkWidth(in);
        return new Shape[] {in.slice(0, in.dimension() - 1).add(weight.out)};
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        checkWidth(inputShapes[0]);
        if (!parametersSet()) {
            double std = Double.isNaN(initStd) ? 1 / Math.sqrt(weight.in) : initStd;
            NDList drawn = weight.draw(manager, std, seed, dataType);
            for (int i = 0; i < factors.size(); i++) {
                if (factors.get(i).isInitialized()) {
                    drawn.get(i).close();
                } else {
                    factors.get(i).setArray(drawn.get(i));
                }
            }
            if (bias != null && !bias.isInitialized()) {
                Shape s =
                        weight.layered()
                                ? new Shape(weight.layers, weight.out)
                                : new Shape(weight.out);
                bias.setArray(manager.zeros(s, dataType));
            }
            operands.invalidate();
        }
        super.initialize(manager, dataType, inputShapes);
    }

    /** Whether every parameter has its array (then {@code initialize} draws nothing). */
    private boolean parametersSet() {
        for (Parameter p : getParameters().values()) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        // every parameter gets its array in initialize
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        BlockMetadata.write(os, inputShapes, configuration());
        os.writeUTF(implementation.name());
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        Shape[] shapes =
                BlockMetadata.read("FactorizedLinear", loadVersion, VERSION, is, configuration());
        String saved = is.readUTF();
        ConvImplementation impl;
        try {
            impl = ConvImplementation.valueOf(saved);
            checkImplementation(impl);
        } catch (IllegalArgumentException e) {
            throw new MalformedModelException(
                    "saved implementation " + saved + " of " + this + " is not accepted", e);
        }
        implementation = impl;
        if (inputShapes == null) {
            inputShapes = shapes;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockMetadata.checkLoadedCount(toString(), factors, weight.parameterCount());
        operands.invalidate();
    }

    /** The line that the saved metadata must repeat. */
    private String configuration() {
        return weight.format
                + "(in="
                + weight.inShape
                + ", out="
                + weight.outShape
                + ", layers="
                + weight.layers
                + ", rank="
                + Arrays.toString(weight.rank)
                + ", bias="
                + useBias
                + ")";
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FactorizedLinear("
                + weight.format
                + ", in="
                + weight.inShape
                + ", out="
                + weight.outShape
                + ", rank="
                + Arrays.toString(weight.rank)
                + (weight.layered() ? ", layers=" + weight.layers : "")
                + ")";
    }

    static void checkImplementation(ConvImplementation implementation) {
        if (implementation == null || implementation == ConvImplementation.MOBILENET) {
            throw new IllegalArgumentException(
                    "implementation "
                            + implementation
                            + " is not accepted for a linear layer; FACTORIZED, RECONSTRUCTED or"
                            + " AUTO are");
        }
    }
}
