package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.lowrank4j.internal.Workspace;

/**
 * What the layer methods share: reading and writing the string settings of a {@link FactorizePlan}
 * entry, and the relative weight error of a factorized layer.
 */
final class PlanSettings {

    private PlanSettings() {}

    /** Comma-separated values, as written into plans. */
    static String encode(long[] values) {
        StringBuilder b = new StringBuilder();
        for (long v : values) {
            b.append(b.length() == 0 ? "" : ",").append(v);
        }
        return b.toString();
    }

    /** Widens ranks to longs. */
    static long[] toLong(int[] values) {
        long[] r = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            r[i] = values[i];
        }
        return r;
    }

    /**
     * A whole-number setting in {@code [0, Integer.MAX_VALUE]}, or an IllegalArgumentException
     * naming it: no layer size or rank of a DJL block is larger, so a file cannot ask for more.
     */
    static long number(Map<String, String> settings, String key) {
        String v = settings.get(key);
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= Integer.MAX_VALUE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(
                "plan setting "
                        + key
                        + " = "
                        + v
                        + " is not accepted; a whole number from 0 to "
                        + Integer.MAX_VALUE
                        + " is");
    }

    /** Positive whole numbers separated by commas, or an IllegalArgumentException naming them. */
    static long[] numbers(Map<String, String> settings, String key) {
        String v = settings.get(key);
        try {
            String[] parts = v.split(",");
            long[] r = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                r[i] = Long.parseLong(parts[i].trim());
                if (r[i] < 1 || r[i] > Integer.MAX_VALUE) {
                    throw new NumberFormatException(parts[i]);
                }
            }
            return r;
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(
                    "plan setting "
                            + key
                            + " = "
                            + v
                            + " is not accepted; whole numbers from 1 to "
                            + Integer.MAX_VALUE
                            + " separated by commas are",
                    e);
        }
    }

    /**
     * The relative Frobenius distance {@code ‖rebuilt − w‖ / ‖w‖} in double precision; closes
     * {@code rebuilt}.
     */
    static double relativeError(NDArray w, NDArray rebuilt) {
        try (Workspace ws = Workspace.of(w)) {
            ws.adopt(w);
            ws.adopt(rebuilt);
            NDArray dense = w.toType(DataType.FLOAT64, true);
            NDArray diff = rebuilt.toType(DataType.FLOAT64, true).sub(dense);
            double num = diff.square().sum().getDouble();
            double den = dense.square().sum().getDouble();
            return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
        } finally {
            rebuilt.close();
        }
    }
}
