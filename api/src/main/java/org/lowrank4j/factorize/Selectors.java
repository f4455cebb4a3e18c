package org.lowrank4j.factorize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.tensor.Rank;

/** The {@link RankSelector}s of this library. */
final class Selectors {

    private Selectors() {}

    /** Always the same rank. */
    static final class Fixed implements RankSelector {
        final Rank rank;

        Fixed(Rank rank) {
            if (rank == null) {
                throw new IllegalArgumentException(
                        "rank null is not accepted; Rank.of(r), Rank.fraction(f) or Rank.same() is");
            }
            this.rank = rank;
        }

        @Override
        public Rank select(LayerProfile layer) {
            return rank;
        }

        @Override
        public String toString() {
            return "fixed(" + rank + ")";
        }
    }

    /** The smallest rank keeping a fraction of the energy. */
    static final class Energy implements RankSelector {
        private static final double SLACK = 1e-12;
        final double energy;

        Energy(double energy) {
            if (!(energy > 0 && energy <= 1)) {
                throw new IllegalArgumentException(
                        "energy fraction " + energy + " is not accepted; a fraction in (0, 1] is");
            }
            this.energy = energy;
        }

        @Override
        public Rank select(LayerProfile layer) {
            int[] ranks = new int[layer.getModes()];
            if (layer.getOutputSpectrum() != null && ranks.length == 1) {
                double[] values = layer.getOutputSpectrum().getEigenvalues();
                ranks[0] = Math.min(layer.getMaxRank(0), smallest(values, energy, false));
            } else {
                for (int i = 0; i < ranks.length; i++) {
                    double[] sv = layer.getSingularValues(i);
                    ranks[i] = Math.min(layer.getMaxRank(i), smallest(sv, energy, true));
                }
            }
            return Rank.of(ranks);
        }

        /** The smallest count of leading values whose (squared) sum reaches the fraction. */
        static int smallest(double[] values, double fraction, boolean square) {
            double total = 0;
            for (double v : values) {
                total += square ? v * v : Math.max(0, v);
            }
            if (total <= 0) {
                return 1;
            }
            double goal = fraction * total * (1 - SLACK);
            double kept = 0;
            for (int i = 0; i < values.length; i++) {
                double v = values[i];
                kept += square ? v * v : Math.max(0, v);
                if (kept >= goal) {
                    return i + 1;
                }
            }
            return Math.max(1, values.length);
        }

        @Override
        public String toString() {
            return "energy(" + energy + ")";
        }
    }

    /** Empirical variational Bayesian matrix factorization. */
    static final class Vbmf implements RankSelector {
        final double weakening;

        Vbmf(double weakening) {
            if (!(weakening >= 0 && weakening <= 1)) {
                throw new IllegalArgumentException(
                        "VBMF weakening factor "
                                + weakening
                                + " is not accepted; a factor in [0, 1] is");
            }
            this.weakening = weakening;
        }

        @Override
        public Rank select(LayerProfile layer) {
            int[] ranks = new int[layer.getModes()];
            for (int i = 0; i < ranks.length; i++) {
                int max = layer.getMaxRank(i);
                int r =
                        Evbmf.rank(
                                layer.getSingularValues(i), layer.getRows(i), layer.getColumns(i));
                double weakened = r + weakening * (max - r);
                ranks[i] = (int) Math.max(1, Math.min(max, Math.floor(weakened + 0.5)));
            }
            return Rank.of(ranks);
        }

        @Override
        public String toString() {
            return weakening == 0 ? "vbmf()" : "vbmf(" + weakening + ")";
        }
    }

    /** Rounds another selector's ranks to multiples. */
    static final class MultipleOf implements RankSelector {
        final RankSelector inner;
        final int multiple;

        MultipleOf(RankSelector inner, int multiple) {
            if (multiple < 1) {
                throw new IllegalArgumentException(
                        "rank multiple " + multiple + " is not accepted; it must be >= 1");
            }
            this.inner = inner;
            this.multiple = multiple;
        }

        @Override
        public Rank select(LayerProfile layer) {
            return round(layer, inner.select(layer));
        }

        @Override
        public boolean isGlobal() {
            return inner.isGlobal();
        }

        @Override
        public Map<String, Rank> selectAll(ModelProfile model) {
            return selectAll(model, new ArrayList<>());
        }

        @Override
        public Map<String, Rank> selectAll(ModelProfile model, List<String> notes) {
            if (!inner.isGlobal()) {
                return RankSelector.super.selectAll(model);
            }
            List<LayerProfile> stepped = new ArrayList<>();
            for (LayerProfile l : model.getLayers()) {
                stepped.add(l.withRankStep(multiple));
            }
            Map<String, Rank> chosen = inner.selectAll(model.withLayers(stepped), notes);
            Map<String, Rank> out = new LinkedHashMap<>();
            for (LayerProfile l : stepped) {
                Rank r = chosen.get(l.getPath());
                if (r != null) {
                    out.put(l.getPath(), round(l, r));
                }
            }
            return out;
        }

        @Override
        public LatencyMeter latencyMeter() {
            return inner.latencyMeter();
        }

        private Rank round(LayerProfile layer, Rank rank) {
            int[] r = layer.resolve(rank);
            for (int i = 0; i < r.length; i++) {
                r[i] = LayerProfile.roundToStep(r[i], layer.getMaxRank(i), multiple);
            }
            return Rank.of(r);
        }

        @Override
        public String toString() {
            return inner + ".multipleOf(" + multiple + ")";
        }
    }

    /** Spends a global budget with the least total error. */
    static final class BudgetSelector implements RankSelector {
        final Budget budget;
        final SensitivityReport sensitivity;
        final LatencyMeter meter;

        BudgetSelector(Budget budget) {
            this(budget, null);
        }

        BudgetSelector(Budget budget, SensitivityReport sensitivity) {
            if (budget == null) {
                throw new IllegalArgumentException(
                        "budget null is not accepted; Budget.flops(f), Budget.parameters(f),"
                                + " Budget.flopsTotal(n), Budget.parametersTotal(n),"
                                + " Budget.latency(f) or Budget.latencyTotal(ms) is");
            }
            this.budget = budget;
            this.sensitivity = sensitivity;
            this.meter = budget.getLatencyMeter();
        }

        @Override
        public Rank select(LayerProfile layer) {
            throw new IllegalStateException(
                    "the budget selector chooses ranks for a whole model; it is accepted as the"
                            + " policy's rank, not for one layer ('"
                            + layer.getPath()
                            + "')");
        }

        @Override
        public LatencyMeter latencyMeter() {
            return meter;
        }

        @Override
        public boolean isGlobal() {
            return true;
        }

        @Override
        public Map<String, Rank> selectAll(ModelProfile model) {
            return selectAll(model, new ArrayList<>());
        }

        /**
         * Selects the ranks, and adds to {@code notes} a sentence when the budget cannot be met:
         * when even the cheapest candidate of every layer it spends costs more than the target
         * leaves them (each layer then gets its cheapest, the closest the model can come).
         */
        @Override
        public Map<String, Rank> selectAll(ModelProfile model, List<String> notes) {
            List<LayerProfile> layers = model.getLayers();
            long available;
            if (meter != null) {
                if (Double.isNaN(model.getLatencyBefore())) {
                    throw new IllegalStateException(
                            "the latency budget "
                                    + budget
                                    + " needs the model's measured latency, which the model"
                                    + " profile lacks; a profile with ModelProfile.withLatency (as"
                                    + " the Factorizer makes it) is accepted");
                }
                available =
                        nanos(budget.target(model.getLatencyBefore()))
                                - nanos(model.getLatencyOthers());
            } else {
                available =
                        budget.target(model.getTotalBefore()) - budget.measure(model.getOthers());
            }
            List<Curve> curves = new ArrayList<>();
            for (LayerProfile l : layers) {
                curves.add(new Curve(l, budget, sensitivity, meter));
            }
            int[] choice = allocate(curves, available);
            long cheapest = 0;
            for (Curve c : curves) {
                cheapest += c.cost[c.cheapest()];
            }
            if (cheapest > available) {
                notes.add(
                        "the budget ("
                                + budget
                                + ") cannot be met: "
                                + (available <= 0
                                        ? "the layers it does not spend take more than all of it"
                                        : "it leaves "
                                                + amount(available)
                                                + " to the "
                                                + curves.size()
                                                + " layer(s) it spends, whose cheapest candidates"
                                                + " take "
                                                + amount(cheapest))
                                + "; each of them got its cheapest");
            }
            Map<String, Rank> out = new LinkedHashMap<>();
            for (int i = 0; i < curves.size(); i++) {
                int[] ranks = curves.get(i).ranks.get(choice[i]);
                if (ranks != null) {
                    out.put(layers.get(i).getPath(), Rank.of(ranks));
                }
            }
            return out;
        }

        /** A quantity of the budget's metric, with its unit. */
        private String amount(long value) {
            if (meter != null) {
                return String.format(Locale.ROOT, "%.3f ms", value / 1e6);
            }
            return value + (budget.getMetric() == Budget.Metric.FLOPS ? " FLOPs" : " parameters");
        }

        /**
         * Picks one point per curve with total cost at most {@code available} and the least total
         * error. Greedy: every layer offers its steepest affordable step (the point that saves the
         * most error per unit of extra cost, the first vertex of the lower convex hull of the
         * points it can still afford), and the steepest offer of all is taken, until none fits;
         * then single moves to any point that still fits, largest error saving first.
         */
        static int[] allocate(List<Curve> curves, long available) {
            int n = curves.size();
            int[] pos = new int[n];
            long spent = 0;
            for (int i = 0; i < n; i++) {
                pos[i] = curves.get(i).cheapest();
                spent += curves.get(i).cost[pos[i]];
            }
            if (spent > available) {
                return pos; // the cheapest choice everywhere is as close as it gets
            }
            PriorityQueue<double[]> offers =
                    new PriorityQueue<>((x, y) -> Double.compare(y[0], x[0]));
            for (int i = 0; i < n; i++) {
                offer(offers, curves.get(i), i, pos[i], available - spent);
            }
            while (!offers.isEmpty()) {
                double[] o = offers.poll();
                int i = (int) o[1];
                int to = (int) o[2];
                Curve c = curves.get(i);
                long delta = c.cost[to] - c.cost[pos[i]];
                if (spent + delta > available) {
                    // the budget shrank since this offer: offer what is affordable now
                    offer(offers, c, i, pos[i], available - spent);
                    continue;
                }
                spent += delta;
                pos[i] = to;
                offer(offers, c, i, to, available - spent);
            }
            while (true) {
                int bestLayer = -1;
                int bestPoint = -1;
                double bestGain = 0;
                for (int i = 0; i < n; i++) {
                    Curve c = curves.get(i);
                    for (int p = 0; p < c.cost.length; p++) {
                        long delta = c.cost[p] - c.cost[pos[i]];
                        double gain = c.error[pos[i]] - c.error[p];
                        if (gain > bestGain && spent + delta <= available) {
                            bestGain = gain;
                            bestLayer = i;
                            bestPoint = p;
                        }
                    }
                }
                if (bestLayer < 0) {
                    return pos;
                }
                Curve c = curves.get(bestLayer);
                spent += c.cost[bestPoint] - c.cost[pos[bestLayer]];
                pos[bestLayer] = bestPoint;
            }
        }

        /** Offers a layer's steepest step from {@code at} that costs at most {@code room}. */
        private static void offer(
                PriorityQueue<double[]> offers, Curve c, int layer, int at, long room) {
            int best = -1;
            double bestSlope = 0;
            for (int p = 0; p < c.cost.length; p++) {
                long delta = c.cost[p] - c.cost[at];
                double gain = c.error[at] - c.error[p];
                if (gain <= 0 || delta > room) {
                    continue;
                }
                double slope = delta <= 0 ? Double.POSITIVE_INFINITY : gain / delta;
                if (slope >= bestSlope) {
                    bestSlope = slope;
                    best = p;
                }
            }
            if (best >= 0) {
                offers.add(new double[] {bestSlope, layer, best});
            }
        }

        @Override
        public String toString() {
            return "budget(" + budget + (sensitivity == null ? "" : ", measured sensitivity") + ")";
        }
    }

    /** Milliseconds as whole nanoseconds, the unit latency curves are allocated in. */
    static long nanos(double millis) {
        return Math.round(millis * 1e6);
    }

    /**
     * One layer's error-versus-cost points in the budget's metric: every candidate cheaper than the
     * dense layer (fewer parameters and fewer FLOPs), then the dense layer itself (error 0, ranks
     * {@code null}). With a sensitivity report that measured the layer, the candidates are the
     * measured ranks and the error is the measured drop (a negative drop counts as 0). With a
     * latency meter, the costs are measured latencies in nanoseconds ({@link
     * LayerProfile#latencyAt}, the fastest implementation) and a candidate must also measure faster
     * than the dense layer.
     */
    static final class Curve {
        final List<int[]> ranks = new ArrayList<>();
        final long[] cost;
        final double[] error;

        Curve(LayerProfile layer, Budget budget) {
            this(layer, budget, null, null);
        }

        Curve(
                LayerProfile layer,
                Budget budget,
                SensitivityReport sensitivity,
                LatencyMeter meter) {
            List<Long> costs = new ArrayList<>();
            List<Double> errors = new ArrayList<>();
            SensitivityReport.Layer measured =
                    sensitivity == null ? null : sensitivity.getLayer(layer.getPath());
            List<int[]> points = new ArrayList<>();
            if (measured != null) {
                for (SensitivityReport.Point p : measured.getPoints()) {
                    int[] r = p.getRanks();
                    if (r.length == layer.getModes()) {
                        points.add(r);
                    }
                }
            }
            if (points.isEmpty()) {
                measured = null;
                points = layer.candidates();
            }
            long dense =
                    meter == null
                            ? budget.measure(layer.getDenseCost())
                            : nanos(layer.denseLatency(meter));
            BlockCost denseCost = layer.getDenseCost();
            for (int[] r : points) {
                BlockCost at = layer.costAt(r);
                // timed: the implementation is chosen by measurement, so only the parameters
                // (the same for every implementation) rule a rank out before it is timed
                if (meter == null
                        ? !at.isCheaperThan(denseCost)
                        : at.getParameters() >= denseCost.getParameters()) {
                    continue;
                }
                long c;
                if (meter == null) {
                    c = budget.measure(at);
                } else {
                    double millis = layer.latencyAt(meter, r);
                    c = Double.isFinite(millis) ? nanos(millis) : Long.MAX_VALUE;
                    if (c >= dense) {
                        continue; // a swap that measures no faster is not made
                    }
                }
                ranks.add(r);
                costs.add(c);
                errors.add(measured == null ? layer.errorAt(r) : Math.max(0, measured.dropAt(r)));
            }
            ranks.add(null);
            costs.add(dense);
            errors.add(0.0);
            cost = new long[costs.size()];
            error = new double[costs.size()];
            for (int i = 0; i < cost.length; i++) {
                cost[i] = costs.get(i);
                error[i] = errors.get(i);
            }
        }

        /** The cheapest point, the most accurate among equally cheap ones. */
        int cheapest() {
            int best = 0;
            for (int p = 1; p < cost.length; p++) {
                if (cost[p] < cost[best] || (cost[p] == cost[best] && error[p] < error[best])) {
                    best = p;
                }
            }
            return best;
        }
    }
}
