package org.lowrank4j.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.util.RandomUtils;
import java.util.Arrays;
import org.lowrank4j.cost.CostModel;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Builds a {@link FactorizedConv}: {@link FactorizedConv#builder()} builds any format, {@link
 * CPConv#builder()}, {@link TuckerConv#builder()} and {@link TTConv#builder()} one format, typed.
 *
 * <pre>{@code
 * CPConv conv = CPConv.builder()
 *         .setInChannels(64).setOutChannels(64).setKernelSize(3).setOrder(2)
 *         .setRank(Rank.fraction(0.3))
 *         .build();
 * }</pre>
 *
 * @param <C> the type of the block built
 */
public final class FactorizedConvBuilder<C extends FactorizedConv<?>> {

    int inChannels;
    int outChannels;
    private Shape kernelShape;
    private int kernelSize;
    private int setOrder;
    private Factorization factorization;
    private Rank rank;
    ConvImplementation implementation = ConvImplementation.AUTO;
    Shape stride;
    Shape padding;
    Shape dilation;
    boolean bias = true;
    private int[] fixedModes = new int[0];
    private boolean spatialFixed;
    Long seed;
    int layers = 1;
    CostModel costModel;
    Shape resolvedKernel;

    private final Factorization preset;

    /**
     * A builder of any format ({@code preset} null) or of one format only.
     *
     * @param preset the only factorization this builder builds, or null for any
     */
    FactorizedConvBuilder(Factorization preset) {
        this.preset = preset;
        this.factorization = preset;
    }

    /**
     * Sets the number of input channels (required).
     *
     * @param inChannels {@code C}, at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> setInChannels(int inChannels) {
        this.inChannels = inChannels;
        return this;
    }

    /**
     * Sets the number of output channels (required).
     *
     * @param outChannels {@code O}, at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> setOutChannels(int outChannels) {
        this.outChannels = outChannels;
        return this;
    }

    /**
     * Sets the spatial kernel shape, which also fixes the order (required, or {@link
     * #setKernelSize} with {@link #setOrder}).
     *
     * @param kernelShape {@code (k_1, …, k_N)}, {@code N} from 1 to 3, each at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> setKernelShape(Shape kernelShape) {
        this.kernelShape = kernelShape;
        return this;
    }

    /**
     * Sets one kernel size for every spatial dimension (with {@link #setOrder}).
     *
     * @param kernelSize the size, at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> setKernelSize(int kernelSize) {
        this.kernelSize = kernelSize;
        return this;
    }

    /**
     * Sets the number of spatial dimensions (with {@link #setKernelSize}; must agree with {@link
     * #setKernelShape} if both are given).
     *
     * @param order 1, 2 or 3
     * @return this builder
     */
    public FactorizedConvBuilder<C> setOrder(int order) {
        this.setOrder = order;
        return this;
    }

    /**
     * Sets the format of the kernel (required with {@link FactorizedConv#builder()}; a format's own
     * builder, such as {@link CPConv#builder()}, has it set and accepts only that format).
     *
     * @param factorization CP, TUCKER or TT
     * @return this builder
     * @throws IllegalArgumentException if this builder builds one format and it is another
     */
    public FactorizedConvBuilder<C> setFactorization(Factorization factorization) {
        if (preset != null && factorization != preset) {
            throw new IllegalArgumentException(
                    "factorization "
                            + factorization
                            + " is not accepted by this builder, which builds "
                            + preset
                            + " convolutions; use FactorizedConv.builder() for another format");
        }
        this.factorization = factorization;
        return this;
    }

    /**
     * Sets the rank (required): {@link Rank#same()}, a fraction, one value, or one value per mode
     * (Tucker: modes {@code (O, C, k_1, …)}) or per bond (TT: {@code N + 1} inner bonds of the
     * {@code (C, k_1, …, k_N, O)} train, or all {@code N + 3}).
     *
     * @param rank the rank
     * @return this builder
     */
    public FactorizedConvBuilder<C> setRank(Rank rank) {
        this.rank = rank;
        return this;
    }

    /**
     * Sets how the forward pass is computed (default {@link ConvImplementation#AUTO}, as for the
     * tensorized linear layers).
     *
     * @param implementation the implementation; MOBILENET only with CP
     * @return this builder
     */
    public FactorizedConvBuilder<C> optImplementation(ConvImplementation implementation) {
        this.implementation = implementation;
        return this;
    }

    /**
     * Sets the stride (default 1 everywhere).
     *
     * @param stride one value per spatial dimension, each at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> optStride(Shape stride) {
        this.stride = stride;
        return this;
    }

    /**
     * Sets the zero padding on each side (default 0 everywhere).
     *
     * @param padding one value per spatial dimension, each at least 0
     * @return this builder
     */
    public FactorizedConvBuilder<C> optPadding(Shape padding) {
        this.padding = padding;
        return this;
    }

    /**
     * Sets the dilation (default 1 everywhere).
     *
     * @param dilation one value per spatial dimension, each at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> optDilation(Shape dilation) {
        this.dilation = dilation;
        return this;
    }

    /**
     * Sets whether a bias is added (default true).
     *
     * @param bias whether to add a bias
     * @return this builder
     */
    public FactorizedConvBuilder<C> optBias(boolean bias) {
        this.bias = bias;
        return this;
    }

    /**
     * Sets the modes of the kernel a Tucker factorization keeps at full rank, without a factor
     * (Tucker only; default none). Modes index {@code (O, C, k_1, …, k_N)}: 0 is the output, 1 the
     * input, {@code 2..N+1} the spatial modes.
     *
     * @param modes the fixed modes
     * @return this builder
     */
    public FactorizedConvBuilder<C> optFixedRankModes(int... modes) {
        this.fixedModes = modes == null ? new int[0] : modes.clone();
        this.spatialFixed = false;
        return this;
    }

    /**
     * Sets the fixed modes by preset (Tucker only): {@code "spatial"} keeps every spatial mode at
     * full rank, the Tucker-2 convolution (1×1, core convolution, 1×1).
     *
     * @param preset {@code "spatial"}
     * @return this builder
     * @throws IllegalArgumentException if the preset is another one
     */
    public FactorizedConvBuilder<C> optFixedRankModes(String preset) {
        if (!"spatial".equals(preset)) {
            throw new IllegalArgumentException(
                    "fixed rank modes preset '"
                            + preset
                            + "' is not accepted; 'spatial' (or explicit mode indices) is");
        }
        this.fixedModes = new int[0];
        this.spatialFixed = true;
        return this;
    }

    /**
     * Sets the seed of random initialisation and decomposition (default: drawn from DJL's {@link
     * RandomUtils}, so {@code Engine.setRandomSeed} makes it reproducible).
     *
     * @param seed the seed
     * @return this builder
     */
    public FactorizedConvBuilder<C> optSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Sets the number of convolutions parametrised jointly by one factorized tensor (default 1).
     * The tensor gets a leading layer mode ({@code (n, O, C, k…)}; tensor train {@code (n, C, k…,
     * O)}) and the bias is {@code (n, O)}; the forward pass takes the input and a one-value layer
     * index array, and {@link FactorizedConv#getConv(int)} gives one layer as a block of its own.
     *
     * @param layers the number of layers, at least 1
     * @return this builder
     */
    public FactorizedConvBuilder<C> optLayers(int layers) {
        this.layers = layers;
        return this;
    }

    /**
     * Sets the cost model {@link ConvImplementation#AUTO} decides with (by default the one fitted
     * to the block's engine, {@link CostModel#forEngine}).
     *
     * @param costModel the cost model
     * @return this builder
     * @throws IllegalArgumentException if it is null
     */
    public FactorizedConvBuilder<C> optCostModel(CostModel costModel) {
        if (costModel == null) {
            throw new IllegalArgumentException(
                    "costModel null is not accepted; a CostModel is (leave it unset for the"
                            + " engine's model)");
        }
        this.costModel = costModel;
        return this;
    }

    /**
     * Builds the block, resolving the rank to the realisable one for the kernel's shape.
     *
     * @return a {@link CPConv}, {@link TuckerConv} or {@link TTConv}
     * @throws IllegalArgumentException if a required value is missing or a value is not accepted
     *     (each message names it and what is accepted)
     */
    public C build() {
        if (inChannels < 1) {
            throw new IllegalArgumentException(
                    "inChannels " + inChannels + " is not accepted; call setInChannels(>= 1)");
        }
        if (outChannels < 1) {
            throw new IllegalArgumentException(
                    "outChannels " + outChannels + " is not accepted; call setOutChannels(>= 1)");
        }
        resolvedKernel = resolveKernel();
        int n = resolvedKernel.dimension();
        checkPerDimension(stride, "stride", n, 1);
        checkPerDimension(padding, "padding", n, 0);
        checkPerDimension(dilation, "dilation", n, 1);
        if (factorization == null || factorization == Factorization.DENSE) {
            throw new IllegalArgumentException(
                    "factorization "
                            + factorization
                            + " is not accepted; CP, TUCKER or TT is (use DJL's Conv"
                            + n
                            + "d for a dense convolution)");
        }
        if (rank == null) {
            throw new IllegalArgumentException("rank null is not accepted; call setRank(Rank)");
        }
        FactorizedConv.checkImplementation(implementation, factorization);
        if (layers < 1) {
            throw new IllegalArgumentException(
                    "layers " + layers + " is not accepted; optLayers takes a value >= 1");
        }
        int[] fixed = fixedModes;
        if (spatialFixed) {
            fixed = new int[n];
            for (int i = 0; i < n; i++) {
                fixed[i] = i + 2;
            }
        }
        if (fixed.length > 0 && factorization != Factorization.TUCKER) {
            throw new IllegalArgumentException(
                    "fixed rank modes "
                            + Arrays.toString(fixed)
                            + " are not accepted for "
                            + factorization
                            + "; only TUCKER has them");
        }
        for (int m : fixed) {
            if (m < 0 || m > n + 1) {
                throw new IllegalArgumentException(
                        "fixed rank mode "
                                + m
                                + " is not accepted; the modes of an order-"
                                + n
                                + " kernel (O, C, k…) are 0.."
                                + (n + 1));
            }
        }
        FactorizedConv<?> block;
        switch (factorization) {
            case CP:
                block = new CPConv(this, rank);
                break;
            case TUCKER:
                block = new TuckerConv(this, rank, fixed);
                break;
            default:
                block = new TTConv(this, rank);
        }
        // the block's type is the preset format's, or FactorizedConv<?> for the generic builder
        @SuppressWarnings("unchecked")
        C typed = (C) block;
        return typed;
    }

    private Shape resolveKernel() {
        Shape k = kernelShape;
        if (k == null) {
            if (kernelSize < 1) {
                throw new IllegalArgumentException(
                        "kernel size "
                                + kernelSize
                                + " is not accepted; call setKernelShape(Shape) or"
                                + " setKernelSize(>= 1) with setOrder(1..3)");
            }
            if (setOrder < 1 || setOrder > 3) {
                throw new IllegalArgumentException(
                        "order "
                                + setOrder
                                + " is not accepted; setOrder takes 1, 2 or 3 (or give"
                                + " setKernelShape)");
            }
            return ConvOps.filled(setOrder, kernelSize);
        }
        int n = k.dimension();
        if (n < 1 || n > 3) {
            throw new IllegalArgumentException(
                    "kernel shape " + k + " is not accepted; 1 to 3 spatial sizes (k_1..k_N) are");
        }
        if (setOrder != 0 && setOrder != n) {
            throw new IllegalArgumentException(
                    "kernel shape "
                            + k
                            + " has order "
                            + n
                            + " but setOrder("
                            + setOrder
                            + ") asks for "
                            + setOrder
                            + "; they must agree");
        }
        if (kernelSize != 0) {
            for (long d : k.getShape()) {
                if (d != kernelSize) {
                    throw new IllegalArgumentException(
                            "kernel shape "
                                    + k
                                    + " disagrees with setKernelSize("
                                    + kernelSize
                                    + "); give one of them");
                }
            }
        }
        for (long d : k.getShape()) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "kernel shape " + k + " is not accepted; every size must be >= 1");
            }
        }
        return k;
    }

    private static void checkPerDimension(Shape s, String name, int n, long min) {
        if (s == null) {
            return;
        }
        if (s.dimension() != n) {
            throw new IllegalArgumentException(
                    name
                            + " "
                            + s
                            + " is not accepted; an order-"
                            + n
                            + " convolution takes "
                            + n
                            + " values, each >= "
                            + min);
        }
        for (long v : s.getShape()) {
            if (v < min) {
                throw new IllegalArgumentException(
                        name + " " + s + " is not accepted; every value must be >= " + min);
            }
        }
    }
}
