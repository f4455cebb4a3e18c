package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.FactorizedConvBuilder;
import org.lowrank4j.nn.TuckerConv;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * The tensor-format convolution method: a {@link Conv1d}, {@link Conv2d} or {@link Conv3d} with
 * {@code groups == 1} becomes a {@link FactorizedConv} (CP, Tucker-2 or TT) built from the
 * decomposition of its trained kernel, with the layer's bias, stride, padding and dilation.
 */
final class TensorConvMethod extends FormatMethod {

    private static final String PREFIX = "factorized-conv-";

    /** The seed of the decompositions, so that a factorization is reproducible. */
    private static final long SEED = 20240601L;

    /**
     * Creates the method for one format.
     *
     * @param format CP, TUCKER (Tucker-2: spatial modes kept at full size) or TT
     */
    TensorConvMethod(Factorization format) {
        super(format, PREFIX, "factorized convolution");
    }

    /** {@inheritDoc} */
    @Override
    public String unsupportedReason(Block layer, Shape[] inputShapes) {
        if (!(layer instanceof Conv1d || layer instanceof Conv2d || layer instanceof Conv3d)) {
            return layer.getClass().getSimpleName()
                    + " is not accepted by the "
                    + getName()
                    + " method; Conv1d, Conv2d and Conv3d are";
        }
        Convolution conv = (Convolution) layer;
        if (conv.getGroups() != 1) {
            return "grouped convolution (groups "
                    + conv.getGroups()
                    + "); the "
                    + getName()
                    + " method accepts groups 1 only";
        }
        Parameter w = layer.getParameters().get("weight");
        if (w == null || !w.isInitialized()) {
            return "the layer has no initialised weight; a trained (initialised) layer is"
                    + " accepted";
        }
        if (inputShapes == null || inputShapes.length != 1) {
            return "the layer takes "
                    + (inputShapes == null ? "unknown" : String.valueOf(inputShapes.length))
                    + " inputs; the "
                    + getName()
                    + " method accepts one input (B, C, S...)";
        }
        int order = conv.getKernelShape().dimension();
        Shape x = inputShapes[0];
        long in = w.getArray().getShape().get(1);
        if (x.dimension() != order + 2 || x.get(1) != in) {
            return "input shape "
                    + x
                    + " does not fit the layer; inputs (B, "
                    + in
                    + ", S_1.."
                    + "S_"
                    + order
                    + ") are accepted";
        }
        return null;
    }

    @Override
    boolean hasMobilenet() {
        return format() == Factorization.CP;
    }

    @Override
    Built build(LayerRequest request) {
        Convolution conv = (Convolution) request.getLayer();
        Shape[] shapes = request.getInputShapes();
        NDArray w = conv.getParameters().get("weight").getArray();
        NDArray bias = conv.isIncludeBias() ? conv.getParameters().get("bias").getArray() : null;
        FactorizedConv<?> block = structure(conv, w.getShape(), rank(request.getRank(), conv));
        block.setImplementation(request.getImplementation());
        try {
            block.initFromTensor(w, bias);
            // the input shapes the layer takes in the model: the block is initialised at once
            block.initialize(w.getManager(), w.getDataType(), shapes);
            return new Built(
                    block,
                    block.getRank(),
                    PlanSettings.relativeError(w, block.reconstructKernel()),
                    block.chooseImplementation(shapes[0], false));
        } catch (RuntimeException e) {
            Factorizer.dispose(block);
            throw e;
        }
    }

    /**
     * Profiles a convolution: Tucker-2 has two modes, the output-channel unfolding {@code (O,
     * C·∏k)} and the input-channel unfolding {@code (C, O·∏k)}; CP one, the most balanced
     * matricization {@code (O·k_1…k_j, C·k_{j+1}…k_N)} (its truncation error bounds the CP error
     * from below); TT one per inner bond of the {@code (C, k_1, …, k_N, O)} train, its sequential
     * unfolding (the TT-SVD bound). The cost of a rank tuple is that of the block it builds.
     */
    @Override
    public LayerProfile profile(LayerRequest request) {
        Block layer = request.getLayer();
        Shape[] shapes = request.getInputShapes();
        String reason = unsupportedReason(layer, shapes);
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        Convolution conv = (Convolution) layer;
        NDArray w = conv.getParameters().get("weight").getArray();
        Shape ws = w.getShape();
        int n = ws.dimension() - 2;
        ConvImplementation impl = implementationOf(request);
        LayerProfile.Builder b = LayerProfile.builder().setPath(request.getPath());
        int[] modeMax;
        try (Workspace scope = Workspace.of(w)) {
            scope.adopt(w);
            NDArray k = w.toType(DataType.FLOAT64, true);
            if (format() == Factorization.TUCKER) {
                modeMax = new int[] {addModeUnfolding(b, k, 0), addModeUnfolding(b, k, 1)};
            } else if (format() == Factorization.CP) {
                // (O, k_1..k_j, C, k_{j+1}..k_N): O and a prefix of the spatial modes as rows
                long[] order = new long[n + 2];
                order[0] = ws.get(0);
                for (int i = 0; i < n; i++) {
                    order[1 + i] = ws.get(2 + i);
                }
                order[n + 1] = ws.get(1);
                int split = balancedPrefix(order, 1, n + 1) - 1;
                int[] axes = new int[n + 2];
                int next = 0;
                axes[next++] = 0;
                for (int i = 0; i < split; i++) {
                    axes[next++] = 2 + i;
                }
                axes[next++] = 1;
                for (int i = split; i < n; i++) {
                    axes[next++] = 2 + i;
                }
                NDArray m = k.transpose(axes);
                long rows = 1;
                for (int i = 0; i <= split; i++) {
                    rows *= m.getShape().get(i);
                }
                long cols = ws.size() / rows;
                b.addMode(LayerProfile.singularValues(m.reshape(rows, cols)), rows, cols);
                modeMax = new int[] {(int) Math.min(rows, cols)};
            } else {
                // the train (C, k_1, ..., k_N, O)
                int[] axes = new int[n + 2];
                axes[0] = 1;
                for (int i = 0; i < n; i++) {
                    axes[1 + i] = 2 + i;
                }
                axes[n + 1] = 0;
                modeMax = addTrainModes(b, k.transpose(axes));
            }
        }
        Function<int[], FactorizedConv<?>> at =
                r -> {
                    FactorizedConv<?> f = structure(conv, ws, rank(Rank.of(r), conv));
                    f.setImplementation(impl);
                    return f;
                };
        return structured(
                b,
                layer,
                shapes,
                at,
                rank -> profileRanks(structure(conv, ws, rank(rank, conv)).getRank(), n),
                modeMax);
    }

    /** {@inheritDoc} */
    @Override
    public boolean produced(Block block) {
        if (!(block instanceof FactorizedConv)) {
            return false;
        }
        FactorizedConv<?> f = (FactorizedConv<?>) block;
        if (f.getFactorization() != format() || f.getLayers() != 1) {
            return false;
        }
        return format() != Factorization.TUCKER
                || Arrays.equals(((TuckerConv) f).getFixedRankModes(), spatialModes(f.getOrder()));
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> describe(Block factorized) {
        FactorizedConv<?> f = requireProduced(factorized);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("layer", "Conv" + f.getOrder() + "d");
        m.put("in_channels", String.valueOf(f.getInChannels()));
        m.put("filters", String.valueOf(f.getOutChannels()));
        m.put("kernel", PlanSettings.encode(f.getKernelShape().getShape()));
        m.put("stride", PlanSettings.encode(f.getStride().getShape()));
        m.put("padding", PlanSettings.encode(f.getPadding().getShape()));
        m.put("dilation", PlanSettings.encode(f.getDilation().getShape()));
        m.put("bias", String.valueOf(f.hasBias()));
        m.put("factorization", format().name());
        if (format() == Factorization.TUCKER) {
            m.put("fixed_modes", "spatial");
        }
        m.put("rank", PlanSettings.encode(PlanSettings.toLong(f.getRank())));
        m.put("implementation", f.getImplementation().name());
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public Block rebuild(Block original, Map<String, String> settings) {
        String type = settings.get("layer");
        checkPlanned(
                original,
                settings,
                original instanceof Convolution
                        && type != null
                        && type.equals(original.getClass().getSimpleName()));
        Convolution conv = (Convolution) original;
        long in = PlanSettings.number(settings, "in_channels");
        Parameter w = conv.getParameters().get("weight");
        String planned =
                settings.get("filters")
                        + " filters, in "
                        + in
                        + ", kernel "
                        + settings.get("kernel")
                        + ", stride "
                        + settings.get("stride")
                        + ", padding "
                        + settings.get("padding")
                        + ", dilation "
                        + settings.get("dilation")
                        + ", bias "
                        + settings.get("bias");
        long actualIn = w.getShape() != null ? w.getShape().get(1) : in;
        String actual =
                conv.getFilters()
                        + " filters, in "
                        + actualIn
                        + ", kernel "
                        + PlanSettings.encode(conv.getKernelShape().getShape())
                        + ", stride "
                        + PlanSettings.encode(conv.getStride().getShape())
                        + ", padding "
                        + PlanSettings.encode(conv.getPadding().getShape())
                        + ", dilation "
                        + PlanSettings.encode(conv.getDilation().getShape())
                        + ", bias "
                        + conv.isIncludeBias();
        if (!planned.equals(actual) || conv.getGroups() != 1) {
            throw new IllegalArgumentException(
                    "the plan's "
                            + type
                            + " ("
                            + planned
                            + ") does not fit the block's ("
                            + actual
                            + ", groups "
                            + conv.getGroups()
                            + "); a block built like the factorized one is accepted");
        }
        if (format() == Factorization.TUCKER && !"spatial".equals(settings.get("fixed_modes"))) {
            throw new IllegalArgumentException(
                    "plan setting fixed_modes = "
                            + settings.get("fixed_modes")
                            + " is not accepted by the "
                            + getName()
                            + " method; spatial is");
        }
        long[] rank = PlanSettings.numbers(settings, "rank");
        int[] ranks = new int[rank.length];
        for (int i = 0; i < rank.length; i++) {
            ranks[i] = Math.toIntExact(rank[i]);
        }
        ConvImplementation impl = implementation(settings);
        long[] weightShape = new long[conv.getKernelShape().dimension() + 2];
        weightShape[0] = conv.getFilters();
        weightShape[1] = in;
        System.arraycopy(
                conv.getKernelShape().getShape(), 0, weightShape, 2, weightShape.length - 2);
        FactorizedConv<?> block = structure(conv, new Shape(weightShape), Rank.of(ranks));
        if (!Arrays.equals(block.getRank(), ranks)) {
            throw new IllegalArgumentException(
                    "plan setting rank = "
                            + settings.get("rank")
                            + " is not realisable for this "
                            + format()
                            + " convolution (it gives "
                            + Arrays.toString(block.getRank())
                            + "); the ranks a decomposition realised are accepted");
        }
        block.setImplementation(impl);
        return block;
    }

    /**
     * {@inheritDoc} The block's own {@link FactorizedConv#toStandardBlock}: CP as a 1×1
     * convolution, one depthwise convolution with the full spatial kernel and a 1×1 convolution;
     * Tucker-2 as a 1×1 convolution, a convolution with the core and a 1×1 convolution; TT as a 1×1
     * convolution, one convolution along each spatial axis and a 1×1 convolution.
     */
    @Override
    public Block toStandard(Block factorized) {
        return requireProduced(factorized).toStandardBlock();
    }

    /**
     * {@inheritDoc} A DJL convolution with the block's configuration whose kernel is the block's
     * reconstructed one ({@link FactorizedConv#toDenseConvolution}).
     */
    @Override
    public Block toDense(Block factorized) {
        return requireProduced(factorized).toDenseConvolution();
    }

    // ------------------------------------------------------------------------------------------

    /** An uninitialised block with the conv's configuration and a rank. */
    private FactorizedConv<?> structure(Convolution conv, Shape weight, Rank rank) {
        FactorizedConvBuilder<?> b =
                FactorizedConv.builder()
                        .setInChannels(Math.toIntExact(weight.get(1)))
                        .setOutChannels(Math.toIntExact(weight.get(0)))
                        .setKernelShape(conv.getKernelShape())
                        .setFactorization(format())
                        .setRank(rank)
                        .optStride(conv.getStride())
                        .optPadding(conv.getPadding())
                        .optDilation(conv.getDilation())
                        .optBias(conv.isIncludeBias())
                        .optSeed(SEED);
        if (format() == Factorization.TUCKER) {
            b.optFixedRankModes("spatial");
        }
        return b.build();
    }

    /**
     * The rank to build with: Tucker-2 also takes two values, the output and input channel ranks
     * (as a {@link RankSelector} chooses them), which are expanded with the full spatial sizes.
     */
    private Rank rank(Rank rank, Convolution conv) {
        if (rank == null) {
            throw new IllegalArgumentException(
                    "rank null is not accepted by the " + getName() + " method; a Rank is");
        }
        int n = conv.getKernelShape().dimension();
        if (rank.isFraction()) {
            return rank;
        }
        int[] v = rank.getValues();
        if (format() == Factorization.TUCKER) {
            if (v.length == 2) {
                int[] full = new int[n + 2];
                full[0] = v[0];
                full[1] = v[1];
                for (int i = 0; i < n; i++) {
                    full[2 + i] = Math.toIntExact(conv.getKernelShape().get(i));
                }
                return Rank.of(full);
            }
            if (v.length != 1 && v.length != n + 2) {
                throw new IllegalArgumentException(
                        "rank "
                                + rank
                                + " is not accepted by the "
                                + getName()
                                + " method; one value, two (output and input channels), "
                                + (n + 2)
                                + " (every mode, spatial ones at their size) or a fraction"
                                + " are");
            }
        } else if (format() == Factorization.CP && v.length != 1) {
            throw new IllegalArgumentException(
                    "rank "
                            + rank
                            + " is not accepted by the "
                            + getName()
                            + " method; one value or a fraction is");
        } else if (format() == Factorization.TT
                && v.length != 1
                && v.length != n + 1
                && v.length != n + 3) {
            throw new IllegalArgumentException(
                    "rank "
                            + rank
                            + " is not accepted by the "
                            + getName()
                            + " method; one value, "
                            + (n + 1)
                            + " inner bond ranks, all "
                            + (n + 3)
                            + " bond ranks or a fraction are");
        }
        return rank;
    }

    /** The realised ranks of a block as the profile's modes take them. */
    private int[] profileRanks(int[] realised, int order) {
        if (format() == Factorization.TUCKER) {
            return new int[] {realised[0], realised[1]};
        }
        if (format() == Factorization.CP) {
            return new int[] {realised[0]};
        }
        return Arrays.copyOfRange(realised, 1, order + 2);
    }

    private FactorizedConv<?> requireProduced(Block block) {
        if (!produced(block)) {
            throw new IllegalArgumentException(
                    block
                            + " was not made by the "
                            + getName()
                            + " method; a single-layer "
                            + format()
                            + (format() == Factorization.TUCKER ? " (spatial modes fixed)" : "")
                            + " FactorizedConv is accepted");
        }
        return (FactorizedConv<?>) block;
    }

    private static int[] spatialModes(int order) {
        int[] m = new int[order];
        for (int i = 0; i < order; i++) {
            m[i] = i + 2;
        }
        return m;
    }

    private ConvImplementation implementation(Map<String, String> settings) {
        String v = settings.get("implementation");
        for (ConvImplementation c : ConvImplementation.values()) {
            if ((c != ConvImplementation.MOBILENET || format() == Factorization.CP)
                    && c.name().equals(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "plan setting implementation = "
                        + v
                        + " is not accepted; FACTORIZED, RECONSTRUCTED"
                        + (format() == Factorization.CP ? ", MOBILENET" : "")
                        + " or AUTO is");
    }
}
