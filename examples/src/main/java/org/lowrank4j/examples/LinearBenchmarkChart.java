package org.lowrank4j.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/**
 * Draws the rows of {@code linear.csv} written by {@link LinearBenchmark} as a bar chart of the
 * time relative to the dense layer (logarithmic axis), one group of bars per configuration (size,
 * format, rank) and one series per engine and variant (FACTORIZED, AUTO, tuned AUTO).
 */
public final class LinearBenchmarkChart {

    private LinearBenchmarkChart() {}

    /**
     * Draws the chart.
     *
     * @param args the CSV file (default {@code docs/benchmarks/linear.csv}) and the PNG file
     *     (default {@code docs/benchmarks/linear.png})
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        String csv = args.length > 0 ? args[0] : "docs/benchmarks/linear.csv";
        String png = args.length > 1 ? args[1] : "docs/benchmarks/linear.png";
        List<String> lines = Files.readAllLines(Paths.get(csv), StandardCharsets.UTF_8);
        List<String> header = List.of(lines.get(0).split(","));
        BarChart chart = new BarChart();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            String category = f[0] + "x" + f[1] + " b" + f[2] + " " + f[6] + " " + f[7];
            String engine = f[3] + " " + f[4] + "t";
            double dense = Double.parseDouble(f[header.indexOf("dense_ms")]);
            String[][] variants = {
                {"factorized_ms", "FACTORIZED"}, {"auto_ms", "AUTO"}, {"tuned_ms", "AUTO tuned"}
            };
            for (String[] v : variants) {
                double ms = Double.parseDouble(f[header.indexOf(v[0])]);
                chart.put(engine + " " + v[1], category, ms / dense);
            }
        }
        chart.save(
                png,
                "Tensorized linear layers: time relative to the dense layer",
                "layer, format, rank",
                "time / dense time (log scale, lower is faster)",
                true);
    }
}
