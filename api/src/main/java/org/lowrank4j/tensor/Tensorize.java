package org.lowrank4j.tensor;

import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Chooses tensorized shapes for a matrix of {@code in × out} features.
 *
 * <p>The input size is split into its prime factors; the output size into at most one factor more
 * than the input has, its smallest primes first, the rest kept together. Both sides are then
 * brought to the same order, the smaller of the requested order and the two factor counts, by
 * repeatedly merging the two smallest factors. The values match TensorLy-Torch's automatic shapes:
 *
 * <pre>{@code
 * Tensorize.shapes(16, 10, 3);    // (4, 4), (2, 5)
 * Tensorize.shapes(512, 1000, 3); // (4, 8, 16), (5, 8, 25)
 * Tensorize.shapes(768, 3072, 3); // (4, 12, 16), (8, 16, 24)
 * }</pre>
 *
 * <p>A prime size is left as one mode (and then both sides have order 1).
 */
public final class Tensorize {

    private Tensorize() {}

    /**
     * Returns tensorized input and output shapes of (at most) the given order.
     *
     * @param inFeatures the number of input features, at least 1
     * @param outFeatures the number of output features, at least 1
     * @param order the wanted order, at least 1; fewer modes result when a size has fewer prime
     *     factors
     * @return the input shape (key) and the output shape (value), with the same order
     * @throws IllegalArgumentException if a size or the order is below 1
     */
    public static Pair<Shape, Shape> shapes(long inFeatures, long outFeatures, int order) {
        if (order < 1) {
            throw new IllegalArgumentException(
                    "order " + order + " is not accepted; it must be >= 1");
        }
        checkSize(inFeatures, "input");
        checkSize(outFeatures, "output");
        List<Long> in = factor(inFeatures, Integer.MAX_VALUE);
        List<Long> out = factor(outFeatures, in.size());
        int size = Math.max(1, Math.min(order, Math.min(in.size(), out.size())));
        return new Pair<>(merge(in, size), merge(out, size));
    }

    /**
     * Returns tensorized shapes with as many modes as the smaller factor count allows.
     *
     * @param inFeatures the number of input features, at least 1
     * @param outFeatures the number of output features, at least 1
     * @return the input shape (key) and the output shape (value)
     * @throws IllegalArgumentException if a size is below 1
     */
    public static Pair<Shape, Shape> shapes(long inFeatures, long outFeatures) {
        return shapes(inFeatures, outFeatures, Integer.MAX_VALUE);
    }

    private static void checkSize(long size, String side) {
        if (size < 1) {
            throw new IllegalArgumentException(
                    side + " features " + size + " is not accepted; it must be >= 1");
        }
    }

    /** The smallest prime factors, at most {@code splits} of them, then what is left. */
    private static List<Long> factor(long value, int splits) {
        List<Long> factors = new ArrayList<>();
        long rest = value;
        long p = 2;
        while (rest > 1 && factors.size() < splits) {
            if (p * p > rest) {
                p = rest;
            }
            if (rest % p == 0) {
                factors.add(p);
                rest /= p;
            } else {
                p++;
            }
        }
        if (rest > 1) {
            factors.add(rest);
        }
        if (factors.isEmpty()) {
            factors.add(1L);
        }
        return factors;
    }

    private static Shape merge(List<Long> factors, int size) {
        List<Long> values = new ArrayList<>(factors);
        Collections.sort(values);
        while (values.size() > size) {
            long merged = values.remove(0) * values.remove(0);
            values.add(merged);
            Collections.sort(values);
        }
        long[] dims = new long[values.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = values.get(i);
        }
        return new Shape(dims);
    }
}
