package org.lowrank4j.factorize;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.DoubleFunction;

/**
 * Progressive compression: factorize a model a little, fine-tune it, factorize it further from its
 * current weights, fine-tune again, down to the final size, instead of compressing once.
 *
 * <p>A schedule of fractions, decreasing (for example {@code 0.7, 0.5, 0.3}), sets the steps. The
 * first step {@link Factorizer#factorize factorizes} the dense model with the factorizer made for
 * the first fraction; each later one {@link Factorizer#refactorize factorizes it again}: every
 * factorized layer stands as the dense layer its (fine-tuned) factors multiply out to and is
 * factorized with the next factorizer, so fractions stay fractions of the original layers and the
 * last step gives the same ranks, parameters and FLOPs as a one-shot factorization at the last
 * fraction. After each step the fine-tuning runs (with a {@link ai.djl.training.Trainer} made after
 * the step, since the layers changed).
 *
 * <pre>{@code
 * List<FactorizeReport> steps = ProgressiveCompression.builder()
 *         .setSchedule(0.7, 0.5, 0.3)
 *         .setFactorizer(fraction -> Factorizer.builder()
 *                 .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(fraction)).build())
 *                 .build())
 *         .setFineTuning((step, fraction, report) -> fineTune(model, 1))
 *         .build()
 *         .compress(model.getBlock());
 * }</pre>
 *
 * <p>A step that fails leaves the model as the step before left it (each factorization is all or
 * nothing) and throws with the step named.
 */
public final class ProgressiveCompression {

    /** What runs after each step, typically a few epochs of training. */
    @FunctionalInterface
    public interface FineTuning {

        /**
         * Fine-tunes the model after a step.
         *
         * @param step the step, from 0
         * @param fraction the step's fraction
         * @param report the step's report
         */
        void fineTune(int step, double fraction, FactorizeReport report);
    }

    private final double[] schedule;
    private final DoubleFunction<Factorizer> factorizers;
    private final FineTuning fineTuning;

    private ProgressiveCompression(Builder b) {
        schedule = b.schedule;
        factorizers = b.factorizers;
        fineTuning = b.fineTuning;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the schedule.
     *
     * @return a copy of the fractions, in order
     */
    public double[] getSchedule() {
        return schedule.clone();
    }

    /**
     * Compresses a model in place, step by step, fine-tuning after each step.
     *
     * @param block the model's block, initialised with trained parameters
     * @return the reports of the steps, in order
     * @throws IllegalArgumentException if a step's factorization refuses the model (the message
     *     names the step); the model is then as the step before left it
     * @throws IllegalStateException if the block is not initialised
     */
    public List<FactorizeReport> compress(Block block) {
        Objects.requireNonNull(block, "block must not be null");
        List<FactorizeReport> reports = new ArrayList<>();
        for (int step = 0; step < schedule.length; step++) {
            double fraction = schedule[step];
            Factorizer factorizer = factorizers.apply(fraction);
            if (factorizer == null) {
                throw new IllegalStateException(
                        "the factorizer function gave null for fraction "
                                + fraction
                                + "; a Factorizer is required for every step");
            }
            FactorizeReport report;
            try {
                report = step == 0 ? factorizer.factorize(block) : factorizer.refactorize(block);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "step "
                                + (step + 1)
                                + " of "
                                + schedule.length
                                + " (fraction "
                                + fraction
                                + "): "
                                + e.getMessage(),
                        e);
            }
            FactorizeLog.progressiveStep(step, schedule.length, fraction, report);
            fineTuning.fineTune(step, fraction, report);
            reports.add(report);
        }
        return Collections.unmodifiableList(reports);
    }

    /** Builds a {@link ProgressiveCompression}. */
    public static final class Builder {

        private double[] schedule;
        private DoubleFunction<Factorizer> factorizers;
        private FineTuning fineTuning;

        private Builder() {}

        /**
         * Sets the fractions of the steps (required): strictly decreasing, each in {@code (0, 1]}.
         *
         * @param fractions the fractions, in order
         * @return this builder
         */
        public Builder setSchedule(double... fractions) {
            this.schedule = fractions == null ? null : fractions.clone();
            return this;
        }

        /**
         * Sets how each step's factorizer is made from its fraction (required): typically a policy
         * with {@code Rank.fraction(fraction)}, and the calibration data or input shapes the model
         * needs.
         *
         * @param factorizers the function from a fraction to a factorizer
         * @return this builder
         */
        public Builder setFactorizer(DoubleFunction<Factorizer> factorizers) {
            this.factorizers = factorizers;
            return this;
        }

        /**
         * Sets what runs after each step (required).
         *
         * @param fineTuning the fine-tuning
         * @return this builder
         */
        public Builder setFineTuning(FineTuning fineTuning) {
            this.fineTuning = fineTuning;
            return this;
        }

        /**
         * Builds the schedule.
         *
         * @return the progressive compression
         * @throws IllegalArgumentException if the schedule is missing, empty, not strictly
         *     decreasing or has a fraction outside {@code (0, 1]}, or the factorizer or the
         *     fine-tuning is missing
         */
        public ProgressiveCompression build() {
            if (schedule == null || schedule.length == 0) {
                throw new IllegalArgumentException(
                        "the schedule is required: one or more fractions, strictly decreasing, in"
                                + " (0, 1]");
            }
            for (int i = 0; i < schedule.length; i++) {
                double f = schedule[i];
                if (!(f > 0 && f <= 1)) {
                    throw new IllegalArgumentException(
                            "schedule fraction " + f + " is not accepted; fractions in (0, 1] are");
                }
                if (i > 0 && !(f < schedule[i - 1])) {
                    throw new IllegalArgumentException(
                            "schedule "
                                    + Arrays.toString(schedule)
                                    + " is not accepted: "
                                    + f
                                    + " follows "
                                    + schedule[i - 1]
                                    + "; a strictly decreasing schedule is");
                }
            }
            if (factorizers == null) {
                throw new IllegalArgumentException(
                        "the factorizer function is required (setFactorizer)");
            }
            if (fineTuning == null) {
                throw new IllegalArgumentException("the fine-tuning is required (setFineTuning)");
            }
            return new ProgressiveCompression(this);
        }
    }
}
