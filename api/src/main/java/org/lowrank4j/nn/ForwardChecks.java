package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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

    /**
     * Reads the layer index of a forward pass of a block that holds {@code layers} layers in one
     * tensor: a one-layer block takes the input alone, a block of several layers the input and a
     * one-value, whole-number index array.
     *
     * @param inputs the pass's inputs, the first one the data
     * @param layers the number of layers, at least 1
     * @param noun what one layer is ("convolution"), for the messages
     * @param view the block's method that gives one layer as a block of its own, for the messages
     * @return the index, {@code 0..layers-1}
     * @throws IllegalArgumentException if an index is given to a one-layer block, missing, not one
     *     whole number, or out of range
     */
    static int layerIndex(NDList inputs, int layers, String noun, String view) {
        if (layers == 1) {
            if (inputs.size() > 1) {
                throw new IllegalArgumentException(
                        "a layer index is not accepted by a one-layer "
                                + noun
                                + "; pass the input alone");
            }
            return 0;
        }
        if (inputs.size() < 2) {
            throw new IllegalArgumentException(
                    "a "
                            + noun
                            + " of "
                            + layers
                            + " layers takes the input and a one-value layer index array, got "
                            + inputs.size()
                            + " array(s); or use "
                            + view
                            + "(i), one layer as a block of its own");
        }
        NDArray index = inputs.get(1);
        if (index.size() != 1) {
            throw new IllegalArgumentException(
                    "layer index of shape "
                            + index.getShape()
                            + " is not accepted; a one-value layer index array is");
        }
        return checkLayer(wholeNumbers(index, "layer index")[0], layers);
    }

    /**
     * Refuses a layer index out of range.
     *
     * @param layer the index
     * @param layers the number of layers
     * @return the index
     * @throws IllegalArgumentException if it is not in {@code 0..layers-1}
     */
    static int checkLayer(long layer, int layers) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException(
                    "layer index "
                            + layer
                            + " is out of range; 0.."
                            + (layers - 1)
                            + " is accepted");
        }
        return (int) layer;
    }
}
