package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;

/** The argument checks of {@link LowRankFit} and the small array chores of its fits. */
final class FitChecks {

    private FitChecks() {}

    static NDArray keepBias(Workspace ws, NDArray bias, DataType type) {
        return bias == null ? null : ws.keep(bias.toType(type, true));
    }

    /** Refuses NaN or infinite values in the weights and biases being factorized. */
    static void finiteWeights(NDArray wa, NDArray wb, NDArray biasA, NDArray biasB) {
        Checks.finiteFloat(wa, "Wa");
        NDArray[] optional = {wb, biasA, biasB};
        String[] names = {"Wb", "bias", "second bias"};
        for (int i = 0; i < optional.length; i++) {
            if (optional[i] != null) {
                Checks.finiteFloat(optional[i], names[i]);
            }
        }
    }

    static void adoptAll(Workspace ws, NDArray... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            NDArray a = arrays[i];
            if (a == null) {
                continue;
            }
            boolean seen = false;
            for (int j = 0; j < i; j++) {
                seen |= arrays[j] == a;
            }
            if (!seen) {
                ws.adopt(a);
            }
        }
    }

    static void checkBias(NDArray bias, long size, String name) {
        if (bias == null) {
            return;
        }
        Checks.floatType(bias, name);
        if (bias.getShape().dimension() != 1 || bias.getShape().get(0) != size) {
            throw new IllegalArgumentException(
                    name
                            + " has shape "
                            + bias.getShape()
                            + "; a 1-D array of "
                            + size
                            + " values is accepted");
        }
    }

    static void checkSetting(Shape setting, String name, long min) {
        if (setting == null || setting.dimension() != 2) {
            throw new IllegalArgumentException(
                    name + " " + setting + " is not accepted; two values (height, width) are");
        }
        for (long v : setting.getShape()) {
            if (v < min) {
                throw new IllegalArgumentException(
                        name + " " + setting + " is not accepted; every value must be >= " + min);
            }
        }
    }

    static void checkRank(int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException(
                    "rank " + rank + " is not accepted; it must be >= 1");
        }
    }

    static void checkFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException(
                    "rank fraction " + fraction + " is not accepted; it must lie in (0, 1]");
        }
    }

    static int resolveRank(int rank, double fraction, long d, long m) {
        if (Double.isNaN(fraction)) {
            return rank;
        }
        return (int) Math.max(1, Math.rint(fraction * Math.min(d, m)));
    }
}
