package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.List;

/** What every block checks before a forward pass reaches the engine. */
final class ForwardChecks {

    private ForwardChecks() {}

    /**
     * Refuses a pass on a block whose parameters are not initialised, or an input whose data type
     * is not the parameters'.
     *
     * @param block the block's name, for the messages
     * @param parameters the parameters the pass reads
     * @param x the input
     * @throws IllegalStateException if a parameter is not initialised
     * @throws IllegalArgumentException if the input's data type is not the parameters'
     */
    static void check(String block, List<Parameter> parameters, NDArray x) {
        initialized(block, parameters);
        // the parameters of a block share one data type: the first one's stands for all
        Parameter first = parameters.isEmpty() ? null : parameters.get(0);
        if (first != null && first.getArray().getDataType() != x.getDataType()) {
            DataType type = first.getArray().getDataType();
            throw new IllegalArgumentException(
                    "input of data type "
                            + x.getDataType()
                            + " is not accepted by "
                            + block
                            + ", whose parameters are "
                            + type
                            + "; convert it with toType("
                            + type
                            + ", false)");
        }
    }

    /**
     * Refuses a pass on a block whose parameters are not initialised.
     *
     * @param block the block's name, for the message
     * @param parameters the parameters the pass reads
     * @throws IllegalStateException if a parameter is not initialised
     */
    static void initialized(String block, List<Parameter> parameters) {
        for (Parameter p : parameters) {
            if (p != null && !p.isInitialized()) {
                throw new IllegalStateException(
                        block
                                + " has no value for parameter '"
                                + p.getName()
                                + "'; call initialize(manager, dataType, inputShapes) first (or"
                                + " build the block from a trained layer)");
            }
        }
    }

    /**
     * Reads a one-value array of whole numbers (a layer index, an id), refusing fractions.
     *
     * @param array the array, of an integer or floating point type
     * @param what what the values are, for the messages
     * @return the values as longs
     * @throws IllegalArgumentException if the type is neither, or a value is not a whole number
     */
    static long[] wholeNumbers(NDArray array, String what) {
        DataType type = array.getDataType();
        if (type.isInteger()) {
            try (NDArray asLong = array.toType(DataType.INT64, true)) {
                return asLong.toLongArray();
            }
        }
        if (!type.isFloating()) {
            throw new IllegalArgumentException(
                    what + " of data type " + type + " are not accepted; integer " + what + " are");
        }
        double[] values;
        try (NDArray wide = array.toType(DataType.FLOAT64, true)) {
            values = wide.toDoubleArray();
        }
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (v != Math.rint(v) || Math.abs(v) > Long.MAX_VALUE / 2) {
                throw new IllegalArgumentException(
                        what
                                + " "
                                + v
                                + " (of data type "
                                + type
                                + ") is not a whole number; integer "
                                + what
                                + " are accepted");
            }
            out[i] = (long) v;
        }
        return out;
    }
}
