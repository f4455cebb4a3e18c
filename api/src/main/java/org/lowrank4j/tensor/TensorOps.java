package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.internal.Checks;

/**
 * Multilinear operations on dense tensors, with TensorLy's row-major conventions.
 *
 * <p>All functions are pure: they return new arrays (in the manager of their first argument) and
 * leave their arguments unchanged. Only operations available on every DJL engine are used.
 */
public final class TensorOps {

    private TensorOps() {}

    /**
     * Returns the axis order that moves {@code mode} to the front and keeps the others in order.
     *
     * @param order the tensor's order
     * @param mode the mode moved to the front
     * @return the permutation
     */
    static int[] modeFirst(int order, int mode) {
        int[] axes = new int[order];
        axes[0] = mode;
        for (int i = 0, j = 1; i < order; i++) {
            if (i != mode) {
                axes[j++] = i;
            }
        }
        return axes;
    }

    /**
     * Mode-{@code mode} unfolding: the {@code (I_mode, ∏_{k≠mode} I_k)} matrix whose rows are the
     * mode's fibres, the remaining indices in row-major order.
     *
     * @param tensor a tensor of order at least 1
     * @param mode the mode, in {@code [0, order)}
     * @return the unfolding
     */
    public static NDArray unfold(NDArray tensor, int mode) {
        Shape shape = tensor.getShape();
        int order = shape.dimension();
        Checks.mode(mode, order);
        long rows = shape.get(mode);
        long cols = rows == 0 ? 0 : shape.size() / rows;
        if (mode == 0) {
            return tensor.reshape(rows, cols);
        }
        try (NDArray moved = tensor.transpose(modeFirst(order, mode))) {
            return moved.reshape(rows, cols);
        }
    }

    /**
     * Inverse of {@link #unfold}: folds a mode-{@code mode} unfolding back into a tensor.
     *
     * @param unfolded the {@code (I_mode, ∏_{k≠mode} I_k)} matrix
     * @param mode the mode it was unfolded along
     * @param shape the tensor's shape
     * @return the tensor
     */
    public static NDArray fold(NDArray unfolded, int mode, Shape shape) {
        int order = shape.dimension();
        Checks.mode(mode, order);
        if (unfolded.getShape().size() != shape.size()) {
            throw new IllegalArgumentException(
                    "cannot fold an array of shape "
                            + unfolded.getShape()
                            + " into shape "
                            + shape
                            + "; the sizes differ");
        }
        if (mode == 0) {
            return unfolded.reshape(shape);
        }
        int[] axes = modeFirst(order, mode);
        long[] movedShape = new long[order];
        for (int i = 0; i < order; i++) {
            movedShape[i] = shape.get(axes[i]);
        }
        int[] inverse = new int[order];
        for (int i = 0; i < order; i++) {
            inverse[axes[i]] = i;
        }
        try (NDArray moved = unfolded.reshape(movedShape)) {
            return moved.transpose(inverse);
        }
    }

    /**
     * Mode-{@code mode} product {@code tensor ×_mode matrix}: every mode-{@code mode} fibre is
     * multiplied by {@code matrix}.
     *
     * @param tensor the tensor, with {@code I_mode} entries along {@code mode}
     * @param matrix a {@code (J, I_mode)} matrix
     * @param mode the mode
     * @return the tensor with {@code J} entries along {@code mode}
     */
    public static NDArray modeProduct(NDArray tensor, NDArray matrix, int mode) {
        return modeProduct(tensor, matrix, mode, false);
    }

    /**
     * Mode-{@code mode} product with {@code matrix} or its transpose.
     *
     * @param tensor the tensor, with {@code I_mode} entries along {@code mode}
     * @param matrix a {@code (J, I_mode)} matrix, or {@code (I_mode, J)} if {@code transpose}
     * @param mode the mode
     * @param transpose whether to multiply by the transpose of {@code matrix}
     * @return the tensor with {@code J} entries along {@code mode}
     */
    public static NDArray modeProduct(NDArray tensor, NDArray matrix, int mode, boolean transpose) {
        Shape shape = tensor.getShape();
        int order = shape.dimension();
        Checks.mode(mode, order);
        Checks.dims(matrix, 2, "matrix");
        long inDim = matrix.getShape().get(transpose ? 0 : 1);
        long outDim = matrix.getShape().get(transpose ? 1 : 0);
        if (inDim != shape.get(mode)) {
            throw new IllegalArgumentException(
                    "matrix of shape "
                            + matrix.getShape()
                            + (transpose ? " (transposed)" : "")
                            + " cannot multiply mode "
                            + mode
                            + " of a tensor of shape "
                            + shape
                            + "; it needs "
                            + shape.get(mode)
                            + (transpose ? " rows" : " columns"));
        }
        long before = 1;
        for (int i = 0; i < mode; i++) {
            before *= shape.get(i);
        }
        long after = 1;
        for (int i = mode + 1; i < order; i++) {
            after *= shape.get(i);
        }
        long[] outShape = shape.getShape().clone();
        outShape[mode] = outDim;
        NDArray m = transpose ? matrix.transpose() : matrix;
        try {
            NDArray flat;
            if (before == 1) {
                try (NDArray t2 = tensor.reshape(inDim, after)) {
                    flat = m.matMul(t2);
                }
            } else if (after == 1) {
                try (NDArray t2 = tensor.reshape(before, inDim);
                        NDArray mt = m.transpose()) {
                    flat = t2.matMul(mt);
                }
            } else {
                try (NDArray t3 = tensor.reshape(before, inDim, after)) {
                    flat = m.matMul(t3);
                }
            }
            try (flat) {
                return flat.reshape(outShape);
            }
        } finally {
            if (transpose) {
                m.close();
            }
        }
    }

    /**
     * Products along several modes: {@code tensor ×_{modes[0]} matrices[0] ×_{modes[1]} ...}.
     *
     * @param tensor the tensor
     * @param matrices the matrices, one per listed mode ({@code (J_k, I_k)}, or {@code (I_k, J_k)}
     *     if {@code transpose})
     * @param modes the modes, distinct
     * @param transpose whether to multiply by the transposes
     * @return the product
     */
    public static NDArray multiModeProduct(
            NDArray tensor, List<NDArray> matrices, int[] modes, boolean transpose) {
        if (matrices.size() != modes.length) {
            throw new IllegalArgumentException(
                    matrices.size()
                            + " matrices were given for "
                            + modes.length
                            + " modes; they must match");
        }
        NDArray current = tensor;
        for (int i = 0; i < modes.length; i++) {
            NDArray next = modeProduct(current, matrices.get(i), modes[i], transpose);
            if (current != tensor) {
                current.close();
            }
            current = next;
        }
        // a reshape, not duplicate(): PyTorch's duplicate drops the autograd history
        return current == tensor ? tensor.reshape(tensor.getShape()) : current;
    }

    /**
     * Khatri-Rao (column-wise Kronecker) product of matrices with the same number of columns.
     *
     * <p>For {@code (I_1, R), ..., (I_n, R)} the result is {@code (∏ I_k, R)} and the row index of
     * {@code (i_1, ..., i_n)} is row-major (the first matrix varies slowest).
     *
     * @param matrices at least one matrix, all with {@code R} columns
     * @return the product
     */
    public static NDArray khatriRao(List<NDArray> matrices) {
        if (matrices.isEmpty()) {
            throw new IllegalArgumentException("khatriRao needs at least one matrix, got none");
        }
        long r = matrices.get(0).getShape().get(1);
        for (NDArray m : matrices) {
            Checks.dims(m, 2, "Khatri-Rao operand");
            if (m.getShape().get(1) != r) {
                throw new IllegalArgumentException(
                        "Khatri-Rao operand of shape "
                                + m.getShape()
                                + " has "
                                + m.getShape().get(1)
                                + " columns; all operands need "
                                + r);
            }
        }
        // a reshape, not duplicate(): PyTorch's duplicate drops the autograd history
        NDArray result = matrices.get(0).reshape(matrices.get(0).getShape());
        for (int i = 1; i < matrices.size(); i++) {
            NDArray m = matrices.get(i);
            long rows = result.getShape().get(0);
            long mRows = m.getShape().get(0);
            try (NDArray a = result.reshape(rows, 1, r);
                    NDArray b = m.reshape(1, mRows, r);
                    NDArray prod = a.mul(b)) {
                result.close();
                result = prod.reshape(rows * mRows, r);
            }
        }
        return result;
    }

    /**
     * Khatri-Rao product of all matrices but the one at index {@code skip}.
     *
     * @param matrices the matrices
     * @param skip the index left out
     * @return the product
     */
    public static NDArray khatriRao(List<NDArray> matrices, int skip) {
        List<NDArray> kept = new ArrayList<>(matrices);
        kept.remove(skip);
        return khatriRao(kept);
    }
}
