package org.lowrank4j.factorize;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.lowrank4j.cost.BlockCost;

/**
 * What a {@link Factorizer} did: for every candidate layer, whether it was swapped (or why not),
 * the new type and ranks, parameters and FLOPs before and after, the relative weight error, the
 * output error on the calibration data and, when measured, the latency before and after; the totals
 * of the whole model; the blocks it refused to enter; and the {@link FactorizePlan} to rebuild the
 * result.
 *
 * <p>{@link #toString()} prints a table; {@link #toCsv()} and {@link #toJson()} export it.
 */
public final class FactorizeReport {

    private final List<Layer> layers;
    private final BlockCost totalBefore;
    private final BlockCost totalAfter;
    private final List<String> refused;
    private final List<String> notes;
    private final FactorizePlan plan;

    FactorizeReport(
            List<Layer> layers,
            BlockCost totalBefore,
            BlockCost totalAfter,
            List<String> refused,
            List<String> notes,
            FactorizePlan plan) {
        this.layers = Collections.unmodifiableList(new ArrayList<>(layers));
        this.totalBefore = totalBefore;
        this.totalAfter = totalAfter;
        this.refused = Collections.unmodifiableList(new ArrayList<>(refused));
        this.notes = Collections.unmodifiableList(new ArrayList<>(notes));
        this.plan = plan;
    }

    /** The same report with another plan. */
    FactorizeReport withPlan(FactorizePlan other) {
        return new FactorizeReport(layers, totalBefore, totalAfter, refused, notes, other);
    }

    /**
     * Returns every candidate layer, in forward order.
     *
     * @return the layers
     */
    public List<Layer> getLayers() {
        return layers;
    }

    /**
     * Returns the swapped layers.
     *
     * @return the layers that were replaced
     */
    public List<Layer> getSwapped() {
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l.isSwapped()) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * Returns the layer at a path.
     *
     * @param path the path
     * @return the layer
     * @throws IllegalArgumentException if no candidate layer has that path
     */
    public Layer getLayer(String path) {
        for (Layer l : layers) {
            if (l.path.equals(path)) {
                return l;
            }
        }
        throw new IllegalArgumentException(
                "no candidate layer has path '" + path + "'; see getLayers() for the paths");
    }

    /**
     * Returns the cost of the whole model before.
     *
     * @return the total parameters and FLOPs before
     */
    public BlockCost getTotalBefore() {
        return totalBefore;
    }

    /**
     * Returns the cost of the whole model after.
     *
     * @return the total parameters and FLOPs after
     */
    public BlockCost getTotalAfter() {
        return totalAfter;
    }

    /**
     * Returns the containers that forward through fields rather than their children, which the
     * factorizer left alone with everything inside.
     *
     * @return their paths and types
     */
    public List<String> getRefusedBlocks() {
        return refused;
    }

    /**
     * Returns the plan that rebuilds the factorized structure.
     *
     * @return the plan
     */
    public FactorizePlan getPlan() {
        return plan;
    }

    /**
     * Returns the report as CSV, one row per candidate layer and a final total row.
     *
     * @return the CSV text, with a header
     */
    public String toCsv() {
        StringBuilder b = new StringBuilder();
        b.append(
                "path,old_type,new_type,method,ranks,implementation,params_before,params_after,"
                        + "flops_before,flops_after,weight_error,output_nmse,latency_before_ms,"
                        + "latency_after_ms,swapped,reason\n");
        for (Layer l : layers) {
            b.append(csv(l.path)).append(',');
            b.append(csv(l.oldType)).append(',');
            b.append(csv(nz(l.newType))).append(',');
            b.append(csv(nz(l.method))).append(',');
            b.append(csv(ranks(l.ranks, " "))).append(',');
            b.append(csv(nz(l.implementation))).append(',');
            b.append(l.before.getParameters()).append(',');
            b.append(l.after.getParameters()).append(',');
            b.append(l.before.getFlops()).append(',');
            b.append(l.after.getFlops()).append(',');
            b.append(num(l.weightError)).append(',');
            b.append(num(l.outputNmse)).append(',');
            b.append(num(l.latencyBefore)).append(',');
            b.append(num(l.latencyAfter)).append(',');
            b.append(l.swapped).append(',');
            b.append(csv(nz(l.reason))).append('\n');
        }
        b.append("TOTAL,,,,,,")
                .append(totalBefore.getParameters())
                .append(',')
                .append(totalAfter.getParameters())
                .append(',')
                .append(totalBefore.getFlops())
                .append(',')
                .append(totalAfter.getFlops())
                .append(",,,,,,\n");
        return b.toString();
    }

    /**
     * Returns what the report says about the model as a whole, beside its layers: for instance that
     * a {@link RankSelector#budget budget} could not be met.
     *
     * @return the notes, empty when there is nothing to say
     */
    public List<String> getNotes() {
        return notes;
    }

    /**
     * Returns the report as JSON: the layers, the totals, the refused blocks, the notes and the
     * plan.
     *
     * @return the JSON text
     */
    public String toJson() {
        JsonObject root = new JsonObject();
        JsonArray rows = new JsonArray();
        for (Layer l : layers) {
            JsonObject o = new JsonObject();
            o.addProperty("path", l.path);
            o.addProperty("oldType", l.oldType);
            o.addProperty("newType", l.newType);
            o.addProperty("method", l.method);
            JsonArray ranks = new JsonArray();
            for (int r : l.ranks) {
                ranks.add(r);
            }
            o.add("ranks", ranks);
            o.addProperty("implementation", l.implementation);
            o.addProperty("paramsBefore", l.before.getParameters());
            o.addProperty("paramsAfter", l.after.getParameters());
            o.addProperty("flopsBefore", l.before.getFlops());
            o.addProperty("flopsAfter", l.after.getFlops());
            o.add("weightError", number(l.weightError));
            o.add("outputNmse", number(l.outputNmse));
            o.add("latencyBeforeMs", number(l.latencyBefore));
            o.add("latencyAfterMs", number(l.latencyAfter));
            o.addProperty("swapped", l.swapped);
            o.addProperty("reason", l.reason);
            rows.add(o);
        }
        root.add("layers", rows);
        JsonObject total = new JsonObject();
        total.addProperty("paramsBefore", totalBefore.getParameters());
        total.addProperty("paramsAfter", totalAfter.getParameters());
        total.addProperty("flopsBefore", totalBefore.getFlops());
        total.addProperty("flopsAfter", totalAfter.getFlops());
        root.add("total", total);
        JsonArray refusedList = new JsonArray();
        refused.forEach(refusedList::add);
        root.add("refused", refusedList);
        JsonArray noteList = new JsonArray();
        notes.forEach(noteList::add);
        root.add("notes", noteList);
        root.add("plan", plan.toJsonTree());
        return FactorizePlan.GSON.toJson(root) + "\n";
    }

    /** A number, or JSON null for NaN and infinities, which JSON cannot hold. */
    private static JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    /**
     * Returns the report as a table: one line per candidate layer, then the totals.
     *
     * @return the table
     */
    @Override
    public String toString() {
        List<String[]> rows = new ArrayList<>();
        rows.add(
                new String[] {
                    "layer", "type", "rank", "params", "FLOPs", "weight err", "output nmse", "note"
                });
        for (Layer l : layers) {
            rows.add(
                    new String[] {
                        l.path,
                        l.swapped ? l.oldType + " -> " + l.newType : l.oldType,
                        ranks(l.ranks, "x"),
                        l.swapped
                                ? l.before.getParameters() + " -> " + l.after.getParameters()
                                : String.valueOf(l.before.getParameters()),
                        l.swapped
                                ? l.before.getFlops() + " -> " + l.after.getFlops()
                                : String.valueOf(l.before.getFlops()),
                        fmt(l.weightError),
                        fmt(l.outputNmse),
                        l.swapped ? "" : "kept: " + l.reason
                    });
        }
        rows.add(
                new String[] {
                    "total",
                    getSwapped().size() + " of " + layers.size() + " swapped",
                    "",
                    totalBefore.getParameters() + " -> " + totalAfter.getParameters(),
                    totalBefore.getFlops() + " -> " + totalAfter.getFlops(),
                    "",
                    "",
                    ""
                });
        boolean timed = false;
        for (Layer l : layers) {
            timed |= !Double.isNaN(l.latencyBefore);
        }
        if (timed) {
            // a latency column before the note
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                String cell = "";
                if (i == 0) {
                    cell = "latency ms";
                } else if (i <= layers.size()) {
                    Layer l = layers.get(i - 1);
                    cell =
                            Double.isNaN(l.latencyBefore)
                                    ? ""
                                    : fmt(l.latencyBefore) + " -> " + fmt(l.latencyAfter);
                }
                String[] wide = Arrays.copyOf(r, r.length + 1);
                wide[r.length - 1] = cell;
                wide[r.length] = r[r.length - 1];
                rows.set(i, wide);
            }
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length - 1; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : pad(r[i], widths[i])).append("  ");
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        for (String r : refused) {
            b.append("refused (forwards through fields): ").append(r).append('\n');
        }
        for (String n : notes) {
            b.append("note: ").append(n).append('\n');
        }
        return b.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.valueOf(v);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String ranks(int[] ranks, String sep) {
        StringBuilder b = new StringBuilder();
        for (int r : ranks) {
            b.append(b.length() == 0 ? "" : sep).append(r);
        }
        return b.toString();
    }

    static String csv(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /** One candidate layer of the report. */
    public static final class Layer {

        private final String path;
        private final String oldType;
        private final String newType;
        private final String method;
        private final int[] ranks;
        private final String implementation;
        private final BlockCost before;
        private final BlockCost after;
        private final double weightError;
        private final double outputNmse;
        private final double latencyBefore;
        private final double latencyAfter;
        private final boolean swapped;
        private final String reason;

        Layer(
                String path,
                String oldType,
                String newType,
                String method,
                int[] ranks,
                String implementation,
                BlockCost before,
                BlockCost after,
                double weightError,
                double outputNmse,
                double latencyBefore,
                double latencyAfter,
                String reason) {
            this.path = path;
            this.oldType = oldType;
            this.newType = newType;
            this.method = method;
            this.ranks = ranks.clone();
            this.implementation = implementation;
            this.before = before;
            this.after = after;
            this.weightError = weightError;
            this.outputNmse = outputNmse;
            this.latencyBefore = latencyBefore;
            this.latencyAfter = latencyAfter;
            this.swapped = reason == null;
            this.reason = reason;
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
         * Returns the simple class name of the original layer.
         *
         * @return the old type
         */
        public String getOldType() {
            return oldType;
        }

        /**
         * Returns the simple class name of the new block.
         *
         * @return the new type, {@code null} if the layer was kept
         */
        public String getNewType() {
            return newType;
        }

        /**
         * Returns the name of the method used.
         *
         * @return the method, {@code null} if the layer was kept
         */
        public String getMethod() {
            return method;
        }

        /**
         * Returns the realised ranks.
         *
         * @return a copy, empty if the layer was kept
         */
        public int[] getRanks() {
            return ranks.clone();
        }

        /**
         * Returns the new block's forward implementation.
         *
         * @return the implementation, {@code null} if the layer was kept
         */
        public String getImplementation() {
            return implementation;
        }

        /**
         * Returns the layer's cost before.
         *
         * @return the cost of the original layer
         */
        public BlockCost getBefore() {
            return before;
        }

        /**
         * Returns the layer's cost after: the new block's, or the original's if it was kept.
         *
         * @return the cost
         */
        public BlockCost getAfter() {
            return after;
        }

        /**
         * Returns the relative Frobenius error of the new block's weight.
         *
         * @return the error, NaN if the layer was kept
         */
        public double getWeightError() {
            return weightError;
        }

        /**
         * Returns the normalised mean squared output error on the calibration data.
         *
         * @return the nmse, NaN without calibration data or if the layer was kept
         */
        public double getOutputNmse() {
            return outputNmse;
        }

        /**
         * Returns the measured latency of the dense layer.
         *
         * @return milliseconds, NaN when latency was not measured
         */
        public double getLatencyBefore() {
            return latencyBefore;
        }

        /**
         * Returns the measured latency of the factorized block (also when it was not swapped
         * because it measured slower).
         *
         * @return milliseconds, NaN when latency was not measured
         */
        public double getLatencyAfter() {
            return latencyAfter;
        }

        /**
         * Returns whether the layer was swapped.
         *
         * @return whether it was replaced
         */
        public boolean isSwapped() {
            return swapped;
        }

        /**
         * Returns why the layer was kept.
         *
         * @return the reason, {@code null} if it was swapped
         */
        public String getReason() {
            return reason;
        }
    }
}
