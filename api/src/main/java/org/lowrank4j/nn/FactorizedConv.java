package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
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
import java.util.Random;
import java.util.function.Function;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.ConvCost;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.cost.CostModel;
import org.lowrank4j.cost.DescribedBlock;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Engines;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.OperandCache;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;

/**
 * A convolution of order 1, 2 or 3 whose kernel is stored as a factorized tensor: {@link CPConv},
 * {@link TuckerConv} or {@link TTConv}.
 *
 * <p>The kernel has DJL's layout {@code (O, C, k_1, …, k_N)} (CP and Tucker factorize it in that
 * mode order; the tensor train stores it as {@code (C, k_1, …, k_N, O)}). Input is {@code (B, C,
 * S_1, …, S_N)}, output {@code (B, O, S'_1, …, S'_N)}. Stride, padding and dilation are honoured
 * per spatial dimension by every {@link ConvImplementation}:
 *
 * <ul>
 *   <li>{@link ConvImplementation#FACTORIZED}: the input is contracted with one factor at a time
 *       (1×1 convolutions for the channel modes, 1-D convolutions along each spatial mode), never
 *       building the kernel;
 *   <li>{@link ConvImplementation#RECONSTRUCTED}: the kernel is rebuilt and one ordinary
 *       convolution runs; in inference the rebuilt kernel is cached until the parameters change;
 *   <li>{@link ConvImplementation#MOBILENET} (CP only): 1×1, one depthwise convolution with the
 *       full spatial kernel, 1×1;
 *   <li>{@link ConvImplementation#AUTO}: per input shape, the cheapest of the above by a {@link
 *       CostModel}, the reconstructed (cached) kernel unless a factorized path clearly wins.
 * </ul>
 *
 * <p>The factors are DJL {@link Parameter}s, so the block trains with a {@code Trainer}, and saves
 * and loads with {@code Model.save/load} (its configuration is checked on load). A freshly built
 * block is initialised by DJL's {@code initialize} with factors drawn so that the reconstructed
 * kernel has the standard deviation {@code sqrt(2 / (C · ∏ k_i))}; {@link #initFromRandom}, {@link
 * #initFromTensor} and {@link #initFromDecomposition} set values explicitly, {@link #fromConv}
 * converts a DJL convolution.
 *
 * <p>{@link FactorizedConvBuilder#optLayers} holds several convolutions in one tensor ({@link
 * #getConv(int)}, {@link #fromConvList}); {@link #transduct} grows a convolution by one spatial
 * dimension; {@link #tune} replaces the cost model's choice for {@link ConvImplementation#AUTO} by
 * measurements.
 *
 * <pre>{@code
 * FactorizedConv<?> conv = FactorizedConv.builder()
 *         .setInChannels(64).setOutChannels(64).setKernelSize(3).setOrder(2)
 *         .setFactorization(Factorization.TUCKER).setRank(Rank.fraction(0.5))
 *         .optPadding(new Shape(1, 1))
 *         .build();
 * conv.initialize(manager, DataType.FLOAT32, new Shape(8, 64, 32, 32));
 * }</pre>
 *
 * @param <T> the format of the kernel
 *     <p>Inference is safe from any number of threads sharing the block, each with its own manager
 *     and parameter store (as DJL's predictors and serving workers run a model): parameters are
 *     only read, and the operands derived from them are built once per parameter state and shared
 *     (see {@code OperandCache}).
 */
public abstract class FactorizedConv<T extends FactorizedTensor> extends AbstractBlock
        implements CostAware, DescribedBlock {

    private static final byte VERSION = 2;

    final int inChannels;
    final int outChannels;
    final Shape kernelShape;
    final Shape fullShape;
    final int layers;
    final Shape layeredShape;
    final Shape biasShape;
    final Shape stride;
    final Shape padding;
    final Shape dilation;
    final boolean includeBias;
    final int order;
    private final Factorization factorization;
    private final long seed;
    private ConvImplementation implementation;
    private CostModel costModel;
    private boolean decomposeFullWeight;
    private double initStd = Double.NaN;
    private long draws;

    private FactorParameters params;

    private final OperandCache operands = new OperandCache();
    private final AutoChoices<Shape> choices = new AutoChoices<>();

    FactorizedConv(FactorizedConvBuilder<?> builder, Factorization factorization) {
        super(VERSION);
        this.inChannels = builder.inChannels;
        this.outChannels = builder.outChannels;
        this.kernelShape = builder.resolvedKernel;
        this.order = kernelShape.dimension();
        long[] full = new long[order + 2];
        full[0] = outChannels;
        full[1] = inChannels;
        System.arraycopy(kernelShape.getShape(), 0, full, 2, order);
        this.fullShape = new Shape(full);
        this.layers = builder.layers;
        if (layers > 1) {
            long[] layered = new long[full.length + 1];
            layered[0] = layers;
            System.arraycopy(full, 0, layered, 1, full.length);
            this.layeredShape = new Shape(layered);
            this.biasShape = new Shape(layers, outChannels);
        } else {
            this.layeredShape = fullShape;
            this.biasShape = new Shape(outChannels);
        }
        this.stride = builder.stride == null ? ConvOps.filled(order, 1) : builder.stride;
        this.padding = builder.padding == null ? ConvOps.filled(order, 0) : builder.padding;
        this.dilation = builder.dilation == null ? ConvOps.filled(order, 1) : builder.dilation;
        this.includeBias = builder.bias;
        this.factorization = factorization;
        this.implementation = builder.implementation;
        this.costModel = builder.costModel;
        this.seed = builder.seed == null ? RandomUtils.RANDOM.nextLong() : builder.seed;
    }

    /** Adds the factor parameters, then the bias; called once by each subclass constructor. */
    final void addFactorParameters(List<String> names, List<Shape> shapes) {
        params =
                new FactorParameters(
                        names,
                        shapes,
                        includeBias ? biasShape : null,
                        this::addParameter,
                        this::drawValues);
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static FactorizedConvBuilder<? extends FactorizedConv<?>> builder() {
        return new FactorizedConvBuilder<>(null);
    }

    // ---------------------------------------------------------------- format-specific hooks

    /** Wraps arrays (not copied), in {@link FactorizedTensor#getArrays()} order, in the format. */
    abstract T wrap(List<NDArray> arrays);

    /**
     * The factors of one layer of a block of several layers, in the layout of a one-layer block
     * (new arrays, in the current scope).
     */
    abstract List<NDArray> layerValues(List<NDArray> values, int layer);

    /** Draws random factors whose reconstruction has RMS {@code std}. */
    abstract T draw(NDManager manager, DataType type, double std, long seed);

    /** Decomposes a {@code (O, C, k…)} kernel (with layers {@code (n, O, C, k…)}) at this rank. */
    abstract Decomposition<T> decompose(NDArray kernel, long seed);

    /** Rebuilds the {@code (O, C, k…)} kernel from the parameter values of one layer. */
    abstract NDArray kernel(List<NDArray> values);

    /**
     * The kernels of the pipeline of an implementation ({@link ConvImplementation#FACTORIZED}, or
     * {@link ConvImplementation#MOBILENET} for CP) for one layer's parameter values: everything
     * that does not depend on the input, cached in inference until the parameters change.
     */
    abstract NDList prepare(
            ConvImplementation implementation, List<NDArray> values, ConvGeometry geometry);

    /** Runs the pipeline of an implementation on its prepared kernels; the bias may be null. */
    abstract NDArray run(
            ConvImplementation implementation,
            NDArray x,
            NDList kernels,
            NDArray bias,
            ConvGeometry geometry);

    /**
     * The pipeline of CP and TT: a 1×1 convolution with {@code kernels[0]}, one convolution along
     * each spatial axis with {@code kernels[1..N]} (with {@code groups} groups, and that axis's
     * stride, padding and dilation), and a 1×1 convolution with the last kernel and the bias.
     */
    final NDArray runAlongAxes(NDArray x, NDList kernels, NDArray bias, int groups) {
        NDArray h = ConvOps.pointwiseConv(x, kernels.get(0), null);
        for (int i = 0; i < order; i++) {
            h = ConvOps.axisConv(h, kernels.get(1 + i), i, stride, padding, dilation, groups);
        }
        return ConvOps.pointwiseConv(h, kernels.get(order + 1), bias);
    }

    /**
     * The name the prepared kernels of a pipeline are cached under; formats whose pipeline depends
     * on the input's geometry give each variant its own name.
     */
    String pipelineName(ConvImplementation implementation, ConvGeometry geometry) {
        return implementation.name();
    }

    /**
     * The pipeline as ordinary convolutions, for one layer's parameter values: what {@link
     * #toStandardBlock} exports.
     */
    abstract List<StandardConvs.Stage> standardStages(List<NDArray> values);

    /** The cost of the factorized (or MobileNet) pipeline. */
    abstract ConvCost pipelineCost(ConvImplementation implementation, ConvGeometry geometry);

    /** The cost of rebuilding the kernel. */
    abstract ConvCost reconstructionCost();

    /**
     * Copies of the factors with a new spatial mode inserted at spatial position {@code mode}, its
     * kernel a one-hot at {@code size / 2}.
     */
    abstract List<NDArray> insertMode(List<NDArray> values, int mode, int size);

    /** The builder settings (rank, fixed modes) of the block {@link #insertMode} values fit. */
    abstract void configureInserted(FactorizedConvBuilder<?> builder, int mode);

    /** Index of the inserted mode's parameter among the factor parameters. */
    abstract int insertedParameter(int mode);

    /** The shape the format's tensor has (the kernel's, or the train's layout). */
    Shape tensorShape() {
        return layeredShape;
    }

    /**
     * Returns the number of convolutions the factorized tensor holds ({@link
     * FactorizedConvBuilder#optLayers}).
     *
     * @return the number of layers, 1 for an ordinary convolution
     */
    public int getLayers() {
        return layers;
    }

    /**
     * Returns the realised rank of the factorization.
     *
     * @return the rank, as {@link FactorizedTensor#getRank()} of {@link #getDecomposition()}
     */
    public abstract int[] getRank();

    // ---------------------------------------------------------------- configuration

    /**
     * Returns the factorization.
     *
     * @return CP, Tucker or TT
     */
    public Factorization getFactorization() {
        return factorization;
    }

    /**
     * Returns the number of input channels.
     *
     * @return {@code C}
     */
    public int getInChannels() {
        return inChannels;
    }

    /**
     * Returns the number of output channels.
     *
     * @return {@code O}
     */
    public int getOutChannels() {
        return outChannels;
    }

    /**
     * Returns the spatial kernel shape.
     *
     * @return {@code (k_1, …, k_N)}
     */
    public Shape getKernelShape() {
        return kernelShape;
    }

    /**
     * Returns the number of spatial dimensions.
     *
     * @return {@code N}, 1 to 3
     */
    public int getOrder() {
        return order;
    }

    /**
     * Returns the stride.
     *
     * @return one value per spatial dimension
     */
    public Shape getStride() {
        return stride;
    }

    /**
     * Returns the zero padding on each side.
     *
     * @return one value per spatial dimension
     */
    public Shape getPadding() {
        return padding;
    }

    /**
     * Returns the dilation.
     *
     * @return one value per spatial dimension
     */
    public Shape getDilation() {
        return dilation;
    }

    /**
     * Returns whether the block adds a bias.
     *
     * @return whether there is a bias
     */
    public boolean hasBias() {
        return includeBias;
    }

    /**
     * Returns the implementation the block was configured with.
     *
     * @return the implementation (possibly {@link ConvImplementation#AUTO})
     */
    public ConvImplementation getImplementation() {
        return implementation;
    }

    /**
     * Changes how the forward pass is computed; parameters are untouched.
     *
     * @param implementation the implementation
     * @throws IllegalArgumentException if it is null, or MOBILENET for a format other than CP
     */
    public void setImplementation(ConvImplementation implementation) {
        checkImplementation(implementation, factorization);
        this.implementation = implementation;
        choices.forgetModelled();
    }

    /**
     * Returns the cost model {@link ConvImplementation#AUTO} decides with: the one set, or else the
     * one fitted to the engine the block's parameters live on ({@link CostModel#forEngine}), or to
     * the default engine before the block is initialised.
     *
     * @return the cost model
     */
    public CostModel getCostModel() {
        return costModel != null ? costModel : CostModel.forEngine(Engines.nameOf(this));
    }

    /**
     * Changes the cost model {@link ConvImplementation#AUTO} decides with.
     *
     * @param costModel the cost model
     * @throws IllegalArgumentException if it is null
     */
    public void setCostModel(CostModel costModel) {
        if (costModel == null) {
            throw new IllegalArgumentException("costModel null is not accepted; a CostModel is");
        }
        this.costModel = costModel;
        choices.forgetModelled();
    }

    /**
     * Returns the number of stored values (factors and bias).
     *
     * @return the parameter count
     */
    public long numParameters() {
        return params.count();
    }

    /**
     * Returns the number of values of the dense convolution this block stands for.
     *
     * @return {@code O · C · ∏ k_i}, plus {@code O} with a bias, times the number of layers
     */
    public long numDenseParameters() {
        return layeredShape.size() + (includeBias ? biasShape.size() : 0);
    }

    // ---------------------------------------------------------------- cost and AUTO

    /**
     * Returns the geometry of this convolution applied to an input shape.
     *
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @return the geometry
     * @throws IllegalArgumentException if the input shape does not fit the block
     */
    public ConvGeometry geometry(Shape inputShape) {
        checkInput(inputShape);
        return ConvGeometry.of(
                inChannels, outChannels, kernelShape, stride, padding, dilation, inputShape);
    }

    /**
     * Returns what one forward pass costs with an implementation.
     *
     * @param implementation the implementation ({@link ConvImplementation#AUTO}: the one it picks)
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @param training whether the kernel must be rebuilt at every pass (training), or may be cached
     *     (inference)
     * @return the cost
     * @throws IllegalArgumentException if the input shape does not fit, or the implementation does
     *     not exist for this format
     */
    public ConvCost cost(ConvImplementation implementation, Shape inputShape, boolean training) {
        checkImplementation(implementation, factorization);
        ConvGeometry g = geometry(inputShape);
        ConvImplementation impl =
                implementation == ConvImplementation.AUTO
                        ? chooseImplementation(inputShape, training)
                        : implementation;
        if (impl == ConvImplementation.RECONSTRUCTED) {
            ConvCost dense = ConvCost.dense(g);
            return training ? dense.plus(reconstructionCost()) : dense;
        }
        return pipelineCost(impl, g);
    }

    /** {@inheritDoc} */
    @Override
    public void describeConfiguration(StringBuilder b, Shape[] inputShapes) {
        b.append("factorization=").append(getFactorization());
        b.append(",kernel=").append(getKernelShape());
        b.append(",stride=").append(getStride());
        b.append(",padding=").append(getPadding());
        b.append(",dilation=").append(getDilation());
        b.append(",rank=").append(Arrays.toString(getRank()));
        b.append(",implementation=").append(getImplementation());
        if (getImplementation() == ConvImplementation.AUTO
                && inputShapes != null
                && inputShapes.length > 0) {
            // what AUTO runs on this input: a tuned or cost-model choice changes the latency
            String runs;
            try {
                runs = chooseImplementation(inputShapes[0], false).name();
            } catch (IllegalArgumentException e) {
                runs = "none";
            }
            b.append(",runs=").append(runs);
        }
        b.append(',');
    }

    /**
     * Returns the parameters and the operations of one inference pass with the implementation this
     * block runs on the input ({@link #chooseImplementation(Shape, boolean)}, so a block in AUTO
     * reports what it picks): the multiply-accumulates of {@link #cost(ConvImplementation, Shape,
     * boolean)} (a reconstructed kernel is cached in inference, so its rebuilding is not counted),
     * plus one addition per output element for the bias, as {@link org.lowrank4j.cost.CostCounter}
     * counts a dense convolution. The parameters are the factors and the bias ({@link
     * #numParameters()}). With several layers, the operations are those of one layer.
     *
     * @param inputShapes the input {@code (B, C, S_1, …, S_N)}, and the layer index when there are
     *     several layers
     * @return the cost
     * @throws IllegalArgumentException if no input shape is given or it does not fit the block
     */
    @Override
    public BlockCost cost(Shape... inputShapes) {
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException(
                    "no input shape was given; (B, " + inChannels + ", S_1..S_N) is accepted");
        }
        Shape x = inputShapes[0];
        ConvGeometry g = geometry(x);
        long flops = cost(implementation, x, false).getTotalMacs();
        if (includeBias) {
            flops += g.outputShape().size();
        }
        return BlockCost.of(numParameters(), flops);
    }

    /**
     * Returns the implementation a forward pass on an input shape runs: the configured one, or for
     * {@link ConvImplementation#AUTO} the fastest measured by {@link #tune} for this shape
     * (inference), or else the cheapest by the cost model.
     *
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @param training whether the pass is a training pass
     * @return FACTORIZED, RECONSTRUCTED or MOBILENET
     * @throws IllegalArgumentException if the input shape does not fit
     */
    public ConvImplementation chooseImplementation(Shape inputShape, boolean training) {
        checkInput(inputShape);
        if (implementation != ConvImplementation.AUTO) {
            return implementation;
        }
        return choices.choose(inputShape, training, () -> modelChoice(inputShape, training));
    }

    /** The cheapest implementation by the cost model; the dense one unless another clearly wins. */
    private ConvImplementation modelChoice(Shape inputShape, boolean training) {
        ConvGeometry g = geometry(inputShape);
        ConvCost dense = cost(ConvImplementation.RECONSTRUCTED, inputShape, training);
        ConvImplementation best = ConvImplementation.RECONSTRUCTED;
        ConvCost bestCost = dense;
        CostModel model = getCostModel();
        for (ConvImplementation c : implementations()) {
            if (c == ConvImplementation.RECONSTRUCTED) {
                continue;
            }
            ConvCost cost = pipelineCost(c, g);
            if (model.beats(cost, dense) && model.estimate(cost) < model.estimate(bestCost)) {
                best = c;
                bestCost = cost;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- DJL block

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        if (inputShapes == null || inputShapes.length < 1) {
            throw new IllegalArgumentException(
                    "getOutputShapes needs one input shape (B, C, S_1..S_N), got none");
        }
        return new Shape[] {geometry(inputShapes[0]).outputShape()};
    }

    /** {@inheritDoc} */
    @Override
    protected void beforeInitialize(Shape... inputShapes) {
        if (inputShapes.length > 0) {
            checkInput(inputShapes[0]);
        }
        super.beforeInitialize(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        try {
            super.initialize(manager, dataType, inputShapes);
        } finally {
            params.closePending();
            invalidate();
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        int layer = ForwardChecks.layerIndex(inputs, layers, "convolution", "getConv");
        ConvImplementation impl = chooseImplementation(x.getShape(), training);
        return new NDList(ConvPass.run(this, impl, parameterStore, x, layer, training));
    }

    /** The forward pass of one layer (package-private for {@link LayerConv}). */
    NDArray forwardLayer(ParameterStore parameterStore, NDArray x, int layer, boolean training) {
        ConvImplementation impl = chooseImplementation(x.getShape(), training);
        return ConvPass.run(this, impl, parameterStore, x, layer, training);
    }

    /**
     * Times every implementation on a random input of the given shape (inference) and makes {@link
     * ConvImplementation#AUTO} use the fastest for that shape from now on, instead of the cost
     * model's pick. The reconstructed implementation, with its cached kernel, stands for the dense
     * convolution, so a tuned layer is never slower than the dense one by more than the timing
     * noise.
     *
     * @param manager where the temporary input lives
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @param warmup untimed passes of each implementation, at least 0
     * @param repeats timed passes of each implementation (round-robin), at least 1
     * @return the median milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the input shape does not fit or a count is out of range
     * @throws IllegalStateException if the block is not initialised
     */
    public Map<ConvImplementation, Double> tune(
            NDManager manager, Shape inputShape, int warmup, int repeats) {
        geometry(inputShape);
        return tune(manager, inputShape, Tuning.meter(warmup, repeats));
    }

    /**
     * Like {@link #tune(NDManager, Shape, int, int)}, with the warm-up and timed passes and the
     * timer of a meter: the implementations run round-robin in the order RECONSTRUCTED, FACTORIZED,
     * MOBILENET (CP only), each pass a {@link LatencyMeter#time} of this block with the
     * implementation set to the candidate; on a tie the earlier one is chosen. The meter's cache is
     * not used. With several layers, layer 0 is timed.
     *
     * @param manager where the temporary input lives
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @param meter the timer and the numbers of passes
     * @return the median milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the input shape does not fit
     * @throws IllegalStateException if the block is not initialised
     */
    public Map<ConvImplementation, Double> tune(
            NDManager manager, Shape inputShape, LatencyMeter meter) {
        geometry(inputShape);
        if (!isInitialized()) {
            throw FactorParameters.notInitialized();
        }
        List<ConvImplementation> candidates = implementations();
        DataType type = params.anchor().getDataType();
        Map<ConvImplementation, Double> medians =
                Tuning.measure(
                        this,
                        candidates,
                        this::getImplementation,
                        this::setImplementation,
                        manager,
                        inputShape,
                        type,
                        layers > 1,
                        meter);
        choices.measured(inputShape, Tuning.fastest(candidates, medians));
        return medians;
    }

    /**
     * Times every implementation with a {@link LatencyMeter} on the given input shape (inference)
     * and makes {@link ConvImplementation#AUTO} use the fastest for that shape from now on, as
     * {@link #tune(NDManager, Shape, int, int)} does. Each implementation is measured as a block of
     * this configuration with that implementation set, so the meter's cache holds one measurement
     * per implementation, shared with every block of the same configuration; the block's own
     * implementation setting is restored afterwards.
     *
     * @param meter the meter, with its warm-up, repeats, cache and timer
     * @param inputShape {@code (B, C, S_1, …, S_N)}
     * @return the measured milliseconds per pass of each implementation
     * @throws IllegalArgumentException if the meter is {@code null} or the input shape does not fit
     * @throws IllegalStateException if the block's parameters are not initialised
     */
    public Map<ConvImplementation, Double> tune(LatencyMeter meter, Shape inputShape) {
        geometry(inputShape);
        // the meter refuses a block whose parameters are not initialised
        List<ConvImplementation> candidates = implementations();
        Map<ConvImplementation, Double> measured =
                Tuning.measureCached(
                        this,
                        candidates,
                        this::getImplementation,
                        this::setImplementation,
                        meter,
                        inputShape);
        choices.measured(inputShape, Tuning.fastest(candidates, measured));
        return measured;
    }

    /** The implementations this format runs: reconstructed, factorized and, for CP, mobilenet. */
    private List<ConvImplementation> implementations() {
        List<ConvImplementation> candidates = new ArrayList<>();
        candidates.add(ConvImplementation.RECONSTRUCTED);
        candidates.add(ConvImplementation.FACTORIZED);
        if (factorization == Factorization.CP) {
            candidates.add(ConvImplementation.MOBILENET);
        }
        return candidates;
    }

    /**
     * Drops the cached reconstructed kernel.
     *
     * <p>Training passes, loading and the {@code init*} methods do this themselves; call it after
     * changing parameter arrays in place by other means.
     */
    public void invalidate() {
        operands.invalidate();
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
        String name = getClass().getSimpleName();
        Shape[] shapes = BlockMetadata.read(name, loadVersion, VERSION, is, configuration());
        String savedImplementation = is.readUTF();
        try {
            implementation = ConvImplementation.valueOf(savedImplementation);
        } catch (IllegalArgumentException e) {
            throw new MalformedModelException(
                    "saved implementation "
                            + savedImplementation
                            + " of "
                            + name
                            + " is unknown; one of "
                            + Arrays.toString(ConvImplementation.values())
                            + " is accepted",
                    e);
        }
        if (inputShapes == null) {
            inputShapes = shapes;
        }
        invalidate();
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        List<Parameter> all = new ArrayList<>(params.factors());
        all.add(params.bias());
        List<Shape> expected = BlockMetadata.shapes(all);
        super.loadParameters(manager, is);
        BlockMetadata.checkLoaded(configuration(), all, expected);
        invalidate();
    }

    /**
     * The line that the saved metadata must repeat: the block's structure, factor shapes included.
     */
    private String configuration() {
        return factorization.name()
                + "("
                + structure()
                + ", bias="
                + includeBias
                + ", layers="
                + layers
                + ", rank="
                + Arrays.toString(getRank())
                + ", factors="
                + params.shapes()
                + ")";
    }

    /** Channels, kernel, stride, padding and dilation, as the descriptions list them. */
    private String structure() {
        return "in="
                + inChannels
                + ", out="
                + outChannels
                + ", kernel="
                + kernelShape
                + ", stride="
                + stride
                + ", padding="
                + padding
                + ", dilation="
                + dilation;
    }

    // ---------------------------------------------------------------- initialisation

    /**
     * Sets random values.
     *
     * <p>With {@code decomposeFullWeight == false} the factors are drawn so that the reconstructed
     * kernel has the standard deviation {@code sqrt(2 / (C · ∏ k_i))} (fast); with {@code true} a
     * dense kernel with that standard deviation is drawn and decomposed (slow; the reconstruction
     * has a smaller deviation, as the decomposition drops part of the kernel). The bias is set to
     * zero. If the block is not initialised yet, the choice applies to DJL's next {@code
     * initialize}.
     *
     * @param decomposeFullWeight whether to decompose a dense random kernel
     */
    public void initFromRandom(boolean decomposeFullWeight) {
        initFromRandom(decomposeFullWeight, defaultStd());
    }

    /**
     * Sets random values whose reconstructed kernel has a given standard deviation.
     *
     * @param decomposeFullWeight whether to decompose a dense random kernel
     * @param std the standard deviation of the (dense) kernel, finite and greater than 0
     * @throws IllegalArgumentException if {@code std} is not accepted
     * @see #initFromRandom(boolean)
     */
    public void initFromRandom(boolean decomposeFullWeight, double std) {
        if (!(std > 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException(
                    "std " + std + " is not accepted; a finite value > 0 is");
        }
        this.decomposeFullWeight = decomposeFullWeight;
        this.initStd = std;
        if (!params.isInitialized()) {
            return;
        }
        NDArray anchor = params.anchor();
        try (NDManager scope = anchor.getManager().newSubManager()) {
            NDList values = drawValues(scope, anchor.getDataType());
            setValues(values, includeBias ? scope.zeros(biasShape, anchor.getDataType()) : null);
        }
    }

    private double defaultStd() {
        return Math.sqrt(2.0 / ((double) inChannels * kernelShape.size()));
    }

    private NDList drawValues(NDManager manager, DataType type) {
        double std = Double.isNaN(initStd) ? defaultStd() : initStd;
        long s = seed + 7919L * draws++;
        if (!decomposeFullWeight) {
            return draw(manager, type, std, s).getArrays();
        }
        NDArray full = HostRandom.normal(manager, new Random(s), layeredShape, std, type);
        return decompose(full, s).getTensor().getArrays();
    }

    /**
     * Sets the factors by decomposing a dense kernel (with this block's rank and seed), and the
     * bias.
     *
     * <p>For other decomposition options use {@link #initFromTensor(NDArray, NDArray, Function)}.
     *
     * @param kernel the {@code (O, C, k_1, …, k_N)} kernel, float32 or float64
     * @param bias the {@code (O)} bias, or null (zero bias)
     * @return the relative error of the decomposition {@code ‖K − K̂‖ / ‖K‖}
     * @throws IllegalArgumentException if the kernel or bias shape does not match the block
     */
    public double initFromTensor(NDArray kernel, NDArray bias) {
        if (kernel == null || !kernel.getShape().equals(layeredShape)) {
            throw new IllegalArgumentException(
                    "kernel of shape "
                            + (kernel == null ? "null" : kernel.getShape())
                            + " is not accepted; this block takes a "
                            + layeredShape
                            + (layers > 1
                                    ? " kernel (layers, out, in, k…)"
                                    : " kernel (out, in, k…)"));
        }
        Checks.finiteFloat(kernel, "kernel");
        checkBias(bias);
        Decomposition<T> d = decompose(kernel, seed);
        try (T tensor = d.getTensor()) {
            setValues(tensor.getArrays(), bias);
        }
        return d.getRelativeError();
    }

    /**
     * Sets the factors by decomposing a dense kernel with a decomposition of the caller's choice
     * (its options: initialisation, iterations, tolerance, seed…), and the bias.
     *
     * <pre>{@code
     * cpConv.initFromTensor(kernel, bias, k -> Parafac.builder()
     *         .setRank(cpConv.getRank()[0])
     *         .optInit(Parafac.Init.RANDOM)
     *         .optMaxIterations(500)
     *         .build()
     *         .fit(k));
     * }</pre>
     *
     * @param kernel the {@code (O, C, k_1, …, k_N)} kernel, float32 or float64
     * @param bias the {@code (O)} bias, or null (zero bias)
     * @param decomposer turns the kernel into a decomposition in this block's format and rank
     * @return the relative error of the decomposition {@code ‖K − K̂‖ / ‖K‖}
     * @throws IllegalArgumentException if the kernel or bias shape does not match the block, or the
     *     decomposition's shape or rank does not; the block is then unchanged
     */
    public double initFromTensor(
            NDArray kernel, NDArray bias, Function<NDArray, Decomposition<T>> decomposer) {
        if (kernel == null || !kernel.getShape().equals(layeredShape)) {
            throw new IllegalArgumentException(
                    "kernel of shape "
                            + (kernel == null ? "null" : kernel.getShape())
                            + " is not accepted; this block takes a "
                            + layeredShape
                            + " kernel");
        }
        Checks.finiteFloat(kernel, "kernel");
        checkBias(bias);
        Decomposition<T> d = decomposer.apply(kernel);
        try (T tensor = d.getTensor()) {
            initFromDecomposition(tensor, bias);
        }
        return d.getRelativeError();
    }

    /**
     * Sets the factors from a factorized tensor (copied), and the bias.
     *
     * @param tensor the kernel in this block's format, with this block's shape and rank
     * @param bias the {@code (O)} bias, or null (zero bias)
     * @throws IllegalArgumentException if the tensor's shape or rank, or the bias shape, does not
     *     match the block
     */
    public void initFromDecomposition(T tensor, NDArray bias) {
        if (tensor == null) {
            throw new IllegalArgumentException("tensor null is not accepted");
        }
        NDList arrays = tensor.getArrays();
        List<Shape> expected = params.shapes();
        List<Shape> got = new ArrayList<>();
        for (NDArray a : arrays) {
            got.add(a.getShape());
        }
        if (!expected.equals(got)) {
            throw new IllegalArgumentException(
                    tensor
                            + " with factor shapes "
                            + got
                            + " is not accepted; this block takes factor shapes "
                            + expected
                            + " (shape "
                            + tensorShape()
                            + ", rank "
                            + Arrays.toString(getRank())
                            + ")");
        }
        for (int i = 0; i < arrays.size(); i++) {
            Checks.finiteFloat(arrays.get(i), "factor " + i + " of " + tensor);
        }
        checkBias(bias);
        setValues(arrays, bias);
    }

    /** Records a trained convolution's input shapes, so that the new block can be saved at once. */
    void takeInputShapes(Convolution source) {
        SourceLayer.initialize(
                this,
                params.anchor(),
                SourceLayer.inputShapes(
                        source, ConvGeometry.smallestInput(inChannels, kernelShape, dilation)));
    }

    private void checkBias(NDArray b) {
        params.checkBias(b);
    }

    private void setValues(List<NDArray> values, NDArray biasValue) {
        params.set(values, biasValue);
        invalidate();
    }

    /**
     * Returns a copy of the kernel's factorization.
     *
     * @return the factorized kernel (new arrays, in the parameters' manager; close it when done)
     * @throws IllegalStateException if the block is not initialised
     */
    public T getDecomposition() {
        return wrap(params.copies());
    }

    /**
     * Returns a copy of the bias.
     *
     * @return the {@code (O)} bias (a new array in the parameter's manager), or null without bias
     * @throws IllegalStateException if the block is not initialised
     */
    public NDArray getBias() {
        return params.biasCopy();
    }

    /**
     * Returns the dense kernel rebuilt from the factors.
     *
     * @return a new {@code (O, C, k_1, …, k_N)} array in the parameters' manager
     * @throws IllegalStateException if the block is not initialised
     */
    public NDArray reconstructKernel() {
        try (T t = getDecomposition()) {
            List<NDArray> arrays = new ArrayList<>(t.getArrays());
            if (layers == 1) {
                return kernel(arrays);
            }
            try (Workspace ws = Workspace.of(arrays.get(0))) {
                NDList kernels = new NDList();
                for (int i = 0; i < layers; i++) {
                    kernels.add(kernel(layerValues(arrays, i)));
                }
                return ws.keep(NDArrays.stack(kernels));
            }
        }
    }

    // ---------------------------------------------------------------- conversion

    /**
     * Builds a factorized convolution with the configuration of a DJL convolution: channels,
     * kernel, stride, padding, dilation and bias.
     *
     * @param conv a {@link Conv1d}, {@link Conv2d} or {@link Conv3d} with {@code groups == 1}
     * @param rank the rank
     * @param factorization CP, TUCKER or TT
     * @param implementation the implementation
     * @param decomposeWeights whether to decompose the conv's (initialised) weight and copy its
     *     bias; otherwise the block is left for DJL's {@code initialize} to draw
     * @return the factorized convolution
     * @throws IllegalArgumentException if the conv is of another kind or grouped, or the rank does
     *     not fit
     * @throws IllegalStateException if the conv's weight shape is not known yet, or its weight is
     *     needed and not initialised
     */
    public static FactorizedConv<?> fromConv(
            Convolution conv,
            Rank rank,
            Factorization factorization,
            ConvImplementation implementation,
            boolean decomposeWeights) {
        return ConvConversion.fromConv(conv, rank, factorization, implementation, decomposeWeights);
    }

    /**
     * Turns this N-D convolution into an (N+1)-D one by inserting a new spatial dimension at
     * spatial position {@code mode}.
     *
     * <p>The new dimension's kernel is a one-hot at its centre ({@code kernelSize / 2}): CP gets a
     * new factor, Tucker a new rank-1 mode, the tensor train a new identity core. With {@code
     * padding = kernelSize / 2}, stride 1 and dilation 1 along the new dimension, the returned
     * convolution applied to a stack of frames equals this convolution applied frame by frame;
     * training then learns how frames mix. The parameters are copied: this block is unchanged.
     *
     * @param kernelSize the kernel size along the new dimension, at least 1
     * @param mode where the new dimension goes among the spatial ones, {@code 0..N}
     * @param padding the padding along the new dimension, at least 0
     * @param stride the stride along the new dimension, at least 1
     * @param dilation the dilation along the new dimension, at least 1
     * @param freezeExisting whether only the new factor trains (every other parameter frozen)
     * @return the (N+1)-D convolution, of the same format and implementation, initialised
     * @throws IllegalArgumentException if a value is out of range or the order would exceed 3
     * @throws IllegalStateException if this block is not initialised
     */
    public FactorizedConv<T> transduct(
            int kernelSize,
            int mode,
            int padding,
            int stride,
            int dilation,
            boolean freezeExisting) {
        return ConvConversion.transduct(
                this, kernelSize, mode, padding, stride, dilation, freezeExisting);
    }

    /**
     * Returns the block as ordinary DJL convolutions ({@link Conv1d}, {@link Conv2d} or {@link
     * Conv3d}) in a {@link SequentialBlock} that computes the same function, for a deployment
     * without this library: CP as a 1×1 convolution, one depthwise convolution with the full
     * spatial kernel and a 1×1 convolution; Tucker as a 1×1 convolution (when the input mode has a
     * factor), a convolution with the core and a 1×1 convolution (when the output mode has one);
     * the tensor train as a 1×1 convolution, one convolution along each spatial axis and a 1×1
     * convolution. Stride, padding and dilation go to the spatial convolutions, the bias to the
     * last one. The block is initialised (with this block's input shape, or its smallest input) in
     * the parameters' manager, with copies of the values.
     *
     * @return the sequential block
     * @throws IllegalArgumentException if the block holds several layers
     * @throws IllegalStateException if the block is not initialised
     */
    public SequentialBlock toStandardBlock() {
        requireOneLayer("toStandardBlock");
        if (!params.isInitialized()) {
            throw FactorParameters.notInitialized();
        }
        NDArray anchor = params.anchor();
        try (Workspace ws = Workspace.of(anchor)) {
            List<NDArray> values =
                    ws.borrow(params.factors().stream().map(Parameter::getArray).toList());
            Parameter b = params.bias();
            return StandardConvs.of(
                    this,
                    standardStages(values),
                    b == null ? null : ws.borrow(b.getArray()),
                    anchor.getManager());
        }
    }

    /**
     * Returns one DJL convolution with this block's configuration whose kernel is the rebuilt one
     * ({@link #reconstructKernel}) and whose bias is this block's: the dense layer the factors
     * multiply out to, initialised like {@link #toStandardBlock}.
     *
     * @return the convolution
     * @throws IllegalArgumentException if the block holds several layers
     * @throws IllegalStateException if the block is not initialised
     */
    public Convolution toDenseConvolution() {
        requireOneLayer("toDenseConvolution");
        try (NDArray kernel = reconstructKernel();
                NDArray b = getBias()) {
            return StandardConvs.dense(this, kernel, b);
        }
    }

    private void requireOneLayer(String method) {
        if (layers > 1) {
            throw new IllegalArgumentException(
                    method
                            + " of a block of "
                            + layers
                            + " layers is not accepted; a one-layer block is (use getConv(i) for"
                            + " one layer's function)");
        }
    }

    /**
     * Returns one layer of a block of several layers as a block of its own, sharing this block's
     * parameters (its only child is this block): it takes the input alone.
     *
     * @param layer the layer, {@code 0..getLayers()-1}
     * @return the view
     * @throws IllegalArgumentException if the index is out of range
     */
    public LayerConv getConv(int layer) {
        return new LayerConv(this, ForwardChecks.checkLayer(layer, layers));
    }

    /**
     * Builds one factorized tensor for several convolutions of the same configuration (a block with
     * {@link FactorizedConvBuilder#optLayers}), and decomposes their stacked kernels jointly.
     *
     * @param convs at least one {@link Conv1d}, {@link Conv2d} or {@link Conv3d} of the same kind,
     *     channels, kernel, stride, padding, dilation and bias, with {@code groups == 1}
     * @param rank the rank of the joint tensor
     * @param factorization CP, TUCKER or TT
     * @param implementation the implementation
     * @param decomposeWeights whether to decompose the convs' (initialised) weights and copy their
     *     biases; otherwise DJL's {@code initialize} draws the factors
     * @return the block; {@link #getConv(int)} gives the convolution that stands for {@code
     *     convs.get(i)}
     * @throws IllegalArgumentException if the list is empty or the convolutions differ
     * @throws IllegalStateException if a weight is needed and not initialised
     */
    public static FactorizedConv<?> fromConvList(
            List<? extends Convolution> convs,
            Rank rank,
            Factorization factorization,
            ConvImplementation implementation,
            boolean decomposeWeights) {
        return ConvConversion.fromConvList(
                convs, rank, factorization, implementation, decomposeWeights);
    }

    // ---------------------------------------------------------------- checks

    void checkInput(Shape shape) {
        if (shape == null
                || shape.dimension() != order + 2
                || shape.get(1) != inChannels
                || shape.get(0) < 1) {
            StringBuilder accepted = new StringBuilder("(B, ").append(inChannels);
            for (int i = 1; i <= order; i++) {
                accepted.append(", S").append(i);
            }
            accepted.append(')');
            throw new IllegalArgumentException(
                    "input of shape "
                            + shape
                            + " is not accepted; this "
                            + order
                            + "-D convolution takes "
                            + accepted);
        }
    }

    static void checkImplementation(ConvImplementation implementation, Factorization f) {
        if (implementation == null) {
            throw new IllegalArgumentException(
                    "implementation null is not accepted; FACTORIZED, RECONSTRUCTED, MOBILENET (CP)"
                            + " or AUTO is");
        }
        if (implementation == ConvImplementation.MOBILENET && f != Factorization.CP) {
            throw new IllegalArgumentException(
                    "implementation MOBILENET is not accepted for "
                            + f
                            + "; only CP has it (FACTORIZED, RECONSTRUCTED or AUTO are accepted)");
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return getClass().getSimpleName()
                + "("
                + structure()
                + ", rank="
                + Arrays.toString(getRank())
                + ", implementation="
                + implementation
                + ")";
    }

    /** The factor parameters and the bias. */
    FactorParameters params() {
        return params;
    }

    /** The operands inference derives from the parameters, built once per parameter state. */
    OperandCache operands() {
        return operands;
    }

    /** The bias parameter, or null without bias. */
    Parameter biasParameter() {
        return params.bias();
    }

    /** The seed of initialisation and decomposition. */
    long seed() {
        return seed;
    }

    /** The cost model set on the block, or null for the engine's. */
    CostModel configuredCostModel() {
        return costModel;
    }

    /** Unmodifiable view of the factor parameters, in the format's array order. */
    List<Parameter> factorParameters() {
        return params.factors();
    }
}
