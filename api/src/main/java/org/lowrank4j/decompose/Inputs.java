package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.tensor.FactorizedTensor;

/** Input checks and error measurement shared by the decompositions. */
final class Inputs {

    private Inputs() {}

    static void check(NDArray tensor, int minOrder, String method) {
        if (tensor == null) {
            throw new IllegalArgumentException(method + " needs a tensor, got null");
        }
        int order = tensor.getShape().dimension();
        if (order < minOrder) {
            throw new IllegalArgumentException(
                    method
                            + " got a tensor of shape "
                            + tensor.getShape()
                            + " (order "
                            + order
                            + "); order >= "
                            + minOrder
                            + " is accepted");
        }
        if (tensor.getShape().size() == 0) {
            throw new IllegalArgumentException(
                    method + " got an empty tensor of shape " + tensor.getShape());
        }
        Checks.finiteFloat(tensor, "tensor");
    }

    /** {@code ‖X − X̂‖ / ‖X‖} in double precision, from the reconstruction. */
    static double relativeError(NDArray tensor, FactorizedTensor approx) {
        try (NDArray full = approx.toFull()) {
            return relativeError(full, tensor);
        }
    }

    /** {@code ‖A − B‖ / ‖B‖} in double precision ({@code ‖A‖} if {@code B} is zero). */
    static double relativeError(NDArray a, NDArray b) {
        try (NDArray a64 = a.toType(DataType.FLOAT64, true);
                NDArray b64 = b.toType(DataType.FLOAT64, true);
                NDArray diff = a64.sub(b64);
                NDArray d2 = diff.mul(diff);
                NDArray num = d2.sum();
                NDArray b2 = b64.mul(b64);
                NDArray den = b2.sum()) {
            double n = den.getDouble();
            return n == 0 ? Math.sqrt(num.getDouble()) : Math.sqrt(num.getDouble() / n);
        }
    }

    /** Checks an iteration limit: at least 1. */
    static int iterations(int maxIterations) {
        if (maxIterations < 1) {
            throw new IllegalArgumentException(
                    "maxIterations " + maxIterations + " is not accepted; it must be >= 1");
        }
        return maxIterations;
    }

    /** Checks a convergence tolerance: finite and at least 0. */
    static double tolerance(double tolerance) {
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException(
                    "tolerance " + tolerance + " is not accepted; it must be finite and >= 0");
        }
        return tolerance;
    }
}
