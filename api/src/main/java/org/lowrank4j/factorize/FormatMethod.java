package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Locale;
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
