package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * What the methods that factorize a layer's weight in a tensor format (CP, Tucker, TT) share: the
 * format, the plan name derived from it, the fact that they use no calibration data, and how they
 * profile a weight tensor for a {@link RankSelector}: the unfoldings whose truncation each rank
 * value controls (Tucker: a mode's unfolding; TT: the sequential unfolding at a bond; CP: the most
 * balanced matricization, whose truncation error bounds the CP error from below) and the cost of
 * the block each rank tuple builds.
 */
abstract class FormatMethod implements LayerMethod {

    private final Factorization format;
    private final String name;
    private final String what;

    /**
     * Creates the method for one format.
     *
     * @param format CP, TUCKER or TT
     * @param prefix the plan name's prefix, the format's name in lower case follows
     * @param what how the method is called in error messages
     */
    FormatMethod(Factorization format, String prefix, String what) {
        if (format == null || format == Factorization.DENSE) {
            throw new IllegalArgumentException(
                    "factorization "
                            + format
                            + " is not accepted by the "
                            + what
                            + " method; CP, TUCKER or TT are");
        }
        this.format = format;
        this.name = prefix + format.name().toLowerCase(Locale.ROOT);
        this.what = what;
    }

    /** A block this method built, with the ranks it realised and its relative weight error. */
    static final class Built {
        final Block block;
        final int[] ranks;
        final double weightError;
        final ConvImplementation runs;

        /**
         * @param block the block, its implementation set
         * @param ranks the realised ranks
         * @param weightError {@code ‖W − Ŵ‖ / ‖W‖}
         * @param runs the implementation it runs on the layer's input in inference
         */
        Built(Block block, int[] ranks, double weightError, ConvImplementation runs) {
            this.block = block;
            this.ranks = ranks;
            this.weightError = weightError;
            this.runs = runs;
        }
    }

    /**
     * Builds the block for an accepted request, with the layer's weights, at the request's rank and
     * implementation; a block built before a failure is disposed of.
     *
     * @param request the request, its layer accepted and its implementation checked
     * @return the block and what it realised
     */
    abstract Built build(LayerRequest request);

    /** Whether the format has the MobileNet pipeline (CP convolutions). */
    boolean hasMobilenet() {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public LayerResult factorize(LayerRequest request) {
        String reason = unsupportedReason(request.getLayer(), request.getInputShapes());
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        ConvImplementation impl = request.getImplementation();
        checkImplementation(impl, request.getPath());
        Built built = build(request);
        String used = built.runs.name().toLowerCase(Locale.ROOT);
        String words = impl == ConvImplementation.AUTO ? "auto: " + used : used;
        return LayerResult.of(built.block, built.ranks, words, built.weightError, Double.NaN);
    }

    /**
     * Refuses a plan entry for another kind of layer than the block holds, or for another format.
     *
     * @param original the block at the entry's path
     * @param settings the entry's settings
     * @param fits whether the block is the kind of layer the entry's {@code layer} setting names
     */
    void checkPlanned(Block original, Map<String, String> settings, boolean fits) {
        if (!fits) {
            throw new IllegalArgumentException(
                    "the plan replaces a "
                            + settings.get("layer")
                            + " but the block has a "
                            + original.getClass().getSimpleName()
                            + " there; a block built like the factorized one is accepted");
        }
        if (!format.name().equals(settings.get("factorization"))) {
            throw new IllegalArgumentException(
                    "plan setting factorization = "
                            + settings.get("factorization")
                            + " is not accepted by the "
                            + getName()
                            + " method; "
                            + format.name()
                            + " is");
        }
    }

    /**
     * Refuses an implementation the format does not have.
     *
     * @param impl the implementation
     * @param path the layer's path, for the message
     */
    void checkImplementation(ConvImplementation impl, String path) {
        if (impl == null || (impl == ConvImplementation.MOBILENET && !hasMobilenet())) {
            throw new IllegalArgumentException(
                    "implementation "
                            + impl
                            + " is not accepted by the "
                            + what
                            + " method ("
                            + getName()
                            + ", layer '"
                            + path
                            + "'); FACTORIZED, RECONSTRUCTED or AUTO are"
                            + (hasMobilenet() ? ", and MOBILENET" : "")
                            + " (MOBILENET is for CP convolutions only)");
        }
    }

    /**
     * Returns the format.
     *
     * @return CP, TUCKER or TT
     */
    Factorization format() {
        return format;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isDataAware() {
        return false;
    }

    /**
     * The implementation a profile builds its blocks with.
     *
     * @param request the request
     * @return the request's implementation, {@code AUTO} when it has none
     */
    static ConvImplementation implementationOf(LayerRequest request) {
        return request.getImplementation() == null
                ? ConvImplementation.AUTO
                : request.getImplementation();
    }

    /**
     * Adds the mode-{@code mode} unfolding {@code (D_mode, ∏_{j≠mode} D_j)} of a tensor as a mode
     * of the profile.
     *
     * @param b the profile
     * @param t the tensor, in double precision
     * @param mode the mode
     * @return the mode's largest rank
     */
    static int addModeUnfolding(LayerProfile.Builder b, NDArray t, int mode) {
        Shape s = t.getShape();
        long rows = s.get(mode);
        long cols = s.size() / rows;
        NDArray front = t;
        if (mode != 0) {
            int[] axes = new int[s.dimension()];
            axes[0] = mode;
            for (int i = 0, next = 1; i < axes.length; i++) {
                if (i != mode) {
                    axes[next++] = i;
                }
            }
            front = t.transpose(axes);
        }
        b.addMode(LayerProfile.singularValues(front.reshape(rows, cols)), rows, cols);
        return (int) Math.min(Math.min(rows, cols), Integer.MAX_VALUE);
    }

    /**
     * Adds one mode per inner bond of a tensor train: the sequential unfolding {@code (D_0…D_{k-1},
     * D_k…)} at bond {@code k}, whose truncation error bounds TT-SVD's.
     *
     * @param b the profile
     * @param train the tensor in the train's mode order, in double precision, order at least 2
     * @return the largest rank of each added mode
     */
    static int[] addTrainModes(LayerProfile.Builder b, NDArray train) {
        Shape ts = train.getShape();
        int[] modeMax = new int[ts.dimension() - 1];
        long rows = 1;
        for (int bond = 1; bond < ts.dimension(); bond++) {
            rows *= ts.get(bond - 1);
            long cols = ts.size() / rows;
            b.addMode(LayerProfile.singularValues(train.reshape(rows, cols)), rows, cols);
            modeMax[bond - 1] = (int) Math.min(Math.min(rows, cols), Integer.MAX_VALUE);
        }
        return modeMax;
    }

    /**
     * The length of the most balanced prefix of a tensor's modes: the {@code j} in {@code [from,
     * to]} whose matricization {@code (D_0…D_{j-1}, D_j…)} has the largest smaller side (the first
     * such {@code j}).
     *
     * @param dims the tensor's sizes, in the order of the matricization
     * @param from the shortest prefix
     * @param to the longest prefix
     * @return the prefix length
     */
    static int balancedPrefix(long[] dims, int from, int to) {
        long total = 1;
        for (long d : dims) {
            total *= d;
        }
        int best = from;
        long bestMin = -1;
        for (int j = from; j <= to; j++) {
            long rows = 1;
            for (int i = 0; i < j; i++) {
                rows *= dims[i];
            }
            long m = Math.min(rows, total / rows);
            if (m > bestMin) {
                bestMin = m;
                best = j;
            }
        }
        return best;
    }

    /**
     * Completes a profile whose modes are set: the cost of a rank tuple is that of the block it
     * builds; the block of every rank tuple can be timed on the layer's input shapes; a rank
     * request resolves to the ranks the block realises, as the profile's modes take them, within
     * each mode's largest rank.
     *
     * @param b the profile, its modes added
     * @param layer the dense layer
     * @param shapes its input shapes
     * @param at one rank per mode to a new, uninitialised block
     * @param realised a rank request to the realised ranks as the modes take them
     * @param modeMax the largest rank of each mode
     * @param <B> the type of the factorized block
     * @return the profile
     */
    static <B extends Block & CostAware> LayerProfile structured(
            LayerProfile.Builder b,
            Block layer,
            Shape[] shapes,
            Function<int[], B> at,
            Function<Rank, int[]> realised,
            int[] modeMax) {
        b.setDenseCost(CostCounter.layer(layer, shapes));
        b.setCostModel(r -> at.apply(r).cost(shapes));
        b.optLayer(layer, shapes);
        b.optStructure(at::apply);
        b.optResolver(
                rank -> {
                    int[] modes = realised.apply(rank);
                    for (int i = 0; i < modes.length; i++) {
                        modes[i] = Math.max(1, Math.min(modeMax[i], modes[i]));
                    }
                    return modes;
                });
        return b.build();
    }
}
