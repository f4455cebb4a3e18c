package org.lowrank4j.nn;

/** How a factorized layer computes its forward pass. */
public enum ConvImplementation {
    /** Contract the input with the factors one at a time, never building the dense weight. */
    FACTORIZED,
    /** Rebuild the dense weight from the factors, then run one ordinary convolution or product. */
    RECONSTRUCTED,
    /**
     * CP only: a 1×1 convolution, one depthwise convolution with the full spatial kernel, a scale
     * and a 1×1 convolution, as in a MobileNet-v2 block.
     */
    MOBILENET,
    /** Choose per layer the implementation with the lowest cost. */
    AUTO
}
