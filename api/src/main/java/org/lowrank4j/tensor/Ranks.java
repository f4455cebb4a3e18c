package org.lowrank4j.tensor;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.lowrank4j.internal.Checks;

/**
 * Resolves a {@link Rank} request into concrete ranks for a tensor shape and a format.
 *
 * <p>Fractions follow TensorLy's rules (a fraction {@code f} asks for about {@code f} times the
 * dense parameter count, {@link Rank#same()} is {@code f = 1}), with half-to-even rounding, so the
 * resolved ranks are the ones TensorLy computes. Unlike TensorLy, the decompositions clip a request
 * to what they can realise ({@link #realizableTucker}, {@link #realizableTt}) and report the
 * realised rank.
 */
public final class Ranks {

    private Ranks() {}

    /**
     * The CP rank: {@code round(f · ∏ I_k / Σ I_k)}, at least 1, or the explicit value; either
     * clipped to {@link #cpLimit(Shape)}, the rank no tensor of the shape exceeds, so that no
     * request allocates more than a factorization can use.
     *
     * @param shape the tensor's shape
     * @param rank the request: a fraction or a single explicit value
     * @return the CP rank
     * @throws IllegalArgumentException if the request has several values
     */
    public static int cp(Shape shape, Rank rank) {
        return (int) Math.min(cpRequest(shape, rank), cpLimit(shape));
    }

    /**
     * The largest CP rank a tensor of a shape can need: {@code ∏ I_k / max I_k} (every tensor is a
     * sum of that many rank-one terms, one per fibre along its longest mode).
     *
     * @param shape the tensor's shape
     * @return the limit, at least 1
     */
    public static long cpLimit(Shape shape) {
        Factors.checkShape(shape, 1);
        long max = 1;
        for (long d : shape.getShape()) {
            max = Math.max(max, d);
        }
        return Math.max(1, shape.size() / max);
    }

    private static long cpRequest(Shape shape, Rank rank) {
        Factors.checkShape(shape, 1);
        if (!rank.isFraction()) {
            int[] v = rank.getValues();
            if (v.length != 1) {
                throw new IllegalArgumentException(
                        "CP takes a single rank, got "
                                + Arrays.toString(v)
                                + " for shape "
                                + shape);
            }
            return v[0];
        }
        double sum = 0;
        for (long d : shape.getShape()) {
            sum += d;
        }
        double r = rank.getFraction() * shape.size() / sum;
        return (long) Math.max(1, Math.rint(r));
    }

    /**
     * The Tucker ranks with every mode factorized.
     *
     * @param shape the tensor's shape
     * @param rank the request
     * @return one rank per mode
     * @see #tucker(Shape, Rank, int[])
     */
    public static int[] tucker(Shape shape, Rank rank) {
        return tucker(shape, rank, new int[0]);
    }

    /**
     * The Tucker ranks; fixed modes keep their full size.
     *
     * <p>For a fraction {@code f}, TensorLy's rule: find the common scale {@code c} with {@code ∏I
     * · c^n + Σ_{free} I_k² · c + f · Σ_{fixed} I_k² = f · ∏I} ({@code n} free modes), then {@code
     * r_k = max(1, round(c · I_k))}. A single explicit value applies to every free mode. The result
     * is the request; {@link #realizableTucker} clips it to what a decomposition realises.
     *
     * @param shape the tensor's shape
     * @param rank the request
     * @param fixedModes modes kept at full rank
     * @return one rank per mode
     * @throws IllegalArgumentException if an explicit rank tuple has the wrong length, or gives a
     *     fixed mode another rank than its size
     */
    public static int[] tucker(Shape shape, Rank rank, int[] fixedModes) {
        Factors.checkShape(shape, 1);
        int n = shape.dimension();
        boolean[] fixed = fixedSet(n, fixedModes);
        int[] r = new int[n];
        if (rank.isFraction()) {
            double f = rank.getFraction();
            double total = shape.size();
            double squares = 0;
            double fixedSquares = 0;
            int free = 0;
            for (int k = 0; k < n; k++) {
                double d = shape.get(k);
                if (fixed[k]) {
                    fixedSquares += d * d;
                } else {
                    squares += d * d;
                    free++;
                }
            }
            double c = tuckerScale(total, squares, fixedSquares, free, f);
            for (int k = 0; k < n; k++) {
                r[k] =
                        fixed[k]
                                ? Math.toIntExact(shape.get(k))
                                : (int) Math.max(1, Math.rint(c * shape.get(k)));
            }
        } else {
            int[] v = rank.getValues();
            if (v.length != 1 && v.length != n) {
                throw new IllegalArgumentException(
                        "Tucker rank "
                                + Arrays.toString(v)
                                + " has "
                                + v.length
                                + " values; shape "
                                + shape
                                + " takes 1 or "
                                + n);
            }
            for (int k = 0; k < n; k++) {
                int value = v.length == 1 ? v[0] : v[k];
                if (fixed[k]) {
                    if (v.length == n && value != shape.get(k)) {
                        throw new IllegalArgumentException(
                                "Tucker rank "
                                        + value
                                        + " for fixed mode "
                                        + k
                                        + " is not accepted; a fixed mode keeps its size "
                                        + shape.get(k));
                    }
                    value = Math.toIntExact(shape.get(k));
                }
                r[k] = value;
            }
        }
        return r;
    }

    private static boolean[] fixedSet(int n, int[] fixedModes) {
        boolean[] fixed = new boolean[n];
        for (int m : fixedModes) {
            Checks.mode(m, n);
            fixed[m] = true;
        }
        return fixed;
    }

    /** Solves {@code total·c^free + squares·c + f·fixedSquares − f·total = 0} for {@code c > 0}. */
    private static double tuckerScale(
            double total, double squares, double fixedSquares, int free, double f) {
        if (free == 0) {
            return 1;
        }
        double lo = 0;
        double hi = Math.max(f, 1.0);
        for (int i = 0; i < 200; i++) {
            double mid = 0.5 * (lo + hi);
            double value =
                    total * Math.pow(mid, free) + squares * mid + f * fixedSquares - f * total;
            if (value > 0) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /**
     * Clips Tucker ranks to what a decomposition can realise: {@code r_k <= I_k} and {@code r_k <=
     * ∏_{j≠k} r_j}.
     *
     * @param shape the tensor's shape
     * @param r the requested ranks, one per mode
     * @return the realisable ranks
     */
    public static int[] realizableTucker(Shape shape, int[] r) {
        int n = r.length;
        if (n != shape.dimension()) {
            throw new IllegalArgumentException(
                    "Tucker rank "
                            + Arrays.toString(r)
                            + " has "
                            + n
                            + " values; shape "
                            + shape
                            + " needs "
                            + shape.dimension());
        }
        int[] out = r.clone();
        for (int k = 0; k < n; k++) {
            out[k] = (int) Math.min(out[k], shape.get(k));
        }
        for (int k = 0; k < n; k++) {
            long others = 1;
            for (int j = 0; j < n; j++) {
                if (j != k) {
                    others *= out[j];
                }
            }
            if (n > 1) {
                out[k] = (int) Math.min(out[k], others);
            }
        }
        return out;
    }

    /**
     * The tensor-train bond ranks {@code {1, r_1, …, r_{N-1}, 1}}.
     *
     * <p>For a fraction {@code f}, TensorLy's rule: with {@code a_k = (I_k + I_{k+1}) / 2}, solve
     * the quadratic for the scale {@code c} that makes the parameter count {@code f · ∏I}, then
     * {@code r_k = max(1, round(c · a_{k-1}))}. A single explicit value applies to every bond;
     * {@code N - 1} values give the inner bonds; {@code N + 1} values must start and end with 1.
     * The result is the request; {@link #realizableTt} clips it to what TT-SVD realises.
     *
     * @param shape the tensor's shape, order at least 2
     * @param rank the request
     * @return the {@code N + 1} bond ranks
     * @throws IllegalArgumentException if the order is below 2 or an explicit tuple has the wrong
     *     length or boundary values
     */
    public static int[] tt(Shape shape, Rank rank) {
        Factors.checkShape(shape, 2);
        int n = shape.dimension();
        int[] r = new int[n + 1];
        r[0] = 1;
        r[n] = 1;
        if (rank.isFraction()) {
            double[] avg = new double[n - 1];
            for (int k = 0; k < n - 1; k++) {
                avg[k] = (shape.get(k) + shape.get(k + 1)) / 2.0;
            }
            double a;
            if (n == 2) {
                a = avg[0] * avg[0] * shape.get(0);
            } else {
                a = 0;
                for (int k = 1; k < n - 1; k++) {
                    a += avg[k - 1] * shape.get(k) * avg[k];
                }
            }
            double b = shape.get(0) * avg[0] + shape.get(n - 1) * avg[n - 2];
            double c = -(double) shape.size() * rank.getFraction();
            double scale = (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
            for (int k = 0; k < n - 1; k++) {
                r[k + 1] = (int) Math.max(1, Math.rint(avg[k] * scale));
            }
        } else {
            int[] v = rank.getValues();
            if (v.length == 1) {
                Arrays.fill(r, 1, n, v[0]);
            } else if (v.length == n - 1) {
                System.arraycopy(v, 0, r, 1, n - 1);
            } else if (v.length == n + 1) {
                if (v[0] != 1 || v[n] != 1) {
                    throw new IllegalArgumentException(
                            "TT rank "
                                    + Arrays.toString(v)
                                    + " is not accepted; the first and last bond ranks must be 1");
                }
                System.arraycopy(v, 0, r, 0, n + 1);
            } else {
                throw new IllegalArgumentException(
                        "TT rank "
                                + Arrays.toString(v)
                                + " has "
                                + v.length
                                + " values; shape "
                                + shape
                                + " takes 1, "
                                + (n - 1)
                                + " (inner bonds) or "
                                + (n + 1)
                                + " (all bonds)");
            }
        }
        return r;
    }

    /**
     * Clips tensor-train bond ranks to what TT-SVD can realise: {@code r_{k+1} <= r_k · I_k} and
     * {@code r_{k+1} <= ∏_{j>k} I_j} (for example the request {@code [1, 18, 6, 34, 1]} on shape
     * {@code (16, 3, 3, 32)} realises {@code [1, 16, 6, 18, 1]}).
     *
     * @param shape the tensor's shape
     * @param r the requested {@code N + 1} bond ranks
     * @return the realisable bond ranks
     */
    public static int[] realizableTt(Shape shape, int[] r) {
        int n = shape.dimension();
        Trains.checkRanks(r, n, "TT");
        int[] out = r.clone();
        for (int k = 0; k < n - 1; k++) {
            long right = 1;
            for (int j = k + 1; j < n; j++) {
                right *= shape.get(j);
            }
            long left = (long) out[k] * shape.get(k);
            out[k + 1] = (int) Math.min(out[k + 1], Math.min(left, right));
        }
        out[n] = 1;
        return out;
    }

    /**
     * The bond ranks of a TT-matrix: the TT ranks of the merged shape {@code (n_k · m_k)}.
     *
     * @param rowShape the tensorized row dimensions
     * @param columnShape the tensorized column dimensions, same order
     * @param rank the request
     * @return the {@code N + 1} bond ranks
     */
    public static int[] ttMatrix(Shape rowShape, Shape columnShape, Rank rank) {
        if (rowShape.dimension() != columnShape.dimension()) {
            throw new IllegalArgumentException(
                    "row shape "
                            + rowShape
                            + " and column shape "
                            + columnShape
                            + " must have the same order");
        }
        long[] merged = new long[rowShape.dimension()];
        for (int k = 0; k < merged.length; k++) {
            merged[k] = rowShape.get(k) * columnShape.get(k);
        }
        if (merged.length == 1) {
            return new int[] {1, 1};
        }
        return tt(new Shape(merged), rank);
    }
}
