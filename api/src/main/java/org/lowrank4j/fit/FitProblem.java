package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.ejml.data.DMatrixRMaj;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.linalg.LeadingEigen;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;

/**
 * The least-squares problem a {@link LowRankFit} solves, as the statistics it works from (all
 * float64, in the caller's workspace): {@code Xᵀ X}, {@code Xᵀ Y}, the trace of {@code Yᵀ Y} and
 * the means, from targets or from a weight; the error of a candidate solution is computed from them
 * without the data.
 */
final class FitProblem {
    long n;
    boolean centred;
    NDArray g; // Xᵀ X (centred if with a bias)
    NDArray c; // Xᵀ Y (centred if with a bias)
    double tyy; // trace of Yᵀ Y (centred if with a bias)
    NDArray xMean; // (D)
    NDArray yMean; // (M)
    double totalSs; // sum of squared deviations of all elements of Y from their mean

    static FitProblem fromTargets(GramStats stats, boolean centred) {
        FitProblem p = new FitProblem();
        p.n = stats.rows();
        p.g = stats.centredXx();
        p.c = stats.centredXy();
        p.xMean = stats.meanX();
        p.yMean = stats.meanY();
        p.finish(stats.centredYyTrace(), centred);
        return p;
    }

    static FitProblem fromWeight(GramStats stats, NDArray w0, NDArray b0, boolean centred) {
        FitProblem p = new FitProblem();
        p.n = stats.rows();
        p.g = stats.centredXx();
        p.c = p.g.matMul(w0);
        p.xMean = stats.meanX();
        NDArray ym = p.xMean.reshape(1, -1).matMul(w0).reshape(-1);
        p.yMean = b0 == null ? ym : ym.add(b0);
        p.finish(w0.mul(p.c).sum().getDouble(), centred);
        return p;
    }

    private void finish(double centredTyy, boolean withBias) {
        double[] ym = yMean.toDoubleArray();
        double grand = 0;
        for (double v : ym) {
            grand += v;
        }
        grand /= ym.length;
        double spread = 0;
        double sq = 0;
        for (double v : ym) {
            spread += (v - grand) * (v - grand);
            sq += v * v;
        }
        totalSs = centredTyy + n * spread;
        centred = withBias;
        if (withBias) {
            tyy = centredTyy;
        } else {
            NDArray xm = xMean.reshape(-1, 1);
            g = g.add(xm.matMul(xm.transpose()).mul(n));
            c = c.add(xm.matMul(yMean.reshape(1, -1)).mul(n));
            tyy = centredTyy + n * sq;
        }
    }

    /** Sum of squared errors of {@code X · A · B + bias} ({@code B == null}: A is full). */
    double sse(NDArray a, NDArray b, NDArray bias) {
        double cross;
        double quad;
        NDArray xw;
        if (b == null) {
            cross = a.mul(c).sum().getDouble();
            quad = a.mul(g.matMul(a)).sum().getDouble();
            xw = xMean.reshape(1, -1).matMul(a).reshape(-1);
        } else {
            NDArray at = a.transpose();
            cross = at.matMul(c).mul(b).sum().getDouble();
            quad = at.matMul(g).matMul(a).mul(b.matMul(b.transpose())).sum().getDouble();
            xw = xMean.reshape(1, -1).matMul(a).matMul(b).reshape(-1);
        }
        double sse = tyy - 2 * cross + quad;
        if (centred) {
            NDArray off = bias == null ? yMean.sub(xw) : yMean.sub(xw).sub(bias);
            sse += n * off.mul(off).sum().getDouble();
        }
        return Math.max(0, sse);
    }

    double nmse(double sse) {
        if (totalSs <= 0) {
            return sse <= 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return sse / totalSs;
    }

    /** The bias that is optimal for the product {@code A · B}. */
    NDArray refitBias(NDArray a, NDArray b) {
        return yMean.sub(xMean.reshape(1, -1).matMul(a).matMul(b).reshape(-1));
    }

    /** A least-squares solution {@code W*} of {@code G W = C}, the one closest to {@code W0}. */
    NDArray leastSquares(NDManager manager, NDArray w0) {
        NDArray residual = c.sub(g.matMul(w0));
        DMatrixRMaj delta =
                HostLinalg.solveSymmetric(HostLinalg.toHost(g), HostLinalg.toHost(residual));
        return w0.add(HostLinalg.toEngine(manager, delta, DataType.FLOAT64));
    }

    /**
     * Solves the problem at rank {@code k}: the exact optimum (closed form) or alternating least
     * squares from the truncated SVD of {@code w0}; the full weight when the rank saves nothing and
     * a speed-up is required.
     *
     * @param manager where the solution's arrays live
     * @param w0 the weight {@code (D, M)}, float64
     * @param b0 its bias, or null
     * @param exact whether {@code w0} already solves the unconstrained problem (a weight's
     *     statistics), so that no least-squares step is needed
     * @param k the rank
     * @param solver how the rank-constrained problem is solved
     * @param iterations the rounds of alternating least squares
     * @param requireSpeedup whether a rank that saves nothing gives the full weight
     * @return the solution
     */
    Solution solve(
            NDManager manager,
            NDArray w0,
            NDArray b0,
            boolean exact,
            int k,
            LowRankFit.Solver solver,
            int iterations,
            boolean requireSpeedup) {
        long d = w0.getShape().get(0);
        long m = w0.getShape().get(1);
        long small = Math.min(d, m);
        Solution f = new Solution();
        boolean noSaving = k >= small || (long) k * (d + m) >= d * m;
        if (requireSpeedup && noSaving) {
            f.full = true;
            f.rank = -1;
            f.a = w0;
            f.bias = b0;
            f.nmse = nmse(sse(w0, null, b0));
            return f;
        }
        int r = (int) Math.min(k, small);
        NDArray wStar = exact ? w0 : leastSquares(manager, w0);
        NDArray a;
        NDArray b;
        if (solver == LowRankFit.Solver.CLOSED_FORM) {
            NDArray q = wStar.transpose().matMul(c);
            NDArray v = LeadingEigen.leading(q, r).getVectors();
            a = wStar.matMul(v);
            b = v.transpose();
        } else {
            Svd svd = TruncatedSvd.leading(w0, r);
            a = svd.getU().mul(svd.getS().reshape(1, r));
            b = svd.getVt();
            for (int it = 0; it < iterations; it++) {
                // A = W* Bᵀ (B Bᵀ)⁻¹
                NDArray bbt = b.matMul(b.transpose());
                NDArray rhs = b.matMul(wStar.transpose());
                a = solveHost(manager, bbt, rhs).transpose();
                // B = (Aᵀ G A)⁻¹ Aᵀ C
                NDArray at = a.transpose();
                b = solveHost(manager, at.matMul(g).matMul(a), at.matMul(c));
            }
        }
        f.rank = r;
        f.a = a;
        f.b = b;
        f.bias = centred ? refitBias(a, b) : null;
        f.nmse = nmse(sse(a, b, f.bias));
        return f;
    }

    private static NDArray solveHost(NDManager manager, NDArray a, NDArray b) {
        DMatrixRMaj x = HostLinalg.solve(HostLinalg.toHost(a), HostLinalg.toHost(b));
        return HostLinalg.toEngine(manager, x, DataType.FLOAT64);
    }

    /** A solution in float64, in the workspace, in matrix layout. */
    static final class Solution {
        boolean full;
        NDArray a;
        NDArray b;
        NDArray bias;
        int rank;
        double nmse;
    }
}
