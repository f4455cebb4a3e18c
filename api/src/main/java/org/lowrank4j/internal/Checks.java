package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Argument checks that name the offending value in their messages. */
public final class Checks {

    private Checks() {}

    /**
     * Checks that an array holds floating point numbers and no NaN or infinite value.
     *
     * @param array the array
     * @param name how the array is called in messages
     * @throws IllegalArgumentException if the array is not float32/float64 or holds NaN or infinity
     */
    public static void finiteFloat(NDArray array, String name) {
        floatType(array, name);
        try (NDArray wide = array.toType(DataType.FLOAT64, true);
                NDArray abs = wide.abs();
                NDArray sum = abs.sum()) {
            double s = sum.getDouble();
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException(
                        name
                                + " of shape "
                                + array.getShape()
                                + " holds NaN or infinite values; only finite values are accepted");
            }
        }
    }

    /**
     * Checks that an array holds float32 or float64 numbers.
     *
     * @param array the array
     * @param name how the array is called in messages
     * @throws IllegalArgumentException if the data type is another one
     */
    public static void floatType(NDArray array, String name) {
        DataType type = array.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException(
                    name + " has data type " + type + "; accepted are float32 and float64");
        }
    }

    /**
     * Checks that an array has the given number of dimensions.
     *
     * @param array the array
     * @param dims the accepted number of dimensions
     * @param name how the array is called in messages
     * @throws IllegalArgumentException if it has another number
     */
    public static void dims(NDArray array, int dims, String name) {
        if (array.getShape().dimension() != dims) {
            throw new IllegalArgumentException(
                    name
                            + " has shape "
                            + array.getShape()
                            + " ("
                            + array.getShape().dimension()
                            + "-D); a "
                            + dims
                            + "-D array is accepted");
        }
    }

    /**
     * Checks that a mode index lies in {@code [0, order)}.
     *
     * @param mode the mode
     * @param order the tensor's order
     * @throws IllegalArgumentException if it does not
     */
    public static void mode(int mode, int order) {
        if (mode < 0 || mode >= order) {
            throw new IllegalArgumentException(
                    "mode "
                            + mode
                            + " is out of range for an order-"
                            + order
                            + " tensor; accepted are 0.."
                            + (order - 1));
        }
    }
}
