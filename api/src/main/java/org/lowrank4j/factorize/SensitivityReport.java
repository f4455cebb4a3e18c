package org.lowrank4j.factorize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.lowrank4j.cost.BlockCost;

/**
 * What a {@link SensitivitySweep} measured: the metric of the unchanged model, and for every layer
 * and every rank it tried, the metric with only that layer factorized at that rank and the drop
 * from the unchanged model's (positive when the metric got worse).
 *
 * <p>{@link #toString()} prints a table and {@link #toCsv()} exports it. {@link
 * RankSelector#budget(Budget, SensitivityReport)} uses the drops as the layers' error curves.
 */
public final class SensitivityReport {

    private final String metricName;
    private final boolean higherIsBetter;
    private final double baseline;
    private final List<Layer> layers;

    SensitivityReport(
            String metricName, boolean higherIsBetter, double baseline, List<Layer> layers) {
        this.metricName = metricName;
        this.higherIsBetter = higherIsBetter;
        this.baseline = baseline;
        this.layers = List.copyOf(layers);
    }

    /**
     * Returns the name of the metric.
     *
     * @return the evaluator's name
     */
    public String getMetricName() {
        return metricName;
    }

    /**
     * Returns whether a higher metric is better (an accuracy) or a lower one (a loss).
     *
     * @return whether higher is better
     */
    public boolean isHigherBetter() {
        return higherIsBetter;
    }

    /**
     * Returns the metric of the unchanged model.
     *
     * @return the metric
     */
    public double getBaseline() {
        return baseline;
    }

    /**
     * Returns the measured layers, in the model's forward order.
     *
     * @return the layers
     */
    public List<Layer> getLayers() {
        return layers;
    }

    /**
     * Returns the measurements of one layer.
     *
     * @param path the layer's path
     * @return the layer, {@code null} if the sweep did not measure it
     */
    public Layer getLayer(String path) {
        for (Layer l : layers) {
            if (l.path.equals(path)) {
                return l;
            }
        }
        return null;
    }

    /**
     * Returns the report as CSV, one row per layer and rank.
     *
     * @return the CSV text, with a header
     */
    public String toCsv() {
        StringBuilder b = new StringBuilder("path,ranks,params,flops,metric,drop\n");
        for (Layer l : layers) {
            for (Point p : l.points) {
                b.append(FactorizeReport.csv(l.path)).append(',');
                b.append(ranks(p.ranks)).append(',');
                b.append(p.cost.getParameters()).append(',');
                b.append(p.cost.getFlops()).append(',');
                b.append(num(p.metric)).append(',');
                b.append(num(p.drop)).append('\n');
            }
        }
        return b.toString();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"layer", "ranks", "params", "FLOPs", metricName, "drop"});
        rows.add(new String[] {"(unchanged)", "", "", "", num(baseline), ""});
        for (Layer l : layers) {
            for (Point p : l.points) {
                rows.add(
                        new String[] {
                            l.path,
                            ranks(p.ranks),
                            Long.toString(p.cost.getParameters()),
                            Long.toString(p.cost.getFlops()),
                            num(p.metric),
                            num(p.drop)
                        });
            }
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                String cell = i == 0 ? pad(r[i], width[i], false) : pad(r[i], width[i], true);
                b.append(i == 0 ? "" : "  ").append(cell);
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String pad(String s, int width, boolean left) {
        String fill = " ".repeat(width - s.length());
        return left ? fill + s : s + fill;
    }

    private static String ranks(int[] ranks) {
        StringBuilder b = new StringBuilder();
        for (int r : ranks) {
            b.append(b.length() == 0 ? "" : " ").append(r);
        }
        return b.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4g", v);
    }

    /** The measurements of one layer. */
    public static final class Layer {
        private final String path;
        private final String method;
        private final List<Point> points;

        Layer(String path, String method, List<Point> points) {
            this.path = path;
            this.method = method;
            this.points = List.copyOf(points);
        }

        /**
         * Returns the layer's path.
         *
         * @return the path
         */
        public String getPath() {
            return path;
        }

        /**
         * Returns the name of the method that factorized the layer.
         *
         * @return the method's name
         */
        public String getMethod() {
            return method;
        }

        /**
         * Returns the measured points, smallest ranks first.
         *
         * @return the points
         */
        public List<Point> getPoints() {
            return points;
        }

        /**
         * Returns the drop measured at given ranks.
         *
         * @param ranks one rank per mode
         * @return the drop, or {@code NaN} if those ranks were not measured
         */
        public double dropAt(int... ranks) {
            for (Point p : points) {
                if (Arrays.equals(p.ranks, ranks)) {
                    return p.drop;
                }
            }
            return Double.NaN;
        }
    }

    /** One layer factorized at one rank tuple. */
    public static final class Point {
        private final int[] ranks;
        private final BlockCost cost;
        private final double metric;
        private final double drop;

        Point(int[] ranks, BlockCost cost, double metric, double drop) {
            this.ranks = ranks.clone();
            this.cost = cost;
            this.metric = metric;
            this.drop = drop;
        }

        /**
         * Returns the ranks, one per mode of the layer's method.
         *
         * @return a copy of the ranks
         */
        public int[] getRanks() {
            return ranks.clone();
        }

        /**
         * Returns the cost of the factorized layer at these ranks.
         *
         * @return the cost
         */
        public BlockCost getCost() {
            return cost;
        }

        /**
         * Returns the metric of the model with only this layer factorized at these ranks.
         *
         * @return the metric
         */
        public double getMetric() {
            return metric;
        }

        /**
         * Returns how much worse the metric is than the unchanged model's: {@code baseline −
         * metric} for an accuracy, {@code metric − baseline} for a loss.
         *
         * @return the drop; negative if the metric improved
         */
        public double getDrop() {
            return drop;
        }
    }
}
