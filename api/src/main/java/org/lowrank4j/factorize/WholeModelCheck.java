package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.lowrank4j.cost.LatencyMeter;

/**
 * The last word of a measured factorization: with a latency meter, every swap was kept because its
 * layer measured faster, but a model is more than its layers (fused operators, memory traffic
 * between them), so the whole swapped model is measured too. Where it is slower than the dense
 * model, swaps are undone, those with the smallest measured gain first, half of the remaining ones
 * at a time, until the model measures no slower (at most about {@code log2(n) + 1} measurements).
 */
final class WholeModelCheck {

    private WholeModelCheck() {}

    /**
     * Measures the swapped model and undoes swaps while it is slower than {@code dense}.
     *
     * @param block the model, with the swaps in place
     * @param shapes its input shapes
     * @param meter the meter the swaps were measured with
     * @param dense the dense model's latency, in milliseconds
     * @param swapped the swapped candidates; those undone get their reason
     * @param notes the report's notes, told what was undone
     */
    static void keepIfFaster(
            Block block,
            Shape[] shapes,
            LatencyMeter meter,
            double dense,
            List<Candidate> swapped,
            List<String> notes) {
        double measured = meter.measure(block, shapes);
        if (!(measured > dense) || swapped.isEmpty()) {
            return;
        }
        double first = measured;
        List<Candidate> order = new ArrayList<>(swapped);
        order.sort(Comparator.comparingDouble(c -> c.latencyBefore - c.latencyAfter));
        int undone = 0;
        while (measured > dense && undone < order.size()) {
            int n = Math.max(1, (order.size() - undone + 1) / 2);
            List<Candidate> batch = order.subList(undone, undone + n);
            List<BlockTree.Node> nodes = new ArrayList<>();
            for (Candidate c : batch) {
                nodes.add(c.node);
            }
            BlockTree.putBack(nodes);
            for (Candidate c : batch) {
                Factorizer.dispose(c.result.getBlock());
                c.unprofitable = true;
                c.reason =
                        String.format(
                                Locale.ROOT,
                                "swap undone: the whole model measured slower than dense with it"
                                        + " (%.4g ms against %.4g ms); the swaps of smallest"
                                        + " measured gain are undone first",
                                first,
                                dense);
            }
            undone += n;
            measured = meter.measure(block, shapes);
        }
        String note =
                String.format(
                        Locale.ROOT,
                        "the whole model measured %.4g ms with all %d swaps against %.4g ms dense;"
                                + " %d swap(s) of the smallest measured gain were undone, and it"
                                + " measures %.4g ms",
                        first,
                        order.size(),
                        dense,
                        undone,
                        measured);
        notes.add(note);
        FactorizeLog.undone(note);
    }
}
