package org.lowrank4j.examples.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The demo's results: the original model first, then every compressed model; printable as a text
 * table and exportable as CSV and markdown.
 */
public final class ResultTable {

    private static final String[] HEADERS = {
        "method",
        "rank",
        "layer ranks",
        "params",
        "conv params",
        "conv ×fewer",
        "FLOPs (MAC)",
        "acc. compressed",
        "acc. fine-tuned",
        "ms / batch",
        "speed-up",
        "compress + tune (s)"
    };

    private final ResultRow original;
    private final List<ResultRow> rows = new ArrayList<>();

    /**
     * Makes a table.
     *
     * @param original the row of the original model
     */
    public ResultTable(ResultRow original) {
        this.original = original;
        rows.add(original);
    }

    /**
     * Adds a compressed model.
     *
     * @param row its row
     */
    public void add(ResultRow row) {
        rows.add(row);
    }

    /**
     * Returns every row, the original first.
     *
     * @return the rows
     */
    public List<ResultRow> getRows() {
        return Collections.unmodifiableList(rows);
    }

    /**
     * Returns the row of the original model.
     *
     * @return the row
     */
    public ResultRow getOriginal() {
        return original;
    }

    /**
     * Returns the compressed models that keep the accuracy within {@code maxDropPoints} percentage
     * points of the original after fine-tuning, with at least {@code minConvReduction} times fewer
     * convolution parameters and a measured speed-up above 1.
     *
     * @param maxDropPoints the largest accuracy drop, in percentage points
     * @param minConvReduction the smallest reduction of the convolution parameters
     * @return the rows, in table order
     */
    public List<ResultRow> meeting(double maxDropPoints, double minConvReduction) {
        List<ResultRow> out = new ArrayList<>();
        for (ResultRow r : rows) {
            if (r != original
                    && 100 * (original.finalAccuracy() - r.finalAccuracy()) <= maxDropPoints
                    && r.convReduction(original) >= minConvReduction
                    && r.speedup() > 1) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Returns the table as aligned text.
     *
     * @return the text, one line per row after a header and a rule
     */
    public String toText() {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADERS);
        for (ResultRow r : rows) {
            cells.add(cells(r));
        }
        int[] width = new int[HEADERS.length];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int l = 0; l < cells.size(); l++) {
            String[] line = cells.get(l);
            for (int i = 0; i < line.length; i++) {
                String format = i < 3 ? "%-" + width[i] + "s" : "%" + width[i] + "s";
                sb.append(i == 0 ? "" : "  ").append(String.format(Locale.ROOT, format, line[i]));
            }
            sb.append('\n');
            if (l == 0) {
                int total = (line.length - 1) * 2;
                for (int w : width) {
                    total += w;
                }
                sb.append("-".repeat(total)).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Returns the table as a markdown table.
     *
     * @return the markdown
     */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < HEADERS.length; i++) {
            sb.append(' ').append(HEADERS[i]).append(" |");
            rule.append(i < 3 ? "---|" : "---:|");
        }
        sb.append('\n').append(rule).append('\n');
        for (ResultRow r : rows) {
            sb.append('|');
            for (String c : cells(r)) {
                sb.append(' ').append(c.isEmpty() ? " " : c).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Returns the table as CSV with raw numbers (accuracies as fractions, latency in milliseconds).
     *
     * @return the CSV, with a header line
     */
    public String toCsv() {
        StringBuilder sb =
                new StringBuilder(
                        "method,rank,layer_ranks,parameters,conv_parameters,conv_reduction,flops,"
                                + "accuracy_compressed,accuracy_finetuned,latency_ms,speedup,"
                                + "compress_finetune_s\n");
        for (ResultRow r : rows) {
            sb.append(csv(r.method()))
                    .append(',')
                    .append(csv(r.rank()))
                    .append(',')
                    .append(csv(r.realisedRanks()))
                    .append(',')
                    .append(r.parameters())
                    .append(',')
                    .append(r.convParameters())
                    .append(',')
                    .append(number(r.convReduction(original), 3))
                    .append(',')
                    .append(r.flops())
                    .append(',')
                    .append(number(r.accuracyBefore(), 4))
                    .append(',')
                    .append(number(r.accuracyAfter(), 4))
                    .append(',')
                    .append(number(r.latencyMillis(), 3))
                    .append(',')
                    .append(number(r.speedup(), 3))
                    .append(',')
                    .append(number(r.seconds(), 1))
                    .append('\n');
        }
        return sb.toString();
    }

    private String[] cells(ResultRow r) {
        return new String[] {
            r.method(),
            r.rank(),
            r.realisedRanks(),
            String.format(Locale.ROOT, "%,d", r.parameters()),
            String.format(Locale.ROOT, "%,d", r.convParameters()),
            String.format(Locale.ROOT, "%.2f", r.convReduction(original)),
            String.format(Locale.ROOT, "%,.2fM", r.flops() / 1e6),
            percent(r.accuracyBefore()),
            percent(r.accuracyAfter()),
            String.format(Locale.ROOT, "%.2f", r.latencyMillis()),
            String.format(Locale.ROOT, "%.2f×", r.speedup()),
            number(r.seconds(), 1)
        };
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) ? "" : String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    private static String number(double v, int decimals) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String csv(String s) {
        if (s.contains(",") || s.contains("\"")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }
}
