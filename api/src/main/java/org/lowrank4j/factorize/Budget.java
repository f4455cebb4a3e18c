package org.lowrank4j.factorize;

import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.LatencyMeter;

/**
 * The total cost a {@link RankSelector#budget(Budget) budget} allocation aims at: FLOPs, parameters
 * or measured latency of the whole model, as a fraction of the original model's or as an absolute
 * amount.
 *
 * <pre>{@code
 * Budget.flops(0.4);              // 40% of the original FLOPs
 * Budget.parameters(0.25);        // a quarter of the original parameters
 * Budget.flopsTotal(120_000_000); // at most 120 M FLOPs
 * Budget.latency(0.6);            // 60% of the original model's measured latency
 * Budget.latencyTotal(8.5);       // at most 8.5 ms per forward pass
 * }</pre>
 *
 * <p>A latency budget is spent with latencies measured by its {@link LatencyMeter} on the engine
 * and device the model runs on ({@link RankSelector#budget(Budget)}); pass a meter to choose its
 * warm-up, repeats, cache, threads or timer.
 */
public final class Budget {

    /** What a budget counts. */
    public enum Metric {
        /** Floating-point operations, as {@link org.lowrank4j.cost.CostCounter} counts them. */
        FLOPS,
        /** Parameters. */
        PARAMETERS,
        /**
         * Measured latency of a forward pass, in milliseconds, as a {@link
         * org.lowrank4j.cost.LatencyMeter} measures it.
         */
        LATENCY
    }

    private final Metric metric;
    private final double fraction;
    private final double total;
    private final LatencyMeter meter;

    private Budget(Metric metric, double fraction, double total) {
        this(metric, fraction, total, null);
    }

    private Budget(Metric metric, double fraction, double total, LatencyMeter meter) {
        this.metric = metric;
        this.fraction = fraction;
        this.total = total;
        this.meter = meter;
    }

    /**
     * Returns the budget of a fraction of the original model's FLOPs.
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    public static Budget flops(double fraction) {
        return new Budget(Metric.FLOPS, checkFraction(fraction, "FLOPs"), Double.NaN);
    }

    /**
     * Returns the budget of a fraction of the original model's parameters.
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    public static Budget parameters(double fraction) {
        return new Budget(Metric.PARAMETERS, checkFraction(fraction, "parameter"), Double.NaN);
    }

    /**
     * Returns the budget of a fraction of the original model's measured latency, measured by a
     * meter with the default settings ({@code LatencyMeter.builder().build()}).
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    public static Budget latency(double fraction) {
        return latency(fraction, LatencyMeter.builder().build());
    }

    /**
     * Returns the budget of a fraction of the original model's measured latency: the latency of the
     * whole model's forward pass with its input shapes, as the meter measures it on the engine,
     * device and thread count the model runs on.
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @param meter the meter that times the model, its layers and their candidates
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]} or the meter is
     *     {@code null}
     */
    public static Budget latency(double fraction, LatencyMeter meter) {
        return new Budget(
                Metric.LATENCY, checkFraction(fraction, "latency"), Double.NaN, checkMeter(meter));
    }

    /**
     * Returns the budget of a total measured latency of the whole model's forward pass, measured by
     * a meter with the default settings ({@code LatencyMeter.builder().build()}).
     *
     * @param millis the latency in milliseconds, finite and above 0
     * @return the budget
     * @throws IllegalArgumentException if the latency is not finite or not above 0
     */
    public static Budget latencyTotal(double millis) {
        return latencyTotal(millis, LatencyMeter.builder().build());
    }

    /**
     * Returns the budget of a total measured latency of the whole model's forward pass, as the
     * meter measures it.
     *
     * @param millis the latency in milliseconds, finite and above 0
     * @param meter the meter that times the model, its layers and their candidates
     * @return the budget
     * @throws IllegalArgumentException if the latency is not finite or not above 0, or the meter is
     *     {@code null}
     */
    public static Budget latencyTotal(double millis, LatencyMeter meter) {
        if (!(millis > 0 && millis < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(
                    "latency budget of "
                            + millis
                            + " ms is not accepted; a finite latency above 0 ms is");
        }
        return new Budget(Metric.LATENCY, Double.NaN, millis, checkMeter(meter));
    }

    /**
     * Returns the budget of a total number of FLOPs for the whole model.
     *
     * @param flops the FLOPs, at least 1
     * @return the budget
     * @throws IllegalArgumentException if the count is below 1
     */
    public static Budget flopsTotal(long flops) {
        return new Budget(Metric.FLOPS, Double.NaN, checkTotal(flops, "FLOPs"));
    }

    /**
     * Returns the budget of a total number of parameters for the whole model.
     *
     * @param parameters the parameters, at least 1
     * @return the budget
     * @throws IllegalArgumentException if the count is below 1
     */
    public static Budget parametersTotal(long parameters) {
        return new Budget(Metric.PARAMETERS, Double.NaN, checkTotal(parameters, "parameter"));
    }

    /**
     * Returns what the budget counts.
     *
     * @return the metric
     */
    public Metric getMetric() {
        return metric;
    }

    /**
     * Returns the meter a latency budget is measured with.
     *
     * @return the meter, {@code null} for a FLOPs or parameters budget
     */
    public LatencyMeter getLatencyMeter() {
        return meter;
    }

    /**
     * Returns whether the budget is a fraction of the original model's cost.
     *
     * @return whether it is a fraction
     */
    public boolean isFraction() {
        return !Double.isNaN(fraction);
    }

    /**
     * Returns the target total for a model.
     *
     * @param original the cost of the original model
     * @return the FLOPs or parameters the whole model may have
     * @throws IllegalStateException if this is a latency budget (see {@link #target(double)})
     */
    public long target(BlockCost original) {
        return isFraction() ? (long) Math.floor(fraction * measure(original)) : (long) total;
    }

    /**
     * Returns the target total for a model whose original total, in this budget's metric, is given;
     * for a latency budget, in milliseconds.
     *
     * @param original the original model's FLOPs, parameters or latency
     * @return the target total
     */
    public double target(double original) {
        return isFraction() ? fraction * original : total;
    }

    /**
     * Returns the budget's metric of a cost.
     *
     * @param cost a cost
     * @return its FLOPs or parameters
     * @throws IllegalStateException if this is a latency budget, which counts measured latency
     */
    public long measure(BlockCost cost) {
        if (metric == Metric.LATENCY) {
            throw new IllegalStateException(
                    "a latency budget counts measured milliseconds, not FLOPs or parameters; a"
                            + " FLOPs or parameters budget is accepted here");
        }
        return metric == Metric.FLOPS ? cost.getFlops() : cost.getParameters();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        String what =
                metric == Metric.FLOPS
                        ? "FLOPs"
                        : metric == Metric.PARAMETERS ? "parameters" : "latency";
        if (isFraction()) {
            return fraction + " of the original " + what;
        }
        return metric == Metric.LATENCY ? total + " ms latency" : (long) total + " " + what;
    }

    private static double checkFraction(double fraction, String what) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException(
                    "budget fraction "
                            + fraction
                            + " of the "
                            + what
                            + " is not accepted; a fraction in (0, 1] is");
        }
        return fraction;
    }

    private static LatencyMeter checkMeter(LatencyMeter meter) {
        if (meter == null) {
            throw new IllegalArgumentException(
                    "latency meter null is not accepted; LatencyMeter.builder().build() is");
        }
        return meter;
    }

    private static long checkTotal(long total, String what) {
        if (total < 1) {
            throw new IllegalArgumentException(
                    "budget of " + total + " " + what + " is not accepted; it must be >= 1");
        }
        return total;
    }
}
