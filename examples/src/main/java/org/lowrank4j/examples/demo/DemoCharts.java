package org.lowrank4j.examples.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the demo's charts with XChart: one series per method, the original as a single point. */
public final class DemoCharts {

    /** The file name of the accuracy-versus-parameters chart. */
    public static final String ACCURACY_VS_PARAMETERS = "accuracy-vs-parameters.png";

    /** The file name of the accuracy-versus-latency chart. */
    public static final String ACCURACY_VS_LATENCY = "accuracy-vs-latency.png";

    private DemoCharts() {}

    /**
     * Writes both charts into a folder.
     *
     * @param table the results
     * @param dir the folder
     * @return the files written
     * @throws IOException if a file cannot be written
     */
    public static List<Path> write(ResultTable table, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        files.add(
                save(
                        chart(
                                table,
                                "Accuracy vs parameters",
                                "parameters (thousands)",
                                r -> r.parameters() / 1e3),
                        dir.resolve(ACCURACY_VS_PARAMETERS)));
        files.add(
                save(
                        chart(
                                table,
                                "Accuracy vs measured latency",
                                "median latency per batch (ms)",
                                ResultRow::latencyMillis),
                        dir.resolve(ACCURACY_VS_LATENCY)));
        return files;
    }

    private static XYChart chart(
            ResultTable table, String title, String xTitle, ToDoubleFunction<ResultRow> x) {
        XYChart chart =
                new XYChartBuilder()
                        .width(720)
                        .height(440)
                        .title(title)
                        .xAxisTitle(xTitle)
                        .yAxisTitle("test accuracy after fine-tuning (%)")
                        .build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(9);
        Map<String, List<ResultRow>> byMethod = new LinkedHashMap<>();
        for (ResultRow r : table.getRows()) {
            byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<String, List<ResultRow>> e : byMethod.entrySet()) {
            List<ResultRow> rows = new ArrayList<>(e.getValue());
            // joined in the order of size, so that each line follows the ranks of its method
            rows.sort((a, b) -> Long.compare(a.parameters(), b.parameters()));
            double[] xs = new double[rows.size()];
            double[] ys = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                xs[i] = x.applyAsDouble(rows.get(i));
                ys[i] = 100 * rows.get(i).finalAccuracy();
            }
            XYSeries s = chart.addSeries(e.getKey(), xs, ys);
            if (rows.get(0) == table.getOriginal()) {
                s.setMarker(SeriesMarkers.DIAMOND);
            }
        }
        return chart;
    }

    private static Path save(XYChart chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
