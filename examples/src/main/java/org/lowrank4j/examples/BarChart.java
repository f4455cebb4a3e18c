package org.lowrank4j.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * A bar chart of values per category, one series of bars per name, drawn to a PNG with XChart; the
 * benchmark charts fill it from their CSV files.
 */
final class BarChart {

    private final Map<String, Map<String, Double>> series = new LinkedHashMap<>();
    private final List<String> categories = new ArrayList<>();

    /** Adds one bar: the value of {@code seriesName} at {@code category}. */
    void put(String seriesName, String category, double value) {
        series.computeIfAbsent(seriesName, k -> new LinkedHashMap<>()).put(category, value);
        if (!categories.contains(category)) {
            categories.add(category);
        }
    }

    /**
     * Writes the chart; categories missing from a series show no bar.
     *
     * @param logarithmic whether the value axis is logarithmic
     */
    void save(String png, String title, String xTitle, String yTitle, boolean logarithmic)
            throws IOException {
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(1400)
                        .height(700)
                        .title(title)
                        .xAxisTitle(xTitle)
                        .yAxisTitle(yTitle)
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisLabelRotation(45);
        if (logarithmic) {
            // bars grow from the axis minimum: the smallest value or less
            double min = Double.POSITIVE_INFINITY;
            for (Map<String, Double> values : series.values()) {
                for (double v : values.values()) {
                    min = Math.min(min, v);
                }
            }
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        }
        for (Map.Entry<String, Map<String, Double>> e : series.entrySet()) {
            List<Double> values = new ArrayList<>();
            for (String c : categories) {
                values.add(e.getValue().getOrDefault(c, logarithmic ? null : Double.NaN));
            }
            chart.addSeries(e.getKey(), categories, values);
        }
        BitmapEncoder.saveBitmap(chart, png, BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + png);
    }
}
