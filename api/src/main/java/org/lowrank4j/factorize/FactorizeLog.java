package org.lowrank4j.factorize;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.engine.EngineHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the factorizer and the sensitivity sweep log, in one place: one INFO summary per factorize,
 * restore, export and sweep, DEBUG per layer, INFO for a layer kept because the swap would not pay,
 * WARN for what a user would not expect (a faulty engine, layers that cannot be rewritten).
 */
final class FactorizeLog {

    private static final Logger logger = LoggerFactory.getLogger(Factorizer.class);
    private static final Logger sweepLogger = LoggerFactory.getLogger(SensitivitySweep.class);

    private FactorizeLog() {}

    static void faultyEngine(EngineHealth health) {
        logger.warn("Factorizing on an engine the engine check found faulty: {}", health);
    }

    static void calibrated(int layers, long batches, long nanos) {
        logger.debug(
                "Calibrated {} data-aware layer(s) on {} batch(es) in {}",
                layers,
                batches,
                seconds(nanos));
    }

    /**
     * Logs a factorization.
     *
     * @param report its report
     * @param unprofitable the paths of the layers kept because their swap would not pay
     * @param nanos how long it took
     */
    static void factorized(FactorizeReport report, Set<String> unprofitable, long nanos) {
        int kept = 0;
        for (FactorizeReport.Layer l : report.getLayers()) {
            if (l.isSwapped()) {
                if (logger.isDebugEnabled()) {
                    logger.debug(
                            "{}: {} -> {} by {}, ranks {}, {}, weight error {}, output NMSE {}",
                            l.getPath(),
                            l.getOldType(),
                            l.getNewType(),
                            l.getMethod(),
                            Arrays.toString(l.getRanks()),
                            l.getImplementation(),
                            number(l.getWeightError()),
                            number(l.getOutputNmse()));
                }
            } else {
                kept++;
                if (unprofitable.contains(l.getPath())) {
                    logger.info("Kept {} dense: {}", l.getPath(), l.getReason());
                } else {
                    logger.debug("Kept {} dense: {}", l.getPath(), l.getReason());
                }
            }
        }
        for (String refused : report.getRefusedBlocks()) {
            logger.warn(
                    "Layers inside {} are not factorized: it forwards through fields and cannot be"
                            + " rewritten",
                    refused);
        }
        if (logger.isInfoEnabled()) {
            BlockCost before = report.getTotalBefore();
            BlockCost after = report.getTotalAfter();
            logger.info(
                    "Factorized {} of {} candidate layer(s) in {}: parameters {} -> {}, FLOPs {} ->"
                            + " {}{}",
                    report.getSwapped().size(),
                    report.getLayers().size(),
                    seconds(nanos),
                    count(before.getParameters()),
                    count(after.getParameters()),
                    count(before.getFlops()),
                    count(after.getFlops()),
                    kept == 0 ? "" : "; " + kept + " kept dense");
        }
    }

    static void restored(FactorizePlan plan) {
        if (logger.isInfoEnabled()) {
            Map<String, Integer> methods = new TreeMap<>();
            for (FactorizePlan.Entry e : plan.getEntries()) {
                methods.merge(e.getMethod(), 1, Integer::sum);
            }
            logger.info(
                    "Restored the plan: {} factorized layer(s) {}",
                    plan.getEntries().size(),
                    methods);
        }
    }

    static void undone(String note) {
        logger.info("Swaps undone after measuring the whole model: {}", note);
    }

    static void refactorized(int again, int kept) {
        logger.info(
                "Factorized {} factorized layer(s) again from their current weights; {} kept as"
                        + " they were",
                again,
                kept);
    }

    static void progressiveStep(int step, int steps, double fraction, FactorizeReport report) {
        logger.info(
                "Progressive step {} of {} (fraction {}): parameters {}, FLOPs {}; fine-tuning",
                step + 1,
                steps,
                fraction,
                count(report.getTotalAfter().getParameters()),
                count(report.getTotalAfter().getFlops()));
    }

    static void exported(int blocks) {
        logger.info("Replaced {} factorized block(s) by standard DJL blocks", blocks);
    }

    static void sweptLayer(SensitivityReport.Layer layer) {
        if (sweepLogger.isDebugEnabled()) {
            StringBuilder b = new StringBuilder();
            for (SensitivityReport.Point p : layer.getPoints()) {
                b.append(b.length() == 0 ? "" : ", ")
                        .append(Arrays.toString(p.getRanks()))
                        .append(": ")
                        .append(number(p.getDrop()));
            }
            sweepLogger.debug("{} ({}), drop per rank: {}", layer.getPath(), layer.getMethod(), b);
        }
    }

    static void swept(SensitivityReport report, int batches, long nanos) {
        if (sweepLogger.isInfoEnabled()) {
            int points = 0;
            for (SensitivityReport.Layer l : report.getLayers()) {
                points += l.getPoints().size();
            }
            sweepLogger.info(
                    "Swept {} layer(s) at {} rank(s) in all on {} batch(es) in {}: baseline {} {}",
                    report.getLayers().size(),
                    points,
                    batches,
                    seconds(nanos),
                    report.getMetricName(),
                    number(report.getBaseline()));
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
