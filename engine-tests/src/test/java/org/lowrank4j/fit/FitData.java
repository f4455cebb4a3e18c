package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.lowrank4j.internal.HostLinalg;

/** Synthetic correlated data and an independent reference optimum, computed on the host. */
final class FitData {

    private FitData() {}

    /** Seeded standard normal host matrix. */
    static DMatrixRMaj gaussian(Random random, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = random.nextGaussian();
        }
        return m;
    }

    /**
     * {@code X = Z · Mx + mu}: Gaussian {@code Z}, a mixing matrix whose singular values decay as
     * {@code exp(-i / decay)}, and a non-zero per-feature mean.
     */
    static DMatrixRMaj correlated(long seed, int n, int d, double decay) {
        Random random = new Random(seed);
        DMatrixRMaj z = gaussian(random, n, d);
        DMatrixRMaj u = HostLinalg.orthonormalize(gaussian(random, d, d));
        DMatrixRMaj v = HostLinalg.orthonormalize(gaussian(random, d, d));
        DMatrixRMaj mix = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int l = 0; l < d; l++) {
                    s += u.get(i, l) * Math.exp(-l / decay) * v.get(j, l);
                }
                mix.set(i, j, s);
            }
        }
        DMatrixRMaj x = new DMatrixRMaj(n, d);
        org.ejml.dense.row.CommonOps_DDRM.mult(z, mix, x);
        for (int j = 0; j < d; j++) {
            double mu = 0.5 + random.nextGaussian();
            for (int i = 0; i < n; i++) {
                x.add(i, j, mu);
            }
        }
        return x;
    }

    static NDArray engine(NDManager manager, DMatrixRMaj m) {
        return manager.create(m.data.clone(), new Shape(m.getNumRows(), m.getNumCols()));
    }

    /**
     * The optimal nmse of predicting {@code y} from {@code x} by a rank-{@code k} product (plus a
     * bias if {@code withBias}), computed from the SVD of the (centred) inputs: the prediction is
     * projected on the column space of X, then truncated by Eckart-Young.
     */
    static double optimalNmse(DMatrixRMaj x, DMatrixRMaj y, int k, boolean withBias) {
        int n = x.getNumRows();
        DMatrixRMaj xc = x.copy();
        DMatrixRMaj yc = y.copy();
        if (withBias) {
            centre(xc);
            centre(yc);
        }
        DMatrixRMaj u = new DMatrixRMaj(1, 1);
        DMatrixRMaj vt = new DMatrixRMaj(1, 1);
        double[] s = HostLinalg.svd(xc, u, vt);
        int rank = 0;
        for (double v : s) {
            if (v > 1e-10 * s[0]) {
                rank++;
            }
        }
        DMatrixRMaj ur = new DMatrixRMaj(n, rank);
        org.ejml.dense.row.CommonOps_DDRM.extract(u, 0, n, 0, rank, ur, 0, 0);
        DMatrixRMaj uty = new DMatrixRMaj(rank, y.getNumCols());
        org.ejml.dense.row.CommonOps_DDRM.multTransA(ur, yc, uty);
        double[] sigma = HostLinalg.svd(uty, new DMatrixRMaj(1, 1), new DMatrixRMaj(1, 1));
        double sse = normSq(yc);
        for (int i = 0; i < Math.min(k, sigma.length); i++) {
            sse -= sigma[i] * sigma[i];
        }
        return sse / totalSs(y);
    }

    /** Sum of squared deviations of all elements from their common mean. */
    static double totalSs(DMatrixRMaj y) {
        double mean = 0;
        for (int i = 0; i < y.getNumElements(); i++) {
            mean += y.data[i];
        }
        mean /= y.getNumElements();
        double ss = 0;
        for (int i = 0; i < y.getNumElements(); i++) {
            ss += (y.data[i] - mean) * (y.data[i] - mean);
        }
        return ss;
    }

    static double normSq(DMatrixRMaj m) {
        double s = 0;
        for (int i = 0; i < m.getNumElements(); i++) {
            s += m.data[i] * m.data[i];
        }
        return s;
    }

    static void centre(DMatrixRMaj m) {
        for (int j = 0; j < m.getNumCols(); j++) {
            double mean = 0;
            for (int i = 0; i < m.getNumRows(); i++) {
                mean += m.get(i, j);
            }
            mean /= m.getNumRows();
            for (int i = 0; i < m.getNumRows(); i++) {
                m.add(i, j, -mean);
            }
        }
    }

    /** nmse of {@code pred} against {@code y}, computed element by element on the host. */
    static double nmse(double[] pred, double[] y) {
        double mean = 0;
        for (double v : y) {
            mean += v;
        }
        mean /= y.length;
        double err = 0;
        double var = 0;
        for (int i = 0; i < y.length; i++) {
            err += (pred[i] - y[i]) * (pred[i] - y[i]);
            var += (y[i] - mean) * (y[i] - mean);
        }
        return err / var;
    }
}
