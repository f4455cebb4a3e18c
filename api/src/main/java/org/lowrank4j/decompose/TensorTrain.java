package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TTMatrix;
import org.lowrank4j.tensor.TTTensor;

/**
 * Tensor-train decomposition by TT-SVD, and its block (TT-matrix) form for tensorized matrices.
 *
 * <p>TT-SVD sweeps left to right: each step takes the leading left singular vectors of the current
 * {@code (r_k · I_k, rest)} unfolding (from {@link TruncatedSvd}, so a wide unfolding costs a small
 * Gram eigenproblem) as core {@code k} and carries {@code S · Vt} on. Requested ranks are clipped
 * to what TT-SVD can realise ({@link Ranks#realizableTt}) and the result reports the realised
 * ranks.
 *
 * <pre>{@code
 * Decomposition<TTTensor> tt = TensorTrain.builder().setRank(Rank.fraction(0.25)).build().fit(x);
 * Decomposition<TTMatrix> mpo = TensorTrain.builder().setRank(Rank.of(8)).build()
 *         .fitMatrix(weight, new Shape(4, 8, 16), new Shape(4, 4, 4));
 * }</pre>
 */
public final class TensorTrain {

    private final Rank rank;
    private final long seed;

    private TensorTrain(Builder b) {
        this.rank = b.rank;
        this.seed = b.seed;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Decomposes a tensor by TT-SVD.
     *
     * @param tensor a float32 or float64 tensor of order at least 2, with finite values
     * @return the TT tensor (in the input's manager and data type) and its error
     * @throws IllegalArgumentException if the order is below 2, the tensor has NaN/infinite values,
     *     or the rank request does not fit the shape
     */
    public Decomposition<TTTensor> fit(NDArray tensor) {
        Inputs.check(tensor, 2, "TensorTrain");
        Shape shape = tensor.getShape();
        int[] ranks = Ranks.realizableTt(shape, Ranks.tt(shape, rank));
        TTTensor result;
        try (Workspace ws = Workspace.of(tensor)) {
            List<NDArray> cores = sweep(ws, ws.adopt(tensor), shape, ranks);
            result = new TTTensor(cores);
        }
        double error = Inputs.relativeError(tensor, result);
        return new Decomposition<>(result, List.of(error), error, true);
    }

    /**
     * Decomposes a tensorized matrix into a TT-matrix (block tensor train).
     *
     * @param matrix a {@code (∏ n_k, ∏ m_k)} matrix, or a tensor of shape {@code (n_0, …, n_{N-1},
     *     m_0, …, m_{N-1})}
     * @param rowShape the tensorized row dimensions {@code (n_0, …, n_{N-1})}
     * @param columnShape the tensorized column dimensions {@code (m_0, …, m_{N-1})}, same order
     * @return the TT-matrix (in the input's manager and data type) and its error
     * @throws IllegalArgumentException if the shapes do not match the matrix
     */
    public Decomposition<TTMatrix> fitMatrix(NDArray matrix, Shape rowShape, Shape columnShape) {
        Inputs.check(matrix, 1, "TensorTrain.fitMatrix");
        if (rowShape == null || columnShape == null) {
            throw new IllegalArgumentException(
                    "row shape "
                            + rowShape
                            + " and column shape "
                            + columnShape
                            + " are not accepted; two shapes of the same order, at least 1, are");
        }
        int n = rowShape.dimension();
        if (columnShape.dimension() != n || n < 1) {
            throw new IllegalArgumentException(
                    "row shape "
                            + rowShape
                            + " and column shape "
                            + columnShape
                            + " must have the same order, at least 1");
        }
        Shape given = matrix.getShape();
        Shape asMatrix = new Shape(rowShape.size(), columnShape.size());
        Shape asTensor = rowShape.addAll(columnShape);
        if (given.size() == asMatrix.size() && !given.equals(asMatrix) && !given.equals(asTensor)) {
            throw new IllegalArgumentException(
                    "a matrix of shape "
                            + given
                            + " is not accepted for rows "
                            + rowShape
                            + " x columns "
                            + columnShape
                            + "; a "
                            + asMatrix
                            + " matrix or a "
                            + asTensor
                            + " tensor is");
        }
        if (matrix.getShape().size() != rowShape.size() * columnShape.size()) {
            throw new IllegalArgumentException(
                    "a matrix of shape "
                            + matrix.getShape()
                            + " cannot be tensorized as rows "
                            + rowShape
                            + " x columns "
                            + columnShape
                            + "; it needs "
                            + rowShape.size()
                            + " x "
                            + columnShape.size()
                            + " entries");
        }
        long[] merged = new long[n];
        for (int k = 0; k < n; k++) {
            merged[k] = rowShape.get(k) * columnShape.get(k);
        }
        Shape mergedShape = new Shape(merged);
        int[] ranks =
                n == 1
                        ? new int[] {1, 1}
                        : Ranks.realizableTt(
                                mergedShape, Ranks.ttMatrix(rowShape, columnShape, rank));
        TTMatrix result;
        try (Workspace ws = Workspace.of(matrix)) {
            NDArray t = ws.adopt(matrix).reshape(rowShape.addAll(columnShape));
            int[] axes = new int[2 * n];
            for (int k = 0; k < n; k++) {
                axes[2 * k] = k;
                axes[2 * k + 1] = n + k;
            }
            NDArray interleaved = t.transpose(axes).reshape(mergedShape);
            List<NDArray> cores = sweep(ws, interleaved, mergedShape, ranks);
            List<NDArray> blocks = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                NDArray c = cores.get(k);
                Shape cs = c.getShape();
                blocks.add(
                        ws.keep(
                                c.reshape(
                                        cs.get(0),
                                        rowShape.get(k),
                                        columnShape.get(k),
                                        cs.get(2))));
            }
            result = new TTMatrix(blocks);
        }
        double error;
        try (NDArray full = result.toMatrix();
                NDArray original = matrix.reshape(rowShape.size(), columnShape.size())) {
            error = Inputs.relativeError(full, original);
        }
        return new Decomposition<>(result, List.of(error), error, true);
    }

    /** TT-SVD sweep; the cores are kept in the workspace's target. */
    private List<NDArray> sweep(Workspace ws, NDArray x, Shape shape, int[] ranks) {
        int n = shape.dimension();
        DataType type = x.getDataType();
        List<NDArray> cores = new ArrayList<>();
        NDArray rest = x;
        for (int k = 0; k < n - 1; k++) {
            long rows = ranks[k] * shape.get(k);
            NDArray unfolded = rest.reshape(rows, rest.getShape().size() / rows);
            try (Svd svd =
                    TruncatedSvd.builder()
                            .optSeed(seed + k)
                            .build()
                            .compute(unfolded, ranks[k + 1])) {
                cores.add(
                        ws.keep(
                                svd.getU()
                                        .reshape(ranks[k], shape.get(k), ranks[k + 1])
                                        .toType(type, false)));
                rest = svd.getS().reshape(ranks[k + 1], 1).mul(svd.getVt());
            }
        }
        cores.add(ws.keep(rest.reshape(ranks[n - 1], shape.get(n - 1), 1)));
        return cores;
    }

    /** Builds a {@link TensorTrain}. */
    public static final class Builder {

        private Rank rank;
        private long seed;

        private Builder() {}

        /**
         * Sets the rank (required): a fraction, one value for every bond, the inner bonds, or all
         * {@code N + 1} bonds.
         *
         * @param rank the rank
         * @return this builder
         */
        public Builder setRank(Rank rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets the seed of the randomized SVDs used on large unfoldings (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the decomposition.
         *
         * @return the configured {@link TensorTrain}
         * @throws IllegalArgumentException if no rank was set
         */
        public TensorTrain build() {
            if (rank == null) {
                throw new IllegalArgumentException("TensorTrain needs a rank: call setRank(Rank)");
            }
            return new TensorTrain(this);
        }
    }
}
