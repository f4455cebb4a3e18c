package org.lowrank4j.factorize;

import java.util.List;
import org.lowrank4j.nn.Factorization;

/**
 * The {@link LayerMethod}s this library provides.
 *
 * <p>Available now: {@link #lowRank()}, the data-aware two-factor method ({@link
 * org.lowrank4j.nn.LowRankConv} for 2-D convolutions, {@link org.lowrank4j.nn.LowRankLinear}), and
 * the tensorized linear methods ({@link org.lowrank4j.nn.FactorizedLinear} in CP, Tucker or
 * block-TT format), selected with {@link #forLinear(Factorization)}. Tensor-format convolutions
 * (CP, Tucker-2, TT), selected with {@link #forConv(Factorization)}, are not available in this
 * version and selecting one is an {@link IllegalArgumentException} that says so.
 */
public final class LayerMethods {

    private static final LayerMethod LOW_RANK = new LowRankMethod();
    private static final LayerMethod CP_LINEAR = new TensorizedLinearMethod(Factorization.CP);
    private static final LayerMethod TUCKER_LINEAR =
            new TensorizedLinearMethod(Factorization.TUCKER);
    private static final LayerMethod TT_LINEAR = new TensorizedLinearMethod(Factorization.TT);

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
     * Returns the method that replaces linear layers with tensorized ones: each {@link
     * ai.djl.nn.core.Linear} becomes a {@link org.lowrank4j.nn.FactorizedLinear} built from the
     * decomposition of its trained weight (CP-ALS, HOSVD or TT-SVD of the weight viewed as a tensor
     * with automatic shapes of order 3, {@link org.lowrank4j.nn.Tensorize#shapes(long, long,
     * int)}), with the layer's bias. A fraction {@code f} asks for about {@code f} of the dense
     * parameters by TensorLy's rules on the weight tensor; explicit ranks are one CP rank, one or
     * one-per-mode Tucker ranks, one or per-bond TT ranks; Tucker and TT ranks are clipped to what
     * the decomposition realises. The policy's implementation is used as given (FACTORIZED,
     * RECONSTRUCTED or AUTO; MOBILENET is not accepted). The plan records the tensorized shapes,
     * the realised ranks, the implementation and the bias; {@link Factorizer#toStandardBlocks}
     * turns each block into one {@link ai.djl.nn.core.Linear} whose weight is the reconstructed
     * matrix. The method needs no calibration data.
     *
     * @param factorization CP, TUCKER or TT (block-TT over pairs of output and input modes)
     * @return the method
     * @throws IllegalArgumentException for {@link Factorization#DENSE} or {@code null}, which are
     *     no factorization
     */
    public static LayerMethod forLinear(Factorization factorization) {
        if (factorization == Factorization.CP) {
            return CP_LINEAR;
        }
        if (factorization == Factorization.TUCKER) {
            return TUCKER_LINEAR;
        }
        if (factorization == Factorization.TT) {
            return TT_LINEAR;
        }
        throw new IllegalArgumentException(
                "factorization "
                        + factorization
                        + " is not accepted for linear layers; CP, TUCKER or TT are (DENSE is no"
                        + " factorization: leave Linear out of the policy's layer types instead;"
                        + " the two-factor method is LayerMethods.lowRank())");
    }

    /**
     * Returns every method this library provides, in the order {@link Factorizer#restore} and
     * {@link Factorizer#toStandardBlocks} try them.
     *
     * @return the methods
     */
    public static List<LayerMethod> all() {
        return List.of(LOW_RANK, CP_LINEAR, TUCKER_LINEAR, TT_LINEAR);
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
