package org.lowrank4j.nn;

import ai.djl.ndarray.types.Shape;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Builds a {@link FactorizedLinear}: the tensorized feature shapes, the format and the rank are
 * required, the bias, implementation (default {@link ConvImplementation#AUTO}), number of layers,
 * initial standard deviation and seed optional.
 */
public final class FactorizedLinearBuilder {

    Shape inShape;
    Shape outShape;
    Factorization factorization;
    Rank rank;
    boolean bias = true;
    ConvImplementation implementation = ConvImplementation.AUTO;
    int layers = 1;
    double initStd = Double.NaN;
    Long seed;

    FactorizedLinearBuilder() {}

    /**
     * Sets the tensorized input features (required); their product is the input size.
     *
     * @param shape the shape {@code (I_0, …)}
     * @return this builder
     */
    public FactorizedLinearBuilder setInTensorizedFeatures(Shape shape) {
        this.inShape = shape;
        return this;
    }

    /**
     * Sets the tensorized output features (required); their product is the output size.
     *
     * @param shape the shape {@code (O_0, …)}
     * @return this builder
     */
    public FactorizedLinearBuilder setOutTensorizedFeatures(Shape shape) {
        this.outShape = shape;
        return this;
    }

    /**
     * Sets the format (required).
     *
     * @param factorization CP, TUCKER, TT (block-TT) or DENSE
     * @return this builder
     */
    public FactorizedLinearBuilder setFactorization(Factorization factorization) {
        this.factorization = factorization;
        return this;
    }

    /**
     * Sets the rank (required except for DENSE). Fractions follow TensorLy's rules on the weight
     * tensor ({@link org.lowrank4j.tensor.Ranks}); explicit values are one CP rank, one or
     * one-per-mode Tucker ranks, one or per-bond TT ranks. Ranks above what the format can realise
     * are clipped.
     *
     * @param rank the rank request
     * @return this builder
     */
    public FactorizedLinearBuilder setRank(Rank rank) {
        this.rank = rank;
        return this;
    }

    /**
     * Sets whether the layer adds a bias (default true).
     *
     * @param bias whether to add a bias
     * @return this builder
     */
    public FactorizedLinearBuilder optBias(boolean bias) {
        this.bias = bias;
        return this;
    }

    /**
     * Sets how the forward pass is computed (default AUTO).
     *
     * @param implementation FACTORIZED, RECONSTRUCTED or AUTO
     * @return this builder
     */
    public FactorizedLinearBuilder optImplementation(ConvImplementation implementation) {
        this.implementation = implementation;
        return this;
    }

    /**
     * Sets the number of layers sharing one factorization (default 1).
     *
     * @param layers at least 1
     * @return this builder
     */
    public FactorizedLinearBuilder optLayers(int layers) {
        this.layers = layers;
        return this;
    }

    /**
     * Sets the standard deviation of the reconstructed weight at initialisation (default {@code
     * 1/√in}).
     *
     * @param std finite and greater than 0
     * @return this builder
     * @throws IllegalArgumentException if {@code std} is NaN, infinite or not positive
     */
    public FactorizedLinearBuilder optInitStd(double std) {
        if (!(std > 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException(
                    "init std " + std + " is not accepted; it must be finite and > 0");
        }
        this.initStd = std;
        return this;
    }

    /**
     * Sets the seed of the initial values (default: a random seed).
     *
     * @param seed the seed
     * @return this builder
     */
    public FactorizedLinearBuilder optSeed(long seed) {
        this.seed = seed;
        return this;
    }

    void validate() {
        if (inShape == null || outShape == null) {
            throw new IllegalArgumentException(
                    "tensorized "
                            + (inShape == null ? "input" : "output")
                            + " features are not set; set a shape such as (4, 8, 16)");
        }
        checkDims(inShape, "input");
        checkDims(outShape, "output");
        if (factorization == null) {
            throw new IllegalArgumentException(
                    "factorization is not set; CP, TUCKER, TT or DENSE are accepted");
        }
        if (rank == null && factorization != Factorization.DENSE) {
            throw new IllegalArgumentException(
                    "rank is not set; set one such as Rank.fraction(0.5) or Rank.of(8)");
        }
        FactorizedLinear.checkImplementation(implementation);
        if (layers < 1) {
            throw new IllegalArgumentException(
                    "layers " + layers + " is not accepted; it must be >= 1");
        }
        if (!Double.isNaN(initStd) && (!Double.isFinite(initStd) || initStd <= 0)) {
            throw new IllegalArgumentException(
                    "init std " + initStd + " is not accepted; it must be finite and > 0");
        }
        if (factorization == Factorization.TT && inShape.dimension() != outShape.dimension()) {
            throw new IllegalArgumentException(
                    "block-TT needs input and output shapes of the same order, got "
                            + inShape
                            + " and "
                            + outShape
                            + "; pad the shorter one with 1s");
        }
    }

    private static void checkDims(Shape shape, String side) {
        if (shape.dimension() < 1) {
            throw new IllegalArgumentException(
                    "tensorized " + side + " shape " + shape + " is empty; order >= 1 is");
        }
        for (long d : shape.getShape()) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "tensorized "
                                + side
                                + " shape "
                                + shape
                                + " has a mode of size "
                                + d
                                + "; sizes >= 1 are accepted");
            }
        }
    }

    /**
     * Builds the block; its parameters get their values in {@code initialize}.
     *
     * @return the block
     * @throws IllegalArgumentException if a required value is missing or a value is out of range,
     *     or the rank does not fit the shapes
     */
    public FactorizedLinear build() {
        validate();
        return new FactorizedLinear(this);
    }
}
