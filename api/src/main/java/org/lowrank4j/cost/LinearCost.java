package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.lowrank4j.tensor.Factorization;

/**
 * Costs of the forward pass of a tensorized linear layer ({@code y = x Wᵀ}, {@code W} of shape
 * {@code (out, in)} with tensorized output shape {@code (O_0, …)} and input shape {@code (I_0,
 * …)}), and the contraction orders the factorized forward uses.
 *
 * <p>An {@link Estimate} counts the multiply-adds, the elements that element-wise operations,
 * layout copies (the transposes around a mode product) and products write, and the engine calls.
 * Its {@link Estimate#total(Weights) total} charges a number of multiply-adds per element written
 * and per call ({@link Weights}, which differ by engine): a chain of small products over a wide
 * temporary is bound by memory and call overhead, not by its multiply-adds. Peaks count the
 * elements of the largest temporary array. All counts are for one layer and a batch of {@code
 * batch} rows.
 *
 * <p>The weights were fitted to single-thread runs of the linear benchmark on an x86 CPU ({@code
 * docs/benchmarks/linear.md}), where a Tucker {@code Linear(1024, 1024)} at rank 0.5 has 36% fewer
 * multiply-adds than the dense product but runs 1.3 (PyTorch 2.7) to 3.4 (MXNet 1.9) times as long;
 * for measured rather than modelled choices see {@code FactorizedLinear.tune}.
 */
public final class LinearCost {

    /** Engine calls of one mode product: reshapes, the transposes around it, the product. */
    private static final long MODE_PRODUCT_CALLS = 8;

    private LinearCost() {}

    /**
     * What an element written and an engine call cost, in multiply-adds of a large product.
     *
     * @param memoryWeight the cost of one element written
     * @param callOverhead the cost of one engine call
     */
    public record Weights(long memoryWeight, long callOverhead) {

        /** PyTorch 2.7 on one CPU thread: about 7 µs a call; also the default. */
        public static final Weights PYTORCH = new Weights(30, 200_000);

        /** MXNet 1.9 on one CPU thread: about 45 µs a call, and slower layout copies. */
        public static final Weights MXNET = new Weights(60, 1_000_000);

        /**
         * Checks the weights.
         *
         * @param memoryWeight the cost of one element written, at least 0
         * @param callOverhead the cost of one engine call, at least 0
         * @throws IllegalArgumentException if a weight is negative
         */
        public Weights {
            if (memoryWeight < 0 || callOverhead < 0) {
                throw new IllegalArgumentException(
                        "weights "
                                + memoryWeight
                                + " per element and "
                                + callOverhead
                                + " per call are not accepted; values >= 0 are");
            }
        }

        /**
         * Returns the weights fitted to an engine.
         *
         * @param engineName the engine's name, as {@code Engine.getEngineName()} gives it
         * @return {@link #MXNET} for MXNet, else {@link #PYTORCH}
         */
        public static Weights forEngine(String engineName) {
            return "MXNet".equals(engineName) ? MXNET : PYTORCH;
        }
    }

    /**
     * What one way of computing the forward pass (or a reconstruction) costs.
     *
     * @param macs the multiply-adds, element-wise operations included
     * @param elements the elements written by the operations (products, element-wise operations and
     *     layout copies)
     * @param calls the engine calls
     */
    public record Estimate(long macs, long elements, long calls) {

        /**
         * Returns the comparable total, in multiply-adds.
         *
         * @param weights the costs of an element and of a call
         * @return {@code macs + memoryWeight · elements + callOverhead · calls}
         */
        public long total(Weights weights) {
            return macs + weights.memoryWeight() * elements + weights.callOverhead() * calls;
        }
    }

    /**
     * The cost of the dense product {@code x Wᵀ}: one call, whose memory traffic runs at the speed
     * of its multiply-adds.
     *
     * @param batch the number of rows
     * @param in the input features
     * @param out the output features
     * @return the cost
     */
    public static Estimate dense(long batch, long in, long out) {
        return new Estimate(batch * in * out, 0, 1);
    }

    /**
     * The order in which the CP forward contracts the input modes: largest first (the first one by
     * a matrix product, the others by a scaled sum).
     *
     * @param inShape the tensorized input shape
     * @return the modes, in contraction order
     */
    public static int[] cpInputOrder(Shape inShape) {
        return sorted(inShape.getShape(), true);
    }

    /**
     * The order in which the CP forward expands the output modes: smallest first, the largest last
     * by a matrix product.
     *
     * @param outShape the tensorized output shape
     * @return the modes, in expansion order
     */
    public static int[] cpOutputOrder(Shape outShape) {
        return sorted(outShape.getShape(), false);
    }

    /**
     * The largest temporary of the CP forward per batch row and per rank-one term.
     *
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @return the number of elements
     */
    public static long cpPeakPerRowAndTerm(Shape outShape, Shape inShape) {
        long in = inShape.size();
        long out = outShape.size();
        return Math.max(in / max(inShape), out / max(outShape));
    }

    /**
     * The cost of the factorized CP forward.
     *
     * @param batch the number of rows
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @param rank the CP rank
     * @param chunks the number of rank chunks the forward runs in
     * @return the cost
     */
    public static Estimate cp(long batch, Shape outShape, Shape inShape, long rank, long chunks) {
        long[] in = inShape.getShape();
        long[] out = outShape.getShape();
        long flops = 0;
        long elements = 0;
        long size = batch * inShape.size() / max(inShape) * rank;
        flops += batch * inShape.size() * rank;
        elements += size;
        int[] order = cpInputOrder(inShape);
        for (int p = 1; p < order.length; p++) {
            flops += size;
            elements += size + size / in[order[p]];
            size /= in[order[p]];
        }
        flops += batch * rank;
        elements += batch * rank;
        int[] outOrder = cpOutputOrder(outShape);
        size = batch * rank;
        for (int p = 0; p < outOrder.length - 1; p++) {
            size *= out[outOrder[p]];
            flops += size;
            elements += size;
        }
        flops += batch * outShape.size() * rank;
        elements += chunks * batch * outShape.size();
        flops += (chunks - 1) * batch * outShape.size();
        elements += (chunks - 1) * batch * outShape.size();
        long calls = (4L * in.length + 3L * out.length + 8) * chunks;
        return new Estimate(flops, elements, calls);
    }

    /**
     * The order in which the Tucker forward applies its factors: the mode whose factor changes the
     * temporary least (smallest ratio {@code to / from}) first.
     *
     * @param from the sizes before the product
     * @param to the sizes after the product
     * @return the modes, in order
     */
    public static int[] tuckerOrder(long[] from, long[] to) {
        return IntStream.range(0, from.length)
                .boxed()
                .sorted(Comparator.comparingDouble(k -> (double) to[k] / from[k]))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * The cost of the factorized Tucker forward: input factors, core product, output factors.
     *
     * @param batch the number of rows
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @param outRanks the core's output ranks
     * @param inRanks the core's input ranks
     * @return the cost
     */
    public static Estimate tucker(
            long batch, Shape outShape, Shape inShape, long[] outRanks, long[] inRanks) {
        long[] in = inShape.getShape();
        long[] out = outShape.getShape();
        long flops = 0;
        long elements = 0;
        long size = batch * inShape.size();
        for (int k : tuckerOrder(in, inRanks)) {
            flops += size * inRanks[k];
            long next = size / in[k] * inRanks[k];
            elements += modeProductElements(size, next);
            size = next;
        }
        long rin = product(inRanks);
        long rout = product(outRanks);
        flops += batch * rin * rout;
        elements += batch * rout;
        size = batch * rout;
        for (int k : tuckerOrder(outRanks, out)) {
            flops += size * out[k];
            long next = size / outRanks[k] * out[k];
            elements += modeProductElements(size, next);
            size = next;
        }
        long calls = MODE_PRODUCT_CALLS * (in.length + out.length) + 5;
        return new Estimate(flops, elements, calls);
    }

    /** A mode product copies its input to bring the mode last, and its output back. */
    private static long modeProductElements(long from, long to) {
        return from + 2 * to;
    }

    /**
     * The largest temporary of the factorized Tucker forward per batch row.
     *
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @param outRanks the core's output ranks
     * @param inRanks the core's input ranks
     * @return the number of elements
     */
    public static long tuckerPeakPerRow(
            Shape outShape, Shape inShape, long[] outRanks, long[] inRanks) {
        long peak = Math.max(inShape.size(), outShape.size());
        long size = inShape.size();
        long[] in = inShape.getShape();
        for (int k : tuckerOrder(in, inRanks)) {
            size = size / in[k] * inRanks[k];
            peak = Math.max(peak, size);
        }
        return Math.max(peak, product(outRanks));
    }

    /**
     * The cost of one sweep of the block-TT forward.
     *
     * @param batch the number of rows
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape, same order
     * @param ranks the bond ranks {@code {1, r_1, …, 1}}
     * @param reversed whether the sweep runs from the last core to the first
     * @return the cost
     */
    public static Estimate tt(
            long batch, Shape outShape, Shape inShape, long[] ranks, boolean reversed) {
        long[][] s = ttSides(outShape, inShape, ranks, reversed);
        long[] out = s[0];
        long[] in = s[1];
        long[] r = s[2];
        long flops = 0;
        long elements = 0;
        long left = batch;
        long right = inShape.size();
        for (int k = 0; k < out.length; k++) {
            long from = left * r[k] * in[k] * right;
            right /= in[k];
            flops += left * right * out[k] * r[k + 1] * r[k] * in[k];
            long to = left * out[k] * r[k + 1] * right;
            elements += modeProductElements(from, to) + r[k] * in[k] * out[k] * r[k + 1];
            left *= out[k];
        }
        long calls = 10L * out.length + 1;
        if (reversed) {
            elements += batch * (inShape.size() + outShape.size());
            calls += 6;
        }
        return new Estimate(flops, elements, calls);
    }

    /**
     * The largest temporary of one block-TT sweep per batch row.
     *
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape, same order
     * @param ranks the bond ranks {@code {1, r_1, …, 1}}
     * @param reversed whether the sweep runs from the last core to the first
     * @return the number of elements
     */
    public static long ttPeakPerRow(Shape outShape, Shape inShape, long[] ranks, boolean reversed) {
        long[][] s = ttSides(outShape, inShape, ranks, reversed);
        long peak = Math.max(inShape.size(), outShape.size());
        long left = 1;
        long right = inShape.size();
        for (int k = 0; k < s[0].length; k++) {
            right /= s[1][k];
            left *= s[0][k];
            peak = Math.max(peak, left * s[2][k + 1] * right);
        }
        return peak;
    }

    /**
     * Whether the block-TT sweep is cheaper from the last core to the first (with the default
     * {@link Weights#PYTORCH} weights).
     *
     * @param batch the number of rows
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape, same order
     * @param ranks the bond ranks
     * @return whether to sweep in reverse
     */
    public static boolean ttReversed(long batch, Shape outShape, Shape inShape, long[] ranks) {
        return tt(batch, outShape, inShape, ranks, true).total(Weights.PYTORCH)
                < tt(batch, outShape, inShape, ranks, false).total(Weights.PYTORCH);
    }

    /**
     * The cost of rebuilding the dense {@code (out, in)} weight from its factors.
     *
     * @param factorization the format
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @param rank CP: {@code {R}}; Tucker: the output ranks then the input ranks; TT: the bond
     *     ranks; dense: ignored
     * @return the cost (one call for the dense format)
     */
    public static Estimate reconstruction(
            Factorization factorization, Shape outShape, Shape inShape, long[] rank) {
        long out = outShape.size();
        long in = inShape.size();
        switch (factorization) {
            case CP:
                {
                    // rank chunks of Khatri-Rao products, each product summed into the weight
                    long per = cpReconstructionTerms(out, in);
                    long chunks = (rank[0] + per - 1) / per;
                    long macs = rank[0] * (out * in + out + in) + (chunks - 1) * out * in;
                    long elements = 2 * rank[0] * (out + in) + (2 * chunks - 1) * out * in;
                    long calls = chunks * (3L * (outShape.dimension() + inShape.dimension()) + 6);
                    return new Estimate(macs, elements, calls);
                }
            case TUCKER:
                {
                    long[] dims = outShape.addAll(inShape).getShape();
                    long size = product(rank);
                    long flops = 0;
                    long elements = 0;
                    for (int k = 0; k < dims.length; k++) {
                        flops += size * dims[k];
                        long next = size / rank[k] * dims[k];
                        elements += modeProductElements(size, next);
                        size = next;
                    }
                    return new Estimate(flops, elements, MODE_PRODUCT_CALLS * dims.length + 1);
                }
            case TT:
                {
                    long flops = 0;
                    long elements = 0;
                    long rows = 1;
                    for (int k = 0; k < outShape.dimension(); k++) {
                        long n = outShape.get(k) * inShape.get(k);
                        flops += rows * rank[k] * n * rank[k + 1];
                        rows *= n;
                        elements += rows * rank[k + 1];
                    }
                    // the interleaved (O_0, I_0, …) modes are permuted to (out, in)
                    elements += out * in;
                    return new Estimate(flops, elements, 3L * outShape.dimension() + 4);
                }
            default:
                return new Estimate(0, 0, 1);
        }
    }

    /**
     * How many rank-one terms the CP reconstruction sums at a time: its Khatri-Rao products of
     * {@code (out, terms)} and {@code (in, terms)} stay within an eighth of the weight.
     *
     * @param out the output features
     * @param in the input features
     * @return the terms per chunk, at least 1
     */
    public static long cpReconstructionTerms(long out, long in) {
        return Math.max(1, out * in / (8 * Math.max(in, out)));
    }

    private static long[][] ttSides(Shape outShape, Shape inShape, long[] ranks, boolean rev) {
        if (outShape.dimension() != inShape.dimension()
                || ranks.length != outShape.dimension() + 1) {
            throw new IllegalArgumentException(
                    "block-TT shapes "
                            + outShape
                            + " x "
                            + inShape
                            + " with ranks "
                            + Arrays.toString(ranks)
                            + " are not accepted; same orders and order + 1 ranks are");
        }
        long[] out = outShape.getShape().clone();
        long[] in = inShape.getShape().clone();
        long[] r = ranks.clone();
        if (rev) {
            reverse(out);
            reverse(in);
            reverse(r);
        }
        return new long[][] {out, in, r};
    }

    private static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static long max(Shape shape) {
        long m = 1;
        for (long d : shape.getShape()) {
            m = Math.max(m, d);
        }
        return m;
    }

    private static long product(long[] values) {
        long p = 1;
        for (long v : values) {
            p *= v;
        }
        return p;
    }

    /** Indices sorted by value, descending or ascending; ties keep index order. */
    private static int[] sorted(long[] values, boolean descending) {
        return IntStream.range(0, values.length)
                .boxed()
                .sorted(
                        (a, b) ->
                                descending
                                        ? Long.compare(values[b], values[a])
                                        : Long.compare(values[a], values[b]))
                .mapToInt(Integer::intValue)
                .toArray();
    }
}
