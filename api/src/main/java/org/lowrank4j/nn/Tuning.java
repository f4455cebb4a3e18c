package org.lowrank4j.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.lowrank4j.cost.LatencyMeter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the implementations of a block on one input, for the {@code tune} methods of {@link
 * FactorizedConv} and {@link FactorizedLinear}: each pass runs the block with one implementation
 * set, timed by a {@link LatencyMeter}'s timer; the candidates run round-robin (warm-up passes
 * first), so that drifts of the machine hit all of them alike.
 */
final class Tuning {

    private static final Logger logger = LoggerFactory.getLogger(Tuning.class);

    private Tuning() {}

    /**
     * Logs a tuning's result: at INFO for an explicit round-robin tuning, at DEBUG for one through
     * a meter's cache (the factorizer does one per layer).
     */
    private static void log(
            boolean info,
            Block block,
            Shape inputShape,
            List<ConvImplementation> candidates,
            Map<ConvImplementation, Double> millis) {
        if (info ? logger.isInfoEnabled() : logger.isDebugEnabled()) {
            StringBuilder b = new StringBuilder();
            for (ConvImplementation c : candidates) {
                b.append(b.length() == 0 ? "" : ", ")
                        .append(c)
                        .append(String.format(Locale.ROOT, " %.4g ms", millis.get(c)));
            }
            String message =
                    String.format(
                            Locale.ROOT,
                            "Tuned %s for input %s: %s; AUTO runs %s",
                            block.getClass().getSimpleName(),
                            inputShape,
                            b,
                            fastest(candidates, millis));
            if (info) {
                logger.info(message);
            } else {
                logger.debug(message);
            }
        }
    }

    /**
     * A meter with the given warm-up and timed passes and the default timer.
     *
     * @throws IllegalArgumentException if a count is out of range
     */
    static LatencyMeter meter(int warmup, int repeats) {
        if (warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException(
                    "warmup "
                            + warmup
                            + " and repeats "
                            + repeats
                            + " are not accepted; warmup >= 0 and repeats >= 1 are");
        }
        return LatencyMeter.builder().optWarmup(warmup).optRepeats(repeats).build();
    }

    /**
     * Times every candidate and returns the median milliseconds of each, in candidate order. The
     * block's implementation is set to each candidate in turn through {@code set} and restored
     * afterwards, also when a pass fails.
     *
     * @param block the block, initialised
     * @param candidates the implementations to time
     * @param current reads the block's implementation
     * @param set changes the block's implementation
     * @param manager the manager the input is made under (a sub-manager, closed at the end)
     * @param inputShape the shape of the random input
     * @param type its data type
     * @param layered whether the block takes a layer index too (layer 0 is timed)
     * @param meter the timer and the numbers of passes
     */
    static Map<ConvImplementation, Double> measure(
            Block block,
            List<ConvImplementation> candidates,
            Supplier<ConvImplementation> current,
            Consumer<ConvImplementation> set,
            NDManager manager,
            Shape inputShape,
            DataType type,
            boolean layered,
            LatencyMeter meter) {
        int repeats = meter.getRepeats();
        double[][] times = new double[candidates.size()][repeats];
        ConvImplementation saved = current.get();
        try (NDManager scope = manager.newSubManager()) {
            NDList x = new NDList(scope.randomNormal(0, 1, inputShape, type));
            if (layered) {
                x.add(scope.create(0L));
            }
            for (int r = -meter.getWarmup(); r < repeats; r++) {
                for (int c = 0; c < candidates.size(); c++) {
                    set.accept(candidates.get(c));
                    long nanos = meter.time(block, x);
                    if (r >= 0) {
                        times[c][r] = nanos / 1e6;
                    }
                }
            }
        } finally {
            set.accept(saved);
        }
        Map<ConvImplementation, Double> medians = new EnumMap<>(ConvImplementation.class);
        for (int c = 0; c < candidates.size(); c++) {
            medians.put(candidates.get(c), median(times[c]));
        }
        log(true, block, inputShape, candidates, medians);
        return medians;
    }

    /**
     * Measures every candidate through a meter ({@link LatencyMeter#measure}, so through its
     * cache): the block's implementation is set to each candidate in turn and restored afterwards,
     * also when a measurement fails.
     *
     * @param block the block, initialised
     * @param candidates the implementations to measure
     * @param current reads the block's implementation
     * @param set changes the block's implementation
     * @param meter the meter
     * @param inputShapes the block's input shapes
     * @return the milliseconds of each candidate
     * @throws IllegalArgumentException if the meter is {@code null}
     */
    static Map<ConvImplementation, Double> measureCached(
            Block block,
            List<ConvImplementation> candidates,
            Supplier<ConvImplementation> current,
            Consumer<ConvImplementation> set,
            LatencyMeter meter,
            Shape... inputShapes) {
        if (meter == null) {
            throw new IllegalArgumentException(
                    "latency meter null is not accepted; LatencyMeter.builder().build() is");
        }
        Map<ConvImplementation, Double> measured = new EnumMap<>(ConvImplementation.class);
        ConvImplementation saved = current.get();
        try {
            for (ConvImplementation c : candidates) {
                set.accept(c);
                measured.put(c, meter.measure(block, inputShapes));
            }
        } finally {
            set.accept(saved);
        }
        log(false, block, inputShapes[0], candidates, measured);
        return measured;
    }

    /**
     * The candidate with the smallest median; on a tie the one listed first.
     *
     * @param candidates the implementations, in order of preference
     * @param medians their medians
     */
    static ConvImplementation fastest(
            List<ConvImplementation> candidates, Map<ConvImplementation, Double> medians) {
        ConvImplementation best = candidates.get(0);
        for (ConvImplementation c : candidates) {
            if (medians.get(c) < medians.get(best)) {
                best = c;
            }
        }
        return best;
    }

    private static double median(double[] values) {
        double[] t = values.clone();
        Arrays.sort(t);
        int n = t.length;
        return n % 2 == 1 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    }
}
