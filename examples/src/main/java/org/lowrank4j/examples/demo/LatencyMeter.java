package org.lowrank4j.examples.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Times several candidates in the same run: after a warm-up, each round runs every candidate once,
 * in an order that rotates from round to round, so that a busy machine slows all of them alike. The
 * result of each candidate is the median of its rounds.
 */
public final class LatencyMeter {

    private final int warmup;
    private final int repeats;
    private final LongSupplier clock;

    /**
     * Makes a meter that reads {@link System#nanoTime()}.
     *
     * @param warmup untimed runs of each candidate before the timed rounds, at least 0
     * @param repeats timed rounds, at least 1
     * @throws IllegalArgumentException if a count is not accepted
     */
    public LatencyMeter(int warmup, int repeats) {
        this(warmup, repeats, System::nanoTime);
    }

    /**
     * Makes a meter with another clock (for tests).
     *
     * @param warmup untimed runs of each candidate before the timed rounds, at least 0
     * @param repeats timed rounds, at least 1
     * @param clock a clock in nanoseconds
     * @throws IllegalArgumentException if a count is not accepted
     */
    public LatencyMeter(int warmup, int repeats, LongSupplier clock) {
        if (warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException(
                    "warm-up "
                            + warmup
                            + " and repeats "
                            + repeats
                            + " are not accepted; warm-up >= 0 and repeats >= 1 are");
        }
        this.warmup = warmup;
        this.repeats = repeats;
        this.clock = clock;
    }

    /**
     * Times candidates, interleaved.
     *
     * @param candidates the code to time, each run once per round
     * @return the median time of each candidate in milliseconds, in the order given
     * @throws IllegalArgumentException if no candidate is given
     */
    public double[] medianMillis(List<Runnable> candidates) {
        if (candidates == null || candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate was given; at least one is accepted");
        }
        int n = candidates.size();
        for (int i = 0; i < warmup; i++) {
            for (Runnable c : candidates) {
                c.run();
            }
        }
        List<double[]> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add(new double[repeats]);
        }
        for (int r = 0; r < repeats; r++) {
            for (int k = 0; k < n; k++) {
                int c = (r + k) % n;
                long start = clock.getAsLong();
                candidates.get(c).run();
                samples.get(c)[r] = (clock.getAsLong() - start) / 1e6;
            }
        }
        double[] medians = new double[n];
        for (int i = 0; i < n; i++) {
            medians[i] = median(samples.get(i));
        }
        return medians;
    }

    /**
     * Returns the median of values (the mean of the two middle ones for an even count).
     *
     * @param values the values, at least one
     * @return the median
     * @throws IllegalArgumentException if there is no value
     */
    public static double median(double[] values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("no value was given; at least one is accepted");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
