package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/**
 * The tensorized linear method: a {@link Linear} layer becomes a {@link FactorizedLinear} in one
 * tensor format (CP, Tucker or block-TT) built from the decomposition of its trained weight, with
 * automatic tensorized shapes of order 3 ({@link org.lowrank4j.tensor.Tensorize#shapes(long, long,
 * int)}) and the layer's bias.
 */
final class TensorizedLinearMethod extends FormatMethod {

    private static final String PREFIX = "tensorized-linear-";

    /** The seed of the blocks a profile builds, so that a timed candidate is reproducible. */
    private static final long SEED = 20240601L;

    /**
     * Creates the method for one format.
     *
     * @param format CP, TUCKER or TT
     */
    TensorizedLinearMethod(Factorization format) {
        super(format, PREFIX, "tensorized linear");
    }

    /** {@inheritDoc} */
    @Override
    public String unsupportedReason(Block layer, Shape[] inputShapes) {
        if (!(layer instanceof Linear)) {
            return layer.getClass().getSimpleName()
                    + " is not accepted by the tensorized linear method; Linear is";
        }
        if (inputShapes == null || inputShapes.length != 1) {
            return "the layer takes "
                    + (inputShapes == null ? "unknown" : String.valueOf(inputShapes.length))
                    + " inputs; the tensorized linear method accepts one input (..., in)";
        }
        Shape x = inputShapes[0];
        if (x.dimension() < 1) {
            return "input shape "
                    + x
                    + " has no feature dimension; inputs (..., in) are accepted by the"
                    + " tensorized linear method";
        }
        Parameter w = layer.getParameters().get("weight");
        if (w == null || !w.isInitialized()) {
            return "the layer has no initialised weight; a trained (initialised) layer is"
                    + " accepted";
        }
        long in = w.getArray().getShape().get(1);
        long features = x.get(x.dimension() - 1);
        if (features != in) {
            return "input shape "
                    + x
                    + " has "
                    + features
                    + " features but the layer's weight takes "
                    + in
                    + "; inputs (..., "
                    + in
                    + ") are accepted";
        }
        return null;
    }

    @Override
    Built build(LayerRequest request) {
        Linear linear = (Linear) request.getLayer();
        FactorizedLinear block =
                FactorizedLinear.fromLinear(linear, null, null, request.getRank(), format());
        block.setImplementation(request.getImplementation());
        try {
            NDArray w = linear.getParameters().get("weight").getArray();
            Shape x = request.getInputShapes()[0];
            long rows = x.size() / Math.max(1, block.getInFeatures());
            return new Built(
                    block,
                    block.getRank(),
                    PlanSettings.relativeError(w, block.reconstructWeight(0)),
                    block.chooseImplementation(rows, false));
        } catch (RuntimeException e) {
            Factorizer.dispose(block);
            throw e;
        }
    }

    /**
     * Profiles a linear layer through the tensor its format factorizes, the weight {@code (out,
     * in)} reshaped to {@code (O_0…O_{d-1}, I_0…I_{d-1})} with the automatic tensorized shapes of
     * {@link FactorizedLinear#fromLinear(Linear, Rank, Factorization)}: Tucker has one mode per
     * tensor mode, its unfolding {@code (D_k, ∏_{j≠k} D_j)}; block-TT one per inner bond of the
     * train of merged modes {@code (O_0·I_0, …, O_{d-1}·I_{d-1})}, its sequential unfolding (the
     * TT-SVD bound); CP one, the most balanced matricization {@code (D_0…D_{j-1}, D_j…)} (its
     * truncation error bounds the CP error from below). The cost of a rank tuple is that of the
     * {@link FactorizedLinear} it builds.
     *
     * @throws IllegalArgumentException if the layer is not accepted, or for block-TT when the
     *     tensorized shapes have order 1 (no bond rank to choose)
     */
    @Override
    public LayerProfile profile(LayerRequest request) {
        Block layer = request.getLayer();
        Shape[] shapes = request.getInputShapes();
        String reason = unsupportedReason(layer, shapes);
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        ConvImplementation impl = implementationOf(request);
        checkImplementation(impl, request.getPath());
        NDArray w = layer.getParameters().get("weight").getArray();
        long out = w.getShape().get(0);
        long in = w.getShape().get(1);
        Pair<Shape, Shape> auto = Tensorize.shapes(in, out, 3);
        Shape inShape = auto.getKey();
        Shape outShape = auto.getValue();
        int d = outShape.dimension();
        if (format() == Factorization.TT && d < 2) {
            throw new IllegalArgumentException(
                    "layer '"
                            + request.getPath()
                            + "' ("
                            + in
                            + " -> "
                            + out
                            + " features) has tensorized shapes "
                            + inShape
                            + " -> "
                            + outShape
                            + " of order 1, where block-TT has no bond rank to choose; a rank"
                            + " selector is accepted for shapes of order 2 or more, a fixed Rank"
                            + " for any");
        }
        boolean bias = layer.getParameters().contains("bias");
        LayerProfile.Builder b = LayerProfile.builder().setPath(request.getPath());
        int[] modeMax;
        try (Workspace scope = Workspace.of(w)) {
            scope.adopt(w);
            NDArray t = w.toType(DataType.FLOAT64, true).reshape(outShape.addAll(inShape));
            long[] dims = t.getShape().getShape();
            if (format() == Factorization.TUCKER) {
                modeMax = new int[dims.length];
                for (int k = 0; k < dims.length; k++) {
                    modeMax[k] = addModeUnfolding(b, t, k);
                }
            } else if (format() == Factorization.CP) {
                int split = balancedPrefix(dims, 1, dims.length - 1);
                long rows = 1;
                for (int i = 0; i < split; i++) {
                    rows *= dims[i];
                }
                long cols = t.size() / rows;
                b.addMode(LayerProfile.singularValues(t.reshape(rows, cols)), rows, cols);
                modeMax = new int[] {(int) Math.min(rows, cols)};
            } else {
                // (O_0, I_0, O_1, I_1, ...) merged pairwise: the train of the block-TT cores
                int[] axes = new int[2 * d];
                long[] merged = new long[d];
                for (int k = 0; k < d; k++) {
                    axes[2 * k] = k;
                    axes[2 * k + 1] = d + k;
                    merged[k] = outShape.get(k) * inShape.get(k);
                }
                modeMax = addTrainModes(b, t.transpose(axes).reshape(new Shape(merged)));
            }
        }
        Function<Rank, FactorizedLinear> at =
                rank ->
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(inShape)
                                .setOutTensorizedFeatures(outShape)
                                .setFactorization(format())
                                .setRank(rank)
                                .optBias(bias)
                                .optImplementation(impl)
                                .optSeed(SEED)
                                .build();
        return structured(
                b,
                layer,
                shapes,
                r -> at.apply(Rank.of(r)),
                rank -> profileRanks(at.apply(rank).getRank(), d),
                modeMax);
    }

    /** {@inheritDoc} */
    @Override
    public boolean produced(Block block) {
        return block instanceof FactorizedLinear
                && ((FactorizedLinear) block).getFactorization() == format()
                && ((FactorizedLinear) block).getLayers() == 1;
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> describe(Block factorized) {
        if (!produced(factorized)) {
            throw new IllegalArgumentException(
                    factorized
                            + " was not made by the "
                            + getName()
                            + " method; a single-layer "
                            + format()
                            + " FactorizedLinear is accepted");
        }
        FactorizedLinear f = (FactorizedLinear) factorized;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("layer", "Linear");
        m.put("units", String.valueOf(f.getOutFeatures()));
        m.put("in_features", String.valueOf(f.getInFeatures()));
        m.put("factorization", format().name());
        m.put("in_shape", PlanSettings.encode(f.getInTensorizedFeatures().getShape()));
        m.put("out_shape", PlanSettings.encode(f.getOutTensorizedFeatures().getShape()));
        m.put("rank", PlanSettings.encode(PlanSettings.toLong(f.getRank())));
        m.put("implementation", f.getImplementation().name());
        m.put("bias", String.valueOf(f.getParameters().contains("bias")));
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public Block rebuild(Block original, Map<String, String> settings) {
        checkPlanned(
                original,
                settings,
                "Linear".equals(settings.get("layer")) && original instanceof Linear);
        long units = PlanSettings.number(settings, "units");
        long in = PlanSettings.number(settings, "in_features");
        Shape inShape = new Shape(PlanSettings.numbers(settings, "in_shape"));
        Shape outShape = new Shape(PlanSettings.numbers(settings, "out_shape"));
        long[] rank = PlanSettings.numbers(settings, "rank");
        boolean bias = flag(settings, "bias");
        ConvImplementation impl = implementation(settings);
        long actualUnits = LowRankMethod.units(original);
        Parameter w = original.getParameters().get("weight");
        long actualIn = w != null && w.isInitialized() ? w.getArray().getShape().get(1) : in;
        boolean actualBias = original.getParameters().contains("bias");
        if (actualUnits != units || actualIn != in || actualBias != bias) {
            throw new IllegalArgumentException(
                    "the plan's Linear ("
                            + in
                            + " -> "
                            + units
                            + " features, bias "
                            + bias
                            + ") does not fit the block's ("
                            + actualIn
                            + " -> "
                            + actualUnits
                            + " features, bias "
                            + actualBias
                            + "); a block built like the factorized one is accepted");
        }
        if (inShape.size() != in || outShape.size() != units) {
            throw new IllegalArgumentException(
                    "plan tensorized shapes "
                            + inShape
                            + " -> "
                            + outShape
                            + " do not multiply to "
                            + in
                            + " -> "
                            + units
                            + " features; shapes whose products are the feature counts are"
                            + " accepted");
        }
        int[] ranks = new int[rank.length];
        for (int i = 0; i < rank.length; i++) {
            ranks[i] = Math.toIntExact(rank[i]);
        }
        FactorizedLinear block =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(inShape)
                        .setOutTensorizedFeatures(outShape)
                        .setFactorization(format())
                        .setRank(Rank.of(ranks))
                        .optBias(bias)
                        .optImplementation(impl)
                        .build();
        if (!Arrays.equals(block.getRank(), ranks)) {
            throw new IllegalArgumentException(
                    "plan setting rank = "
                            + settings.get("rank")
                            + " is not realisable for "
                            + format()
                            + " shapes "
                            + inShape
                            + " -> "
                            + outShape
                            + " (it gives "
                            + Arrays.toString(block.getRank())
                            + "); the ranks a decomposition realised are accepted");
        }
        return block;
    }

    /** {@inheritDoc} */
    @Override
    public Block toStandard(Block factorized) {
        if (!produced(factorized)) {
            throw new IllegalArgumentException(
                    factorized
                            + " was not made by the "
                            + getName()
                            + " method; a single-layer "
                            + format()
                            + " FactorizedLinear is accepted");
        }
        FactorizedLinear f = (FactorizedLinear) factorized;
        Parameter bias = f.getParameters().contains("bias") ? f.getParameters().get("bias") : null;
        NDArray weight = f.reconstructWeight(0);
        try {
            Linear linear =
                    Linear.builder().setUnits(f.getOutFeatures()).optBias(bias != null).build();
            linear.initialize(
                    weight.getManager(),
                    weight.getDataType(),
                    LayerMethods.standardInput(f, new Shape(1, f.getInFeatures())));
            weight.copyTo(linear.getParameters().get("weight").getArray());
            if (bias != null) {
                bias.getArray().copyTo(linear.getParameters().get("bias").getArray());
            }
            return linear;
        } finally {
            weight.close();
        }
    }

    /** {@inheritDoc} The dense layer is the exported one: a single {@link Linear}. */
    @Override
    public Block toDense(Block factorized) {
        return toStandard(factorized);
    }

    // ------------------------------------------------------------------------------------------

    /** The realised ranks of a block as the profile's modes take them. */
    private int[] profileRanks(int[] realised, int order) {
        if (format() == Factorization.CP) {
            return new int[] {realised[0]};
        }
        if (format() == Factorization.TT) {
            return Arrays.copyOfRange(realised, 1, order);
        }
        return realised.clone();
    }

    private static boolean flag(Map<String, String> settings, String key) {
        String v = settings.get(key);
        if ("true".equals(v) || "false".equals(v)) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(
                "plan setting " + key + " = " + v + " is not accepted; true or false is");
    }

    private static ConvImplementation implementation(Map<String, String> settings) {
        String v = settings.get("implementation");
        for (ConvImplementation c : ConvImplementation.values()) {
            if (c != ConvImplementation.MOBILENET && c.name().equals(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "plan setting implementation = "
                        + v
                        + " is not accepted; FACTORIZED, RECONSTRUCTED or AUTO is");
    }
}
