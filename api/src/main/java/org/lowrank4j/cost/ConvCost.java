package org.lowrank4j.cost;

import java.util.Locale;

/**
 * What one way of computing a convolution costs: multiply-accumulates (split into dense and
 * depthwise ones, which run at very different speeds), memory traffic and the number of engine
 * operations.
 *
 * <p>Memory traffic counts the values every operation reads and writes (activations and weights),
 * so a pipeline that writes wide intermediates pays for them even when its multiply-accumulate
 * count is low. Counts are exact for the pipelines {@link org.lowrank4j.nn.FactorizedConv} runs.
 * Values are immutable; {@link #plus} adds two.
 */
public final class ConvCost {

    private final long macs;
    private final long depthwiseMacs;
    private final long memory;
    private final int operations;

    /**
     * Creates a cost.
     *
     * @param macs multiply-accumulates of dense (non-grouped) products and convolutions
     * @param depthwiseMacs multiply-accumulates of depthwise (grouped) convolutions
     * @param memory values read and written
     * @param operations engine operations launched
     */
    public ConvCost(long macs, long depthwiseMacs, long memory, int operations) {
        if (macs < 0 || depthwiseMacs < 0 || memory < 0 || operations < 0) {
            throw new IllegalArgumentException(
                    "cost counts must be >= 0, got macs="
                            + macs
                            + ", depthwiseMacs="
                            + depthwiseMacs
                            + ", memory="
                            + memory
                            + ", operations="
                            + operations);
        }
        this.macs = macs;
        this.depthwiseMacs = depthwiseMacs;
        this.memory = memory;
        this.operations = operations;
    }

    /**
     * The dense convolution: one convolution with the full {@code (O, C, k…)} kernel.
     *
     * @param g the geometry
     * @return the cost
     */
    public static ConvCost dense(ConvGeometry g) {
        long b = g.batch();
        return new ConvCost(
                b * g.outChannels() * g.inChannels() * g.kernelVolume() * g.outputVolume(),
                0,
                b * g.inChannels() * g.inputVolume()
                        + b * g.outChannels() * g.outputVolume()
                        + g.denseParameters(),
                1);
    }

    /**
     * A 1×1 convolution from {@code in} to {@code out} channels over {@code positions} spatial
     * positions per sample.
     *
     * @param g the geometry (for the batch size)
     * @param in input channels
     * @param out output channels
     * @param positions spatial positions
     * @return the cost
     */
    public static ConvCost pointwise(ConvGeometry g, long in, long out, long positions) {
        long b = g.batch();
        return new ConvCost(
                b * in * out * positions,
                0,
                b * in * positions + b * out * positions + in * out,
                1);
    }

    /**
     * CP in the factorized pipeline: 1×1 ({@code C → R}), one depthwise 1-D convolution per spatial
     * dimension, 1×1 ({@code R → O}, weights folded in).
     *
     * @param g the geometry
     * @param rank the CP rank {@code R}
     * @return the cost
     */
    public static ConvCost cpFactorized(ConvGeometry g, long rank) {
        long b = g.batch();
        ConvCost c = pointwise(g, g.inChannels(), rank, g.inputVolume());
        for (int i = 0; i < g.order(); i++) {
            long before = g.partialVolume(i);
            long after = g.partialVolume(i + 1);
            c =
                    c.plus(
                            new ConvCost(
                                    0,
                                    b * rank * g.kernel(i) * after,
                                    b * rank * (before + after) + rank * g.kernel(i),
                                    1));
        }
        // folding the weights into the last factor
        c = c.plus(new ConvCost(g.outChannels() * rank, 0, 2 * g.outChannels() * rank, 1));
        return c.plus(pointwise(g, rank, g.outChannels(), g.outputVolume()));
    }

    /**
     * CP in the MobileNet pipeline: 1×1 ({@code C → R}), one depthwise convolution with the full
     * spatial kernel (rebuilt from the spatial factors), 1×1 ({@code R → O}).
     *
     * @param g the geometry
     * @param rank the CP rank {@code R}
     * @return the cost
     */
    public static ConvCost cpMobilenet(ConvGeometry g, long rank) {
        long b = g.batch();
        long kv = g.kernelVolume();
        ConvCost c = pointwise(g, g.inChannels(), rank, g.inputVolume());
        // depthwise kernel from the spatial factors, and the folded output factor
        c =
                c.plus(
                        new ConvCost(
                                rank * kv + g.outChannels() * rank,
                                0,
                                2 * rank * kv,
                                2 * g.order()));
        c =
                c.plus(
                        new ConvCost(
                                0,
                                b * rank * kv * g.outputVolume(),
                                b * rank * (g.inputVolume() + g.outputVolume()) + rank * kv,
                                1));
        return c.plus(pointwise(g, rank, g.outChannels(), g.outputVolume()));
    }

    /**
     * Tucker in the factorized pipeline: 1×1 ({@code C → r_in}, skipped when the input mode has no
     * factor), a full convolution with the core ({@code r_in → r_out}, spatial factors folded in),
     * 1×1 ({@code r_out → O}, skipped when the output mode has no factor).
     *
     * @param g the geometry
     * @param rankOut the core's size along the output mode
     * @param rankIn the core's size along the input mode
     * @param outFactor whether the output mode has a factor
     * @param inFactor whether the input mode has a factor
     * @param coreFoldMacs multiply-accumulates of folding the spatial factors into the core (0 if
     *     none)
     * @return the cost
     */
    public static ConvCost tuckerFactorized(
            ConvGeometry g,
            long rankOut,
            long rankIn,
            boolean outFactor,
            boolean inFactor,
            long coreFoldMacs) {
        long b = g.batch();
        ConvCost c = new ConvCost(coreFoldMacs, 0, coreFoldMacs, coreFoldMacs > 0 ? 1 : 0);
        if (inFactor) {
            c = c.plus(pointwise(g, g.inChannels(), rankIn, g.inputVolume()));
        }
        c =
                c.plus(
                        new ConvCost(
                                b * rankOut * rankIn * g.kernelVolume() * g.outputVolume(),
                                0,
                                b * rankIn * g.inputVolume()
                                        + b * rankOut * g.outputVolume()
                                        + rankOut * rankIn * g.kernelVolume(),
                                1));
        if (outFactor) {
            c = c.plus(pointwise(g, rankOut, g.outChannels(), g.outputVolume()));
        }
        return c;
    }

    /**
     * Tensor train in the factorized pipeline: 1×1 ({@code C → r_1}), one full 1-D convolution per
     * spatial dimension ({@code r_i → r_{i+1}}), 1×1 ({@code r_{N+1} → O}).
     *
     * @param g the geometry
     * @param ranks the bond ranks {@code {1, r_1, …, r_{N+1}, 1}} of the {@code (C, k_1, …, k_N,
     *     O)} train
     * @return the cost
     */
    public static ConvCost ttFactorized(ConvGeometry g, int[] ranks) {
        int n = g.order();
        if (ranks.length != n + 3) {
            throw new IllegalArgumentException(
                    "a tensor-train convolution of order "
                            + n
                            + " has "
                            + (n + 3)
                            + " bond ranks, got "
                            + ranks.length);
        }
        long b = g.batch();
        ConvCost c = pointwise(g, g.inChannels(), ranks[1], g.inputVolume());
        for (int i = 0; i < n; i++) {
            long rin = ranks[i + 1];
            long rout = ranks[i + 2];
            long before = g.partialVolume(i);
            long after = g.partialVolume(i + 1);
            c =
                    c.plus(
                            new ConvCost(
                                    b * rin * rout * g.kernel(i) * after,
                                    0,
                                    b * (rin * before + rout * after) + rin * rout * g.kernel(i),
                                    2));
        }
        return c.plus(pointwise(g, ranks[n + 1], g.outChannels(), g.outputVolume()));
    }

    /**
     * Rebuilding a dense kernel from its factors.
     *
     * @param macs multiply-accumulates of the reconstruction
     * @param parameters values of the factors read
     * @param kernelValues values of the dense kernel written
     * @param operations engine operations
     * @return the cost
     */
    public static ConvCost reconstruction(
            long macs, long parameters, long kernelValues, int operations) {
        return new ConvCost(macs, 0, parameters + kernelValues, operations);
    }

    /**
     * Adds two costs.
     *
     * @param other the other cost
     * @return the sum
     */
    public ConvCost plus(ConvCost other) {
        return new ConvCost(
                macs + other.macs,
                depthwiseMacs + other.depthwiseMacs,
                memory + other.memory,
                operations + other.operations);
    }

    /**
     * Returns the multiply-accumulates of dense products and convolutions.
     *
     * @return the count
     */
    public long getMacs() {
        return macs;
    }

    /**
     * Returns the multiply-accumulates of depthwise convolutions.
     *
     * @return the count
     */
    public long getDepthwiseMacs() {
        return depthwiseMacs;
    }

    /**
     * Returns all multiply-accumulates.
     *
     * @return dense plus depthwise multiply-accumulates
     */
    public long getTotalMacs() {
        return macs + depthwiseMacs;
    }

    /**
     * Returns the floating point operations, two per multiply-accumulate.
     *
     * @return {@code 2 · getTotalMacs()}
     */
    public long getFlops() {
        return 2 * getTotalMacs();
    }

    /**
     * Returns the values read and written.
     *
     * @return the memory traffic, in values
     */
    public long getMemory() {
        return memory;
    }

    /**
     * Returns the number of engine operations.
     *
     * @return the count
     */
    public int getOperations() {
        return operations;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "ConvCost(macs=%d, depthwiseMacs=%d, memory=%d, operations=%d)",
                macs,
                depthwiseMacs,
                memory,
                operations);
    }
}
