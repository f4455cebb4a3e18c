package org.lowrank4j.cost;

import java.util.Locale;

/**
 * Turns a {@link ConvCost} into one comparable number, in units of dense multiply-accumulates.
 *
 * <p>Each operation costs {@code w · macs + memoryWeight · memory + operationWeight}, where {@code
 * w} is {@code depthwiseWeight} for depthwise convolutions, {@code max(1, narrowChannels / c)} for
 * dense convolutions whose narrower side has {@code c < narrowChannels} channels (narrow
 * convolutions use the vector units poorly), and 1 otherwise. A factorized pipeline is only chosen
 * over the dense one when its estimate is below {@code margin} times the dense estimate, so that a
 * close call falls back to the dense kernel.
 *
 * <p>The weights differ by engine ({@link #forEngine}). They were fitted to measurements of every
 * pipeline on thirteen convolution layers (16 to 512 channels, 7×7 to 56×56 inputs, batches of 1 to
 * 128, ranks 0.1 to 0.5) with one and two threads on an x86 CPU: the operation weight is the
 * measured cost of an engine call (about 14 µs on PyTorch 2.7, 110 µs on MXNet 1.9) in dense
 * multiply-accumulates, and the other weights are those of a grid whose choices never ran more than
 * 5% slower than the dense convolution and came closest to the measured fastest pipelines (see
 * {@code docs/benchmarks/cost-model.md}, and the {@code CostModelCalibration} example that measures
 * and fits). MXNet calls cost more and its narrow convolutions run slower, so its model asks a
 * factorized pipeline to win by a wider margin. For measured rather than modelled choices see
 * {@code FactorizedConv.tune}.
 */
public final class CostModel {

    /** The model fitted to PyTorch 2.7 on CPUs; also the one for engines without their own. */
    public static final CostModel PYTORCH = new CostModel(16, 32, 1_000_000, 16, 0.8);

    /** The model fitted to MXNet 1.9 (oneDNN) on CPUs. */
    public static final CostModel MXNET = new CostModel(32, 8, 8_500_000, 64, 0.75);

    private final double depthwiseWeight;
    private final double memoryWeight;
    private final double operationWeight;
    private final double narrowChannels;
    private final double margin;

    /**
     * Creates a cost model.
     *
     * @param depthwiseWeight cost of a depthwise multiply-accumulate, in dense ones, at least 0
     * @param memoryWeight cost of moving one value, in dense multiply-accumulates, at least 0
     * @param operationWeight fixed cost of one engine operation, in dense multiply-accumulates, at
     *     least 0
     * @param narrowChannels channel count below which dense convolutions slow down, at least 0
     * @param margin a factorized pipeline wins only below {@code margin} times the dense estimate,
     *     in {@code (0, 1]}
     * @throws IllegalArgumentException if a weight is negative or not finite, or the margin is out
     *     of range
     */
    public CostModel(
            double depthwiseWeight,
            double memoryWeight,
            double operationWeight,
            double narrowChannels,
            double margin) {
        check(depthwiseWeight, "depthwiseWeight");
        check(memoryWeight, "memoryWeight");
        check(operationWeight, "operationWeight");
        check(narrowChannels, "narrowChannels");
        if (!(margin > 0 && margin <= 1)) {
            throw new IllegalArgumentException(
                    "margin " + margin + " is not accepted; a value in (0, 1] is");
        }
        this.depthwiseWeight = depthwiseWeight;
        this.memoryWeight = memoryWeight;
        this.operationWeight = operationWeight;
        this.narrowChannels = narrowChannels;
        this.margin = margin;
    }

    private static void check(double value, String name) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    name + " " + value + " is not accepted; a finite value >= 0 is");
        }
    }

    /**
     * Returns the default model: {@link #PYTORCH} (depthwise weight 16, memory weight 32, operation
     * weight 1,000,000, narrow below 16 channels, margin 0.8).
     *
     * @return the default model
     */
    public static CostModel defaults() {
        return PYTORCH;
    }

    /**
     * Returns the model fitted to an engine.
     *
     * @param engineName the engine's name, as {@code Engine.getEngineName()} gives it
     * @return {@link #MXNET} for MXNet, else {@link #PYTORCH}
     */
    public static CostModel forEngine(String engineName) {
        return "MXNet".equals(engineName) ? MXNET : PYTORCH;
    }

    /**
     * Estimates a cost.
     *
     * @param cost the counts
     * @return the estimate, in dense multiply-accumulates
     */
    public double estimate(ConvCost cost) {
        double total = 0;
        for (ConvCost.Operation op : cost.getOperationList()) {
            double w = 1;
            if (op.kind() == ConvCost.Kind.DEPTHWISE) {
                w = depthwiseWeight;
            } else if (op.kind() == ConvCost.Kind.DENSE && op.channels() > 0) {
                w = Math.max(1, narrowChannels / op.channels());
            }
            total += w * op.macs() + memoryWeight * op.memory() + operationWeight;
        }
        return total;
    }

    /**
     * Returns whether a factorized pipeline should replace the dense one.
     *
     * @param factorized the factorized pipeline's cost
     * @param dense the dense pipeline's cost
     * @return whether the factorized estimate is below {@code margin} times the dense one
     */
    public boolean beats(ConvCost factorized, ConvCost dense) {
        return estimate(factorized) < margin * estimate(dense);
    }

    /**
     * Returns the cost of a depthwise multiply-accumulate.
     *
     * @return the weight, in dense multiply-accumulates
     */
    public double getDepthwiseWeight() {
        return depthwiseWeight;
    }

    /**
     * Returns the cost of moving one value.
     *
     * @return the weight, in dense multiply-accumulates
     */
    public double getMemoryWeight() {
        return memoryWeight;
    }

    /**
     * Returns the fixed cost of one engine operation.
     *
     * @return the weight, in dense multiply-accumulates
     */
    public double getOperationWeight() {
        return operationWeight;
    }

    /**
     * Returns the channel count below which dense convolutions slow down.
     *
     * @return the channel count
     */
    public double getNarrowChannels() {
        return narrowChannels;
    }

    /**
     * Returns the margin a factorized pipeline must beat the dense one by.
     *
     * @return the margin, in {@code (0, 1]}
     */
    public double getMargin() {
        return margin;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "CostModel(depthwise=%s, memory=%s, operation=%s, narrow=%s, margin=%s)",
                depthwiseWeight,
                memoryWeight,
                operationWeight,
                narrowChannels,
                margin);
    }
}
