package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/** Validation and arithmetic shared by the factorized formats. */
final class Factors {

    private Factors() {}

    static void sameType(List<NDArray> arrays, String what) {
        DataType type = arrays.get(0).getDataType();
        for (NDArray a : arrays) {
            if (a.getDataType() != type) {
                throw new IllegalArgumentException(
                        what
                                + " mix data types "
                                + type
                                + " and "
                                + a.getDataType()
                                + "; one data type is accepted");
            }
            if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
                throw new IllegalArgumentException(
                        what + " have data type " + type + "; accepted are float32 and float64");
            }
        }
    }

    static double squaredSum(NDArray a) {
        try (NDArray d = a.toType(DataType.FLOAT64, true);
                NDArray sq = d.mul(d);
                NDArray s = sq.sum()) {
            return s.getDouble();
        }
    }

    static long product(long[] values) {
        long p = 1;
        for (long v : values) {
            p *= v;
        }
        return p;
    }

    static double rms(FactorizedTensor tensor) {
        return tensor.norm() / Math.sqrt(tensor.getShape().size());
    }

    static void checkStd(double std) {
        if (!Double.isFinite(std) || std <= 0) {
            throw new IllegalArgumentException(
                    "std " + std + " is not accepted; it must be finite and > 0");
        }
    }

    static void checkShape(Shape shape, int minOrder) {
        if (shape.dimension() < minOrder) {
            throw new IllegalArgumentException(
                    "shape "
                            + shape
                            + " has order "
                            + shape.dimension()
                            + "; order >= "
                            + minOrder
                            + " is accepted");
        }
        for (long d : shape.getShape()) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "shape "
                                + shape
                                + " has a dimension of size "
                                + d
                                + "; sizes must be >= 1");
            }
        }
    }
}
