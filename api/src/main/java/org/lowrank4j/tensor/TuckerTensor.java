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
import java.util.Random;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;

/**
 * A tensor in Tucker format: {@code X = G ×_0 U_0 ×_1 U_1 … ×_{N-1} U_{N-1}}.
 *
 * <p>The core {@code G} has shape {@code (r_0, …, r_{N-1})} and factor {@code k} has shape {@code
 * (I_k, r_k)}. A mode may have no factor ({@code null}): it is kept at full size ({@code r_k =
 * I_k}), as in a partial Tucker decomposition or a Tucker-2 convolution kernel whose spatial modes
 * are not compressed. {@link #getArrays()} lists the core first, then the present factors in mode
 * order.
 */
public final class TuckerTensor implements FactorizedTensor {

    private final NDArray core;
    private final List<NDArray> factors;
    private final Shape shape;

    /**
     * Wraps a core and factors (not copied).
     *
     * @param core the core, order {@code N}
     * @param factors {@code N} entries: the {@code (I_k, r_k)} factor, or {@code null} for a mode
     *     kept at full size
     * @throws IllegalArgumentException if the shapes or data types disagree
     */
    public TuckerTensor(NDArray core, List<NDArray> factors) {
        Shape coreShape = core.getShape();
        int n = coreShape.dimension();
        if (factors == null || factors.size() != n) {
            throw new IllegalArgumentException(
                    "a Tucker core of shape "
                            + coreShape
                            + " needs "
                            + n
                            + " factor entries (null for a mode without factor), got "
                            + (factors == null ? 0 : factors.size()));
        }
        long[] dims = new long[n];
        List<NDArray> present = new ArrayList<>();
        present.add(core);
        for (int k = 0; k < n; k++) {
            NDArray f = factors.get(k);
            if (f == null) {
                dims[k] = coreShape.get(k);
                continue;
            }
            Shape fs = f.getShape();
            if (fs.dimension() != 2 || fs.get(1) != coreShape.get(k)) {
                throw new IllegalArgumentException(
                        "Tucker factor "
                                + k
                                + " has shape "
                                + fs
                                + "; a 2-D (I_"
                                + k
                                + ", "
                                + coreShape.get(k)
                                + ") array matching the core "
                                + coreShape
                                + " is accepted");
            }
            dims[k] = fs.get(0);
            present.add(f);
        }
        Factors.sameType(present, "Tucker core and factors");
        this.core = core;
        this.factors = Collections.unmodifiableList(new ArrayList<>(factors));
        this.shape = new Shape(dims);
    }

    /**
     * Draws a random Tucker tensor whose full tensor has root mean square exactly {@code std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape
     * @param rank the core shape, one rank per mode, {@code 1 <= r_k <= I_k}
     * @param fixedModes modes kept at full size, without factor
     * @param std the target RMS of the full tensor, greater than 0
     * @param seed the random seed
     * @param type float32 or float64
     * @return the random tensor
     */
    public static TuckerTensor normal(
            NDManager manager,
            Shape shape,
            int[] rank,
            int[] fixedModes,
            double std,
            long seed,
            DataType type) {
        Factors.checkShape(shape, 1);
        Factors.checkStd(std);
        int n = shape.dimension();
        if (rank.length != n) {
            throw new IllegalArgumentException(
                    "Tucker rank "
                            + Arrays.toString(rank)
                            + " has "
                            + rank.length
                            + " values; shape "
                            + shape
                            + " needs "
                            + n);
        }
        boolean[] fixed = new boolean[n];
        for (int m : fixedModes) {
            org.lowrank4j.internal.Checks.mode(m, n);
            fixed[m] = true;
        }
        long[] coreShape = new long[n];
        double product = 1;
        int arrays = 1;
        for (int k = 0; k < n; k++) {
            int r = fixed[k] ? Math.toIntExact(shape.get(k)) : rank[k];
            if (r < 1 || r > shape.get(k)) {
                throw new IllegalArgumentException(
                        "Tucker rank "
                                + r
                                + " for mode "
                                + k
                                + " is not accepted; 1.."
                                + shape.get(k)
                                + " is");
            }
            coreShape[k] = r;
            if (!fixed[k]) {
                product *= r;
                arrays++;
            }
        }
        // equal std s for core and factors: var = s^2 * prod(r_k s^2) over factorized modes
        double s = Math.pow(std * std / product, 1.0 / (2 * arrays));
        Random random = new Random(seed);
        NDArray draftCore = HostRandom.normal(manager, random, new Shape(coreShape), s, type);
        List<NDArray> factors = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            factors.add(
                    fixed[k]
                            ? null
                            : HostRandom.normal(
                                    manager,
                                    random,
                                    new Shape(shape.get(k), coreShape[k]),
                                    s,
                                    type));
        }
        TuckerTensor draft = new TuckerTensor(draftCore, factors);
        NDArray core = draftCore.mul(std / Factors.rms(draft));
        draftCore.close();
        return new TuckerTensor(core, factors);
    }

    /**
     * Draws a random float32 Tucker tensor with all modes factorized and full-tensor RMS {@code
     * std}.
     *
     * @param manager where the arrays live
     * @param shape the full shape
     * @param rank the core shape
     * @param std the target RMS
     * @param seed the random seed
     * @return the random tensor
     */
    public static TuckerTensor normal(
            NDManager manager, Shape shape, int[] rank, double std, long seed) {
        return normal(manager, shape, rank, new int[0], std, seed, DataType.FLOAT32);
    }

    /**
     * Returns the core.
     *
     * @return the core, shape {@link #getRank()}
     */
    public NDArray getCore() {
        return core;
    }

    /**
     * Returns the factors.
     *
     * @return {@code N} entries, {@code null} for a mode without factor (unmodifiable)
     */
    public List<NDArray> getFactors() {
        return factors;
    }

    /**
     * Returns the factor of a mode.
     *
     * @param mode the mode
     * @return the {@code (I_mode, r_mode)} factor, or {@code null} if the mode has none
     */
    public NDArray getFactor(int mode) {
        return factors.get(mode);
    }

    /**
     * Returns the modes that have a factor.
     *
     * @return the factorized modes, ascending
     */
    public int[] getFactorizedModes() {
        int[] modes = new int[factors.size()];
        int count = 0;
        for (int k = 0; k < factors.size(); k++) {
            if (factors.get(k) != null) {
                modes[count++] = k;
            }
        }
        return Arrays.copyOf(modes, count);
    }

    /** {@inheritDoc} */
    @Override
    public Shape getShape() {
        return shape;
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        long[] c = core.getShape().getShape();
        int[] r = new int[c.length];
        for (int i = 0; i < c.length; i++) {
            r[i] = Math.toIntExact(c[i]);
        }
        return r;
    }

    private List<NDArray> present(Workspace ws) {
        List<NDArray> list = new ArrayList<>();
        for (NDArray f : factors) {
            if (f != null) {
                list.add(ws.adopt(f));
            }
        }
        return list;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toFull() {
        try (Workspace ws = Workspace.of(core)) {
            NDArray full =
                    TensorOps.multiModeProduct(
                            ws.adopt(core), present(ws), getFactorizedModes(), false);
            return ws.keep(full);
        }
    }

    /** {@inheritDoc} */
    @Override
    public long numParameters() {
        long n = core.getShape().size();
        for (NDArray f : factors) {
            if (f != null) {
                n += f.getShape().size();
            }
        }
        return n;
    }

    /** {@inheritDoc} */
    @Override
    public double norm() {
        try (Workspace ws = Workspace.of(core)) {
            NDArray g = ws.adopt(core).toType(DataType.FLOAT64, true);
            List<NDArray> grams = new ArrayList<>();
            for (NDArray f : present(ws)) {
                NDArray f64 = f.toType(DataType.FLOAT64, true);
                grams.add(f64.transpose().matMul(f64));
            }
            NDArray weighted = TensorOps.multiModeProduct(g, grams, getFactorizedModes(), false);
            return Math.sqrt(Math.max(weighted.mul(g).sum().getDouble(), 0));
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDList getArrays() {
        NDList list = new NDList(core);
        for (NDArray f : factors) {
            if (f != null) {
                list.add(f);
            }
        }
        return list;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TuckerTensor(shape=" + shape + ", rank=" + Arrays.toString(getRank()) + ")";
    }
}
