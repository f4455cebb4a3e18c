package org.lowrank4j.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

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
        String csv = args.length > 0 ? args[0] : "docs/benchmarks/convolutions.csv";
        String png = args.length > 1 ? args[1] : "docs/benchmarks/convolutions.png";
        List<String> lines = Files.readAllLines(Paths.get(csv), StandardCharsets.UTF_8);
        BarChart chart = new BarChart();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            String variant = f[5];
            if ("dense".equals(variant)) {
                continue;
            }
            String name = f[0] + " " + f[1] + " r" + f[2] + ", " + f[3] + " " + f[4] + "t";
            chart.put(name, variant, Double.parseDouble(f[8]));
        }
        chart.save(
                png,
                "Factorized convolutions: time relative to the dense convolution",
                "variant",
                "time / dense time (lower is faster)",
                false);
    }
}
