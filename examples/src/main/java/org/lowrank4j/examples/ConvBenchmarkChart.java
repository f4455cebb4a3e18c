package org.lowrank4j.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Draws the rows of {@code convolutions.csv} written by {@link ConvBenchmark} as a bar chart of the
 * time relative to the dense convolution, one group of bars per variant and one series per
 * configuration (layer, engine, threads).
 */
public final class ConvBenchmarkChart {

    private ConvBenchmarkChart() {}

    /**
     * Draws the chart.
     *
     * @param args the CSV file (default {@code docs/benchmarks/convolutions.csv}) and the PNG file
     *     (default {@code docs/benchmarks/convolutions.png})
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path csv = Paths.get(args.length > 0 ? args[0] : "docs/benchmarks/convolutions.csv");
        String png = args.length > 1 ? args[1] : "docs/benchmarks/convolutions.png";
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        Map<String, Map<String, Double>> series = new LinkedHashMap<>();
        List<String> variants = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            String variant = f[5];
            if ("dense".equals(variant)) {
                continue;
            }
            String name = f[0] + " " + f[1] + " r" + f[2] + ", " + f[3] + " " + f[4] + "t";
            series.computeIfAbsent(name, k -> new LinkedHashMap<>())
                    .put(variant, Double.parseDouble(f[8]));
            if (!variants.contains(variant)) {
                variants.add(variant);
            }
        }
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(1400)
                        .height(700)
                        .title("Factorized convolutions: time relative to the dense convolution")
                        .xAxisTitle("variant")
                        .yAxisTitle("time / dense time (lower is faster)")
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisLabelRotation(45);
        for (Map.Entry<String, Map<String, Double>> e : series.entrySet()) {
            List<Double> values = new ArrayList<>();
            for (String v : variants) {
                values.add(e.getValue().getOrDefault(v, Double.NaN));
            }
            chart.addSeries(e.getKey(), variants, values);
        }
        BitmapEncoder.saveBitmap(chart, png, BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + png);
    }
}
