package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;

/**
 * A tensor in CP (CANDECOMP/PARAFAC) format: {@code X = Σ_r w_r · a⁰_r ∘ a¹_r ∘ … ∘ a^{N-1}_r}.
 *
 * <p>Weights have shape {@code (R)}, factor {@code k} has shape {@code (I_k, R)}. {@link
 * #getArrays()} lists the weights first, then the factors in mode order.
 */
public final class CPTensor implements FactorizedTensor {

    private final NDArray weights;
    private final List<NDArray> factors;
    private final Shape shape;
    private final int rank;

    /**
     * Wraps weights and factors (not copied).
     *
     * @param weights the {@code (R)} weights
     * @param factors the {@code (I_k, R)} factors, at least one
     * @throws IllegalArgumentException if the shapes or data types disagree
     */
    public CPTensor(NDArray weights, List<NDArray> factors) {
        if (factors == null || factors.isEmpty()) {
            throw new IllegalArgumentException("a CP tensor needs at least one factor, got none");
        }
        if (weights.getShape().dimension() != 1) {
            throw new IllegalArgumentException(
                    "CP weights of shape "
                            + weights.getShape()
                            + " are not accepted; a 1-D (R) array is");
        }
        this.rank = Math.toIntExact(weights.getShape().get(0));
        long[] dims = new long[factors.size()];
        for (int k = 0; k < dims.length; k++) {
            Shape f = factors.get(k).getShape();
            if (f.dimension() != 2 || f.get(1) != rank) {
                throw new IllegalArgumentException(
                        "CP factor "
                                + k
                                + " has shape "
                                + f
                                + "; a 2-D (I_"
                                + k
                                + ", "
                                + rank
                                + ") array is accepted");
            }
            dims[k] = f.get(0);
        }
        List<NDArray> all = new ArrayList<>(factors);
        all.add(weights);
        Factors.sameType(all, "CP weights and factors");
        this.weights = weights;
        this.factors = Collections.unmodifiableList(new ArrayList<>(factors));
        this.shape = new Shape(dims);
    }

    /**
     * Draws a random CP tensor whose full tensor has root mean square exactly {@code std}.
     *
     * <p>Factors are drawn from a normal distribution on the host (so the result depends on the
     * seed alone), weights are set so that the reconstruction's RMS is {@code std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape, order at least 1
     * @param rank the CP rank, at least 1
     * @param std the target RMS of the full tensor, greater than 0
     * @param seed the random seed
     * @param type float32 or float64
     * @return the random tensor
     */
    public static CPTensor normal(
            NDManager manager, Shape shape, int rank, double std, long seed, DataType type) {
        Factors.checkShape(shape, 1);
        Factors.checkStd(std);
        if (rank < 1) {
            throw new IllegalArgumentException(
                    "CP rank " + rank + " is not accepted; it must be >= 1");
        }
        Random random = new Random(seed);
        int n = shape.dimension();
        // each factor std so that the expected variance of the sum of R products is std^2
        double factorStd = Math.pow(std * std / rank, 1.0 / (2 * n));
        List<NDArray> factors = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            factors.add(
                    HostRandom.normal(
                            manager, random, new Shape(shape.get(k), rank), factorStd, type));
        }
        double[] ones = new double[rank];
        java.util.Arrays.fill(ones, 1.0);
        CPTensor draft =
                new CPTensor(HostArrays.create(manager, ones, new Shape(rank), type), factors);
        double scale = std / Factors.rms(draft);
        NDArray weights = draft.weights.mul(scale);
        draft.weights.close();
        return new CPTensor(weights, factors);
    }

    /**
     * Draws a random float32 CP tensor whose full tensor has RMS {@code std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape
     * @param rank the CP rank
     * @param std the target RMS
     * @param seed the random seed
     * @return the random tensor
     * @see #normal(NDManager, Shape, int, double, long, DataType)
     */
    public static CPTensor normal(NDManager manager, Shape shape, int rank, double std, long seed) {
        return normal(manager, shape, rank, std, seed, DataType.FLOAT32);
    }

    /**
     * Returns the weights.
     *
     * @return the {@code (R)} weights
     */
    public NDArray getWeights() {
        return weights;
    }

    /**
     * Returns the factors.
     *
     * @return the {@code (I_k, R)} factors in mode order (unmodifiable)
     */
    public List<NDArray> getFactors() {
        return factors;
    }

    /**
     * Returns one factor.
     *
     * @param mode the mode
     * @return the {@code (I_mode, R)} factor
     */
    public NDArray getFactor(int mode) {
        return factors.get(mode);
    }

    /**
     * Returns the CP rank {@code R}.
     *
     * @return the number of rank-one terms
     */
    public int getCpRank() {
        return rank;
    }

    /** {@inheritDoc} */
    @Override
    public Shape getShape() {
        return shape;
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return new int[] {rank};
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toFull() {
        try (Workspace ws = Workspace.of(weights)) {
            NDArray first = ws.adopt(factors.get(0)).mul(ws.adopt(weights).reshape(1, rank));
            if (factors.size() == 1) {
                return ws.keep(first.reshape(shape));
            }
            List<NDArray> rest = new ArrayList<>();
            for (int k = 1; k < factors.size(); k++) {
                rest.add(ws.adopt(factors.get(k)));
            }
            NDArray kr = TensorOps.khatriRao(rest);
            return ws.keep(first.matMul(kr.transpose()).reshape(shape));
        }
    }

    /** {@inheritDoc} */
    @Override
    public long numParameters() {
        return (long) rank * (1 + sumDims());
    }

    private long sumDims() {
        long s = 0;
        for (long d : shape.getShape()) {
            s += d;
        }
        return s;
    }

    /** {@inheritDoc} */
    @Override
    public double norm() {
        try (Workspace ws = Workspace.of(weights)) {
            NDArray w = ws.adopt(weights).toType(DataType.FLOAT64, true);
            NDArray h = w.reshape(rank, 1).matMul(w.reshape(1, rank));
            for (NDArray f : factors) {
                NDArray f64 = ws.adopt(f).toType(DataType.FLOAT64, true);
                h = h.mul(f64.transpose().matMul(f64));
            }
            return Math.sqrt(Math.max(h.sum().getDouble(), 0));
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDList getArrays() {
        NDList list = new NDList(weights);
        list.addAll(factors);
        return list;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "CPTensor(shape=" + shape + ", rank=" + rank + ")";
    }
}
