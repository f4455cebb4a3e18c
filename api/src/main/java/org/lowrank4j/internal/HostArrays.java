package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Moves numbers between host {@code double[]}s and engine arrays. */
public final class HostArrays {

    private HostArrays() {}

    /**
     * Creates an engine array from host values.
     *
     * @param manager where the array lives
     * @param values the values, row-major
     * @param shape the shape
     * @param type float32 or float64
     * @return the array
     */
    public static NDArray create(NDManager manager, double[] values, Shape shape, DataType type) {
        if (type == DataType.FLOAT64) {
            return manager.create(values, shape);
        }
        if (type != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    "data type " + type + " is not supported; accepted are float32 and float64");
        }
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return manager.create(f, shape);
    }

    /**
     * Copies an engine array's values to the host as doubles.
     *
     * @param array the array
     * @return its values, row-major
     */
    public static double[] toDoubles(NDArray array) {
        if (array.getDataType() == DataType.FLOAT64) {
            return array.toDoubleArray();
        }
        try (NDArray d = array.toType(DataType.FLOAT64, true)) {
            return d.toDoubleArray();
        }
    }
}
