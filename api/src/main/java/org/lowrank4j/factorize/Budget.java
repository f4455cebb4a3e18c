package org.lowrank4j.factorize;

import org.lowrank4j.cost.BlockCost;

/**
 * The total cost a {@link RankSelector#budget(Budget) budget} allocation aims at: FLOPs or
 * parameters of the whole model, as a fraction of the original model's or as an absolute count.
 *
 * <pre>{@code
 * Budget.flops(0.4);              // 40% of the original FLOPs
 * Budget.parameters(0.25);        // a quarter of the original parameters
 * Budget.flopsTotal(120_000_000); // at most 120 M FLOPs
 * }</pre>
 */
public final class Budget {

    /** What a budget counts. */
    public enum Metric {
        /** Floating-point operations, as {@link org.lowrank4j.cost.CostCounter} counts them. */
        FLOPS,
        /** Parameters. */
        PARAMETERS
    }

    private final Metric metric;
    private final double fraction;
    private final long total;

    private Budget(Metric metric, double fraction, long total) {
        this.metric = metric;
        this.fraction = fraction;
        this.total = total;
    }

    /**
     * Returns the budget of a fraction of the original model's FLOPs.
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    public static Budget flops(double fraction) {
        return new Budget(Metric.FLOPS, checkFraction(fraction, "FLOPs"), -1);
    }

    /**
     * Returns the budget of a fraction of the original model's parameters.
     *
     * @param fraction the fraction, in {@code (0, 1]}
     * @return the budget
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    public static Budget parameters(double fraction) {
        return new Budget(Metric.PARAMETERS, checkFraction(fraction, "parameter"), -1);
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
     * Returns whether the budget is a fraction of the original model's cost.
     *
     * @return whether it is a fraction
     */
    public boolean isFraction() {
        return total < 0;
    }

    /**
     * Returns the target total for a model.
     *
     * @param original the cost of the original model
     * @return the FLOPs or parameters the whole model may have
     */
    public long target(BlockCost original) {
        return isFraction() ? (long) Math.floor(fraction * measure(original)) : total;
    }

    /**
     * Returns the budget's metric of a cost.
     *
     * @param cost a cost
     * @return its FLOPs or parameters
     */
    public long measure(BlockCost cost) {
        return metric == Metric.FLOPS ? cost.getFlops() : cost.getParameters();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        String what = metric == Metric.FLOPS ? "FLOPs" : "parameters";
        return isFraction() ? fraction + " of the original " + what : total + " " + what;
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

    private static long checkTotal(long total, String what) {
        if (total < 1) {
            throw new IllegalArgumentException(
                    "budget of " + total + " " + what + " is not accepted; it must be >= 1");
        }
        return total;
    }
}
