package org.lowrank4j.cost;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one way of computing a convolution costs: the list of engine operations it runs, each with
 * its kind (dense or depthwise convolution, which run at very different speeds),
 * multiply-accumulates, memory traffic and channel width.
 *
 * <p>Memory traffic counts the values every operation reads and writes (activations and weights),
 * so a pipeline that writes wide intermediates pays for them even when its multiply-accumulate
 * count is low. Counts are exact for the pipelines {@link org.lowrank4j.nn.FactorizedConv} runs.
 * Values are immutable; {@link #plus} adds two.
 */
public final class ConvCost {

    /** The kind of an operation, which sets how fast its multiply-accumulates run. */
    public enum Kind {
        /** A dense (non-grouped) convolution or matrix product. */
        DENSE,
        /** A depthwise (grouped, one channel per group) convolution. */
        DEPTHWISE,
        /** Anything else (reshapes, scaling, small products on the factors). */
        OTHER
    }

    /**
     * One engine operation of a pipeline.
     *
     * @param kind what it is
     * @param macs its multiply-accumulates
     * @param memory the values it reads and writes
     * @param channels the smaller of its input and output channel counts (0 when not a
     *     convolution); narrow convolutions run below the speed of wide ones
     */
    public record Operation(Kind kind, long macs, long memory, long channels) {

        /**
         * Checks the counts.
         *
         * @param kind what it is
         * @param macs its multiply-accumulates
         * @param memory the values it reads and writes
         * @param channels the smaller of its input and output channel counts
         * @throws IllegalArgumentException if a count is negative or the kind is null
         */
        public Operation {
            if (kind == null || macs < 0 || memory < 0 || channels < 0) {
                throw new IllegalArgumentException(
                        "operation counts must be >= 0 and the kind set, got "
                                + kind
                                + ", macs="
                                + macs
                                + ", memory="
                                + memory
                                + ", channels="
                                + channels);
            }
        }
    }

    private final List<Operation> operations;

    /**
     * Creates a cost from its operations.
     *
     * @param operations the operations, in the order they run
     */
    public ConvCost(List<Operation> operations) {
        this.operations = List.copyOf(operations);
    }

    private static ConvCost of(Kind kind, long macs, long memory, long channels) {
        return new ConvCost(List.of(new Operation(kind, macs, memory, channels)));
    }

    /**
     * The dense convolution: one convolution with the full {@code (O, C, k…)} kernel.
     *
     * @param g the geometry
     * @return the cost
     */
    public static ConvCost dense(ConvGeometry g) {
        long b = g.batch();
        return of(
                Kind.DENSE,
                b * g.outChannels() * g.inChannels() * g.kernelVolume() * g.outputVolume(),
                b * g.inChannels() * g.inputVolume()
                        + b * g.outChannels() * g.outputVolume()
                        + g.denseParameters(),
                Math.min(g.inChannels(), g.outChannels()));
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
        return of(
                Kind.DENSE,
                b * in * out * positions,
                b * in * positions + b * out * positions + in * out,
                Math.min(in, out));
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
                            of(
                                    Kind.DEPTHWISE,
                                    b * rank * g.kernel(i) * after,
                                    b * rank * (before + after) + rank * g.kernel(i),
                                    1));
        }
        // folding the weights into the last factor
        c = c.plus(of(Kind.OTHER, g.outChannels() * rank, 2 * g.outChannels() * rank, 0));
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
        for (int i = 0; i < g.order(); i++) {
            c = c.plus(of(Kind.OTHER, rank * kv, 2 * rank * kv, 0));
        }
        c = c.plus(of(Kind.OTHER, g.outChannels() * rank, 2 * g.outChannels() * rank, 0));
        c =
                c.plus(
                        of(
                                Kind.DEPTHWISE,
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
        ConvCost c = new ConvCost(List.of());
        if (coreFoldMacs > 0) {
            c = of(Kind.OTHER, coreFoldMacs, coreFoldMacs, 0);
        }
        if (inFactor) {
            c = c.plus(pointwise(g, g.inChannels(), rankIn, g.inputVolume()));
        }
        c =
                c.plus(
                        of(
                                Kind.DENSE,
                                b * rankOut * rankIn * g.kernelVolume() * g.outputVolume(),
                                b * rankIn * g.inputVolume()
                                        + b * rankOut * g.outputVolume()
                                        + rankOut * rankIn * g.kernelVolume(),
                                Math.min(rankIn, rankOut)));
        if (outFactor) {
            c = c.plus(pointwise(g, rankOut, g.outChannels(), g.outputVolume()));
        }
        return c;
    }

    /**
     * Tucker in the separable pipeline, for cores with small spatial ranks: 1×1 ({@code C → r_in},
     * skipped when the input mode has no factor), one depthwise convolution that filters every
     * channel with the {@code R} spatial kernels the spatial factors span ({@code r_in → r_in·R}),
     * and 1×1 mixing with the core ({@code r_in·R → r_out}) followed by the output factor ({@code
     * r_out → O}), or one 1×1 ({@code r_in·R → O}) with the output factor folded into the core.
     *
     * @param g the geometry
     * @param rankOut the core's size along the output mode
     * @param rankIn the core's size along the input mode
     * @param spatialRank {@code R}, the product of the core's spatial sizes
     * @param outFactor whether the output mode has a factor
     * @param inFactor whether the input mode has a factor
     * @param mergeOut whether the output factor is folded into the mixing matrix
     * @return the cost
     */
    public static ConvCost tuckerSeparable(
            ConvGeometry g,
            long rankOut,
            long rankIn,
            long spatialRank,
            boolean outFactor,
            boolean inFactor,
            boolean mergeOut) {
        long b = g.batch();
        long kv = g.kernelVolume();
        long mixed = rankIn * spatialRank;
        // the kernel bank, tiled over the channels
        ConvCost c = of(Kind.OTHER, spatialRank * kv * g.order(), 2 * mixed * kv, 0);
        if (inFactor) {
            c = c.plus(pointwise(g, g.inChannels(), rankIn, g.inputVolume()));
        }
        c =
                c.plus(
                        of(
                                Kind.DEPTHWISE,
                                b * mixed * kv * g.outputVolume(),
                                b * rankIn * g.inputVolume()
                                        + b * mixed * g.outputVolume()
                                        + mixed * kv,
                                1));
        if (outFactor && mergeOut) {
            c =
                    c.plus(
                            of(
                                    Kind.OTHER,
                                    g.outChannels() * rankOut * mixed,
                                    2 * g.outChannels() * mixed,
                                    0));
            return c.plus(pointwise(g, mixed, g.outChannels(), g.outputVolume()));
        }
        c = c.plus(pointwise(g, mixed, rankOut, g.outputVolume()));
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
                            of(
                                    Kind.DENSE,
                                    b * rin * rout * g.kernel(i) * after,
                                    b * (rin * before + rout * after) + rin * rout * g.kernel(i),
                                    Math.min(rin, rout)));
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
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            ops.add(
                    new Operation(
                            Kind.OTHER,
                            i == 0 ? macs : 0,
                            i == 0 ? parameters + kernelValues : 0,
                            0));
        }
        return new ConvCost(ops);
    }

    /**
     * Adds two costs: the operations of this one, then those of {@code other}.
     *
     * @param other the other cost
     * @return the sum
     */
    public ConvCost plus(ConvCost other) {
        List<Operation> all = new ArrayList<>(operations);
        all.addAll(other.operations);
        return new ConvCost(all);
    }

    /**
     * Returns the operations.
     *
     * @return the operations in the order they run (unmodifiable)
     */
    public List<Operation> getOperationList() {
        return operations;
    }

    private long sum(Kind kind, boolean memory) {
        long s = 0;
        for (Operation op : operations) {
            if (kind == null || op.kind() == kind) {
                s += memory ? op.memory() : op.macs();
            }
        }
        return s;
    }

    /**
     * Returns the multiply-accumulates of dense convolutions and of other operations.
     *
     * @return the count, depthwise convolutions excluded
     */
    public long getMacs() {
        return getTotalMacs() - getDepthwiseMacs();
    }

    /**
     * Returns the multiply-accumulates of depthwise convolutions.
     *
     * @return the count
     */
    public long getDepthwiseMacs() {
        return sum(Kind.DEPTHWISE, false);
    }

    /**
     * Returns all multiply-accumulates.
     *
     * @return the count
     */
    public long getTotalMacs() {
        return sum(null, false);
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
        return sum(null, true);
    }

    /**
     * Returns the number of engine operations.
     *
     * @return the count
     */
    public int getOperations() {
        return operations.size();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "ConvCost(macs=%d, depthwiseMacs=%d, memory=%d, operations=%d)",
                getMacs(),
                getDepthwiseMacs(),
                getMemory(),
                getOperations());
    }
}
