package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Seeded Gaussian numbers drawn on the host, so that results depend on the seed alone and not on
 * the engine's global random state.
 */
public final class HostRandom {

    private HostRandom() {}

    /**
     * Draws standard normal values.
     *
     * @param random the generator
     * @param count how many values
     * @return the values
     */
    public static double[] gaussian(Random random, int count) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }

    /**
     * Creates an array of independent normal values with mean 0 and the given standard deviation.
     *
     * @param manager where the array lives
     * @param random the generator
     * @param shape the shape
     * @param std the standard deviation
     * @param type the data type (float32 or float64)
     * @return the array
     */
    public static NDArray normal(
            NDManager manager, Random random, Shape shape, double std, DataType type) {
        int size = Math.toIntExact(shape.size());
        double[] values = gaussian(random, size);
        for (int i = 0; i < size; i++) {
            values[i] *= std;
        }
        return HostArrays.create(manager, values, shape, type);
    }
}
