package org.lowrank4j.factorize;

import java.util.List;
import org.lowrank4j.nn.Factorization;

/**
 * The {@link LayerMethod}s this library provides.
 *
 * <p>Available now: {@link #lowRank()}, the data-aware two-factor method ({@link
 * org.lowrank4j.nn.LowRankConv} for 2-D convolutions, {@link org.lowrank4j.nn.LowRankLinear}).
 * Tensor-format methods (CP, Tucker-2 and TT convolutions, tensorized linear layers) are selected
 * with {@link #forConv(Factorization)} and {@link #forLinear(Factorization)}; in this version they
 * are not available and selecting one is an {@link IllegalArgumentException} that says so.
 */
public final class LayerMethods {

    private static final LayerMethod LOW_RANK = new LowRankMethod();

    private LayerMethods() {}

    /**
     * Returns the data-aware two-factor method: a 2-D convolution becomes a {@code kh×kw}
     * convolution to {@code rank} channels and a 1×1 convolution, a linear layer two linear layers.
     * Without calibration data the factors are the truncated SVD of the weight; with it, they
     * minimise the output error on the data. A rank is resolved per layer: a fraction {@code f}
     * gives {@code round(f · D·M / (D + M))} for a {@code [D, M]} weight (about {@code f} of the
     * dense parameters), explicit ranks take one value; both are clipped to {@code 1..min(D, M)}.
     *
     * @return the method
     */
    public static LayerMethod lowRank() {
        return LOW_RANK;
    }

    /**
     * Returns the method that factorizes convolutions into a tensor format.
     *
     * @param factorization the format
     * @return the method
     * @throws IllegalArgumentException always in this version: CP, Tucker-2 and TT convolutions are
     *     not available yet, and {@link Factorization#DENSE} is no factorization
     */
    public static LayerMethod forConv(Factorization factorization) {
        // extension point: return the CP / Tucker-2 / TT convolution methods here once the
        // factorized convolution blocks exist, and add them to all()
        throw new IllegalArgumentException(unavailable(factorization, "convolutions"));
    }

    /**
     * Returns the method that replaces linear layers with tensorized ones in a tensor format.
     *
     * @param factorization the format
     * @return the method
     * @throws IllegalArgumentException always in this version: tensorized linear layers are not
     *     available yet, and {@link Factorization#DENSE} is no factorization
     */
    public static LayerMethod forLinear(Factorization factorization) {
        // extension point: return the tensorized linear method here once its block exists, and
        // add it to all()
        throw new IllegalArgumentException(unavailable(factorization, "linear layers"));
    }

    /**
     * Returns every method this library provides, in the order {@link Factorizer#restore} and
     * {@link Factorizer#toStandardBlocks} try them.
     *
     * @return the methods
     */
    public static List<LayerMethod> all() {
        return List.of(LOW_RANK);
    }

    /**
     * Returns the method with a name, as written in plans.
     *
     * @param name the name
     * @return the method
     * @throws IllegalArgumentException if no method has that name
     */
    public static LayerMethod forName(String name) {
        for (LayerMethod m : all()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "layer method '" + name + "' is not known; accepted are " + names());
    }

    private static String names() {
        StringBuilder b = new StringBuilder();
        for (LayerMethod m : all()) {
            b.append(b.length() == 0 ? "" : ", ").append('\'').append(m.getName()).append('\'');
        }
        return b.toString();
    }

    private static String unavailable(Factorization f, String what) {
        if (f == null || f == Factorization.DENSE) {
            return "factorization "
                    + f
                    + " is not accepted for "
                    + what
                    + "; DENSE is no factorization (leave the layer type out of the policy"
                    + " instead), and the low-rank method is LayerMethods.lowRank()";
        }
        return f
                + " "
                + what
                + " are not available in this version of Lowrank4J; the available method is"
                + " LayerMethods.lowRank()";
    }
}
