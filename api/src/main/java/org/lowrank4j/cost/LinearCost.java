package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.lowrank4j.nn.Factorization;

/**
 * Costs of the forward pass of a tensorized linear layer ({@code y = x Wᵀ}, {@code W} of shape
 * {@code (out, in)} with tensorized output shape {@code (O_0, …)} and input shape {@code (I_0,
 * …)}), and the contraction orders the factorized forward uses.
 *
 * <p>Costs count multiply-adds plus a fixed overhead of {@link #OP_OVERHEAD} per engine call, so
 * that a chain of many tiny products is not mistaken for a cheap one. Peaks count the elements of
 * the largest temporary array. All counts are for one layer and a batch of {@code batch} rows.
 */
public final class LinearCost {

    /** The cost charged for every engine call, in multiply-adds. */
    public static final long OP_OVERHEAD = 500_000;

    private LinearCost() {}

    /**
     * The cost of the dense product {@code x Wᵀ}.
     *
     * @param batch the number of rows
     * @param in the input features
     * @param out the output features
     * @return the cost
     */
    public static long dense(long batch, long in, long out) {
        return batch * in * out + OP_OVERHEAD;
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
    public static long cp(long batch, Shape outShape, Shape inShape, long rank, long chunks) {
        long[] in = inShape.getShape();
        long[] out = outShape.getShape();
        long flops = 0;
        long size = batch * inShape.size() / max(inShape) * rank;
        flops += batch * inShape.size() * rank;
        int[] order = cpInputOrder(inShape);
        for (int p = 1; p < order.length; p++) {
            flops += size;
            size /= in[order[p]];
        }
        flops += batch * rank;
        int[] outOrder = cpOutputOrder(outShape);
        size = batch * rank;
        for (int p = 0; p < outOrder.length - 1; p++) {
            size *= out[outOrder[p]];
            flops += size;
        }
        flops += batch * outShape.size() * rank;
        long ops = (in.length + out.length + 3L) * chunks;
        return flops + (chunks - 1) * batch * outShape.size() + ops * OP_OVERHEAD;
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
    public static long tucker(
            long batch, Shape outShape, Shape inShape, long[] outRanks, long[] inRanks) {
        long[] in = inShape.getShape();
        long[] out = outShape.getShape();
        long flops = 0;
        long size = batch * inShape.size();
        for (int k : tuckerOrder(in, inRanks)) {
            flops += size * inRanks[k];
            size = size / in[k] * inRanks[k];
        }
        long rin = product(inRanks);
        long rout = product(outRanks);
        flops += batch * rin * rout;
        size = batch * rout;
        for (int k : tuckerOrder(outRanks, out)) {
            flops += size * out[k];
            size = size / outRanks[k] * out[k];
        }
        return flops + (in.length + out.length + 1L) * OP_OVERHEAD;
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
    public static long tt(
            long batch, Shape outShape, Shape inShape, long[] ranks, boolean reversed) {
        long[][] s = ttSides(outShape, inShape, ranks, reversed);
        long[] out = s[0];
        long[] in = s[1];
        long[] r = s[2];
        long flops = 0;
        long left = batch;
        long right = inShape.size();
        for (int k = 0; k < out.length; k++) {
            right /= in[k];
            flops += left * right * out[k] * r[k + 1] * r[k] * in[k];
            left *= out[k];
        }
        return flops + (3L * out.length + 2) * OP_OVERHEAD;
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
     * Whether the block-TT sweep is cheaper from the last core to the first.
     *
     * @param batch the number of rows
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape, same order
     * @param ranks the bond ranks
     * @return whether to sweep in reverse
     */
    public static boolean ttReversed(long batch, Shape outShape, Shape inShape, long[] ranks) {
        return tt(batch, outShape, inShape, ranks, true)
                < tt(batch, outShape, inShape, ranks, false);
    }

    /**
     * The cost of rebuilding the dense {@code (out, in)} weight from its factors.
     *
     * @param factorization the format
     * @param outShape the tensorized output shape
     * @param inShape the tensorized input shape
     * @param rank CP: {@code {R}}; Tucker: the output ranks then the input ranks; TT: the bond
     *     ranks; dense: ignored
     * @return the cost (only the overhead for the dense format)
     */
    public static long reconstruction(
            Factorization factorization, Shape outShape, Shape inShape, long[] rank) {
        long out = outShape.size();
        long in = inShape.size();
        switch (factorization) {
            case CP:
                return rank[0] * (out * in + out + in)
                        + (outShape.dimension() + inShape.dimension() + 2L) * OP_OVERHEAD;
            case TUCKER:
                {
                    long[] dims = outShape.addAll(inShape).getShape();
                    long size = product(rank);
                    long flops = 0;
                    for (int k = 0; k < dims.length; k++) {
                        flops += size * dims[k];
                        size = size / rank[k] * dims[k];
                    }
                    return flops + 3L * dims.length * OP_OVERHEAD;
                }
            case TT:
                {
                    long flops = 0;
                    long rows = 1;
                    for (int k = 0; k < outShape.dimension(); k++) {
                        long n = outShape.get(k) * inShape.get(k);
                        flops += rows * rank[k] * n * rank[k + 1];
                        rows *= n;
                    }
                    return flops + 3L * outShape.dimension() * OP_OVERHEAD;
                }
            default:
                return OP_OVERHEAD;
        }
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
