package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.lowrank4j.internal.Workspace;

/**
 * A tensorized matrix in block tensor-train (matrix product operator) format.
 *
 * <p>The matrix has {@code ∏ n_k} rows and {@code ∏ m_k} columns; row index {@code (i_0, …,
 * i_{N-1})} and column index {@code (j_0, …, j_{N-1})} are row-major. Core {@code k} has shape
 * {@code (r_k, n_k, m_k, r_{k+1})}, {@code r_0 = r_N = 1}. The full tensor ({@link #toFull()}) has
 * shape {@code (n_0, …, n_{N-1}, m_0, …, m_{N-1})}; {@link #toMatrix()} gives the {@code (∏ n_k, ∏
 * m_k)} matrix. {@link #getArrays()} lists the cores in order.
 */
public final class TTMatrix implements FactorizedTensor {

    private final List<NDArray> cores;
    private final Shape rowShape;
    private final Shape columnShape;

    /**
     * Wraps cores (not copied).
     *
     * @param cores the {@code (r_k, n_k, m_k, r_{k+1})} cores, {@code r_0 = r_N = 1}
     * @throws IllegalArgumentException if the ranks of neighbouring cores or the data types
     *     disagree
     */
    public TTMatrix(List<NDArray> cores) {
        Trains.checkChain(cores, 4, "TT-matrix");
        this.cores = Collections.unmodifiableList(new ArrayList<>(cores));
        long[] rows = new long[cores.size()];
        long[] cols = new long[cores.size()];
        for (int k = 0; k < cores.size(); k++) {
            rows[k] = cores.get(k).getShape().get(1);
            cols[k] = cores.get(k).getShape().get(2);
        }
        this.rowShape = new Shape(rows);
        this.columnShape = new Shape(cols);
    }

    /**
     * Draws a random TT-matrix whose full matrix has root mean square exactly {@code std}.
     *
     * @param manager where the arrays live
     * @param rowShape the tensorized row dimensions {@code (n_0, …, n_{N-1})}
     * @param columnShape the tensorized column dimensions {@code (m_0, …, m_{N-1})}
     * @param rank the bond ranks {@code {1, r_1, …, r_{N-1}, 1}}
     * @param std the target RMS, greater than 0
     * @param seed the random seed
     * @param type float32 or float64
     * @return the random TT-matrix
     */
    public static TTMatrix normal(
            NDManager manager,
            Shape rowShape,
            Shape columnShape,
            int[] rank,
            double std,
            long seed,
            DataType type) {
        Factors.checkShape(rowShape, 1);
        Factors.checkShape(columnShape, 1);
        Factors.checkStd(std);
        int n = rowShape.dimension();
        if (columnShape.dimension() != n) {
            throw new IllegalArgumentException(
                    "row shape "
                            + rowShape
                            + " and column shape "
                            + columnShape
                            + " must have the same order");
        }
        Trains.checkRanks(rank, n, "TT-matrix");
        List<Shape> coreShapes = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            coreShapes.add(new Shape(rank[k], rowShape.get(k), columnShape.get(k), rank[k + 1]));
        }
        List<NDArray> cores = Trains.draw(manager, coreShapes, rank, std, seed, type);
        TTMatrix draft = new TTMatrix(cores);
        double rms = draft.norm() / Math.sqrt(rowShape.size() * columnShape.size());
        return new TTMatrix(Trains.scale(cores, std / rms));
    }

    /**
     * Draws a random float32 TT-matrix whose full matrix has RMS {@code std}.
     *
     * @param manager where the arrays live
     * @param rowShape the tensorized row dimensions
     * @param columnShape the tensorized column dimensions
     * @param rank the bond ranks
     * @param std the target RMS
     * @param seed the random seed
     * @return the random TT-matrix
     */
    public static TTMatrix normal(
            NDManager manager,
            Shape rowShape,
            Shape columnShape,
            int[] rank,
            double std,
            long seed) {
        return normal(manager, rowShape, columnShape, rank, std, seed, DataType.FLOAT32);
    }

    /**
     * Returns the cores.
     *
     * @return the {@code (r_k, n_k, m_k, r_{k+1})} cores (unmodifiable)
     */
    public List<NDArray> getCores() {
        return cores;
    }

    /**
     * Returns the tensorized row dimensions.
     *
     * @return {@code (n_0, …, n_{N-1})}
     */
    public Shape getRowShape() {
        return rowShape;
    }

    /**
     * Returns the tensorized column dimensions.
     *
     * @return {@code (m_0, …, m_{N-1})}
     */
    public Shape getColumnShape() {
        return columnShape;
    }

    /** {@inheritDoc} */
    @Override
    public Shape getShape() {
        return rowShape.addAll(columnShape);
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return Trains.ranks(cores);
    }

    private List<NDArray> merged(Workspace ws) {
        List<NDArray> out = new ArrayList<>();
        for (NDArray c : cores) {
            Shape s = c.getShape();
            out.add(ws.adopt(c).reshape(s.get(0), s.get(1) * s.get(2), s.get(3)));
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toFull() {
        int n = cores.size();
        try (Workspace ws = Workspace.of(cores.get(0))) {
            long[] interleaved = new long[2 * n];
            for (int k = 0; k < n; k++) {
                interleaved[2 * k] = rowShape.get(k);
                interleaved[2 * k + 1] = columnShape.get(k);
            }
            NDArray full = Trains.contract(merged(ws), new Shape(interleaved));
            int[] axes = new int[2 * n];
            for (int k = 0; k < n; k++) {
                axes[k] = 2 * k;
                axes[n + k] = 2 * k + 1;
            }
            return ws.keep(full.transpose(axes));
        }
    }

    /**
     * Rebuilds the full matrix.
     *
     * @return a new {@code (∏ n_k, ∏ m_k)} array, in the manager of the cores
     */
    public NDArray toMatrix() {
        try (NDArray full = toFull()) {
            return full.reshape(rowShape.size(), columnShape.size());
        }
    }

    /** {@inheritDoc} */
    @Override
    public long numParameters() {
        long n = 0;
        for (NDArray c : cores) {
            n += c.getShape().size();
        }
        return n;
    }

    /** {@inheritDoc} */
    @Override
    public double norm() {
        try (Workspace ws = Workspace.of(cores.get(0))) {
            return Trains.norm(merged(ws));
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDList getArrays() {
        return new NDList(cores);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TTMatrix(rows="
                + rowShape
                + ", columns="
                + columnShape
                + ", rank="
                + Arrays.toString(getRank())
                + ")";
    }
}
