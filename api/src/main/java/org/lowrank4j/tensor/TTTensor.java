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

/**
 * A tensor in tensor-train (matrix product state) format.
 *
 * <p>Core {@code k} has shape {@code (r_k, I_k, r_{k+1})} with {@code r_0 = r_N = 1}; entry {@code
 * X[i_0, …, i_{N-1}]} is the product of the matrices {@code G_k[:, i_k, :]}. {@link #getArrays()}
 * lists the cores in order.
 */
public final class TTTensor implements FactorizedTensor {

    private final List<NDArray> cores;
    private final Shape shape;

    /**
     * Wraps cores (not copied).
     *
     * @param cores the {@code (r_k, I_k, r_{k+1})} cores, {@code r_0 = r_N = 1}
     * @throws IllegalArgumentException if the ranks of neighbouring cores or the data types
     *     disagree
     */
    public TTTensor(List<NDArray> cores) {
        Trains.checkChain(cores, 3, "TT");
        this.cores = Collections.unmodifiableList(new ArrayList<>(cores));
        long[] dims = new long[cores.size()];
        for (int k = 0; k < dims.length; k++) {
            dims[k] = cores.get(k).getShape().get(1);
        }
        this.shape = new Shape(dims);
    }

    /**
     * Draws a random TT tensor whose full tensor has root mean square exactly {@code std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape
     * @param rank the bond ranks {@code {1, r_1, …, r_{N-1}, 1}}
     * @param std the target RMS, greater than 0
     * @param seed the random seed
     * @param type float32 or float64
     * @return the random tensor
     */
    public static TTTensor normal(
            NDManager manager, Shape shape, int[] rank, double std, long seed, DataType type) {
        Factors.checkShape(shape, 1);
        Factors.checkStd(std);
        int n = shape.dimension();
        Trains.checkRanks(rank, n, "TT");
        List<Shape> coreShapes = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            coreShapes.add(new Shape(rank[k], shape.get(k), rank[k + 1]));
        }
        List<NDArray> cores = Trains.draw(manager, coreShapes, rank, std, seed, type);
        double rms = Trains.norm(cores) / Math.sqrt(shape.size());
        return new TTTensor(Trains.scale(cores, std / rms));
    }

    /**
     * Draws a random float32 TT tensor whose full tensor has RMS {@code std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape
     * @param rank the bond ranks {@code {1, r_1, …, r_{N-1}, 1}}
     * @param std the target RMS
     * @param seed the random seed
     * @return the random tensor
     */
    public static TTTensor normal(
            NDManager manager, Shape shape, int[] rank, double std, long seed) {
        return normal(manager, shape, rank, std, seed, DataType.FLOAT32);
    }

    /**
     * Returns the cores.
     *
     * @return the {@code (r_k, I_k, r_{k+1})} cores (unmodifiable)
     */
    public List<NDArray> getCores() {
        return cores;
    }

    /**
     * Returns one core.
     *
     * @param k the index
     * @return the {@code (r_k, I_k, r_{k+1})} core
     */
    public NDArray getCore(int k) {
        return cores.get(k);
    }

    /** {@inheritDoc} */
    @Override
    public Shape getShape() {
        return shape;
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return Trains.ranks(cores);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toFull() {
        return Trains.contract(cores, shape);
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
        return Trains.norm(cores);
    }

    /** {@inheritDoc} */
    @Override
    public NDList getArrays() {
        return new NDList(cores);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TTTensor(shape=" + shape + ", rank=" + Arrays.toString(getRank()) + ")";
    }
}
