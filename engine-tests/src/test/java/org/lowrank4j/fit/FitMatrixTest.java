package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FitMatrixTest extends EngineTestBase {

    private static final int N = 600;
    private static final int D = 40;
    private static final int M = 30;

    /** Y = X W + b + noise on correlated X. */
    private static DMatrixRMaj targets(DMatrixRMaj x, DMatrixRMaj w, double noise, long seed) {
        Random random = new Random(seed);
        DMatrixRMaj y = new DMatrixRMaj(x.getNumRows(), w.getNumCols());
        CommonOps_DDRM.mult(x, w, y);
        for (int j = 0; j < y.getNumCols(); j++) {
            double b = 2 * random.nextGaussian();
            for (int i = 0; i < y.getNumRows(); i++) {
                y.add(i, j, b + noise * random.nextGaussian());
            }
        }
        return y;
    }

    private static double[] predict(LowRankSolution s, NDArray x) {
        NDArray p = x.matMul(s.getWa());
        if (s.getWb() != null) {
            p = p.matMul(s.getWb());
        }
        if (s.getBias() != null) {
            p = p.add(s.getBias());
        }
        return p.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    @Test
    public void closedFormMatchesIndependentOptimum() {
        DMatrixRMaj xh = FitData.correlated(1, N, D, 6);
        DMatrixRMaj wh = FitData.gaussian(new Random(2), D, M);
        DMatrixRMaj yh = targets(xh, wh, 0.3, 3);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = FitData.engine(manager, wh);
        NDArray b = manager.zeros(new Shape(M), DataType.FLOAT64);
        for (int k : new int[] {1, 4, 9}) {
            double opt = FitData.optimalNmse(xh, yh, k, true);
            LowRankSolution s =
                    LowRankFit.builder()
                            .optChunkSize(1000) // several chunks
                            .build()
                            .fitMatrix(x, y, w, null, b, k);
            Assert.assertEquals(s.getRank(), k);
            Assert.assertEquals(s.getWa().getShape(), new Shape(D, k));
            Assert.assertEquals(s.getWb().getShape(), new Shape(k, M));
            Assert.assertEquals(s.getBias().getShape(), new Shape(M));
            double direct = FitData.nmse(predict(s, x), yh.data);
            Assert.assertEquals(s.getNmse(), direct, 1e-9 * direct, "reported nmse, rank " + k);
            Assert.assertEquals(direct, opt, 1e-9 * opt, "nmse vs optimum, rank " + k);
            Assert.assertTrue(opt > 1e-3, "the test problem must not be trivial: " + opt);

            LowRankSolution als =
                    LowRankFit.builder()
                            .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                            .optIterations(3)
                            .build()
                            .fitMatrix(x, y, w, null, b, k);
            double alsDirect = FitData.nmse(predict(als, x), yh.data);
            Assert.assertEquals(als.getNmse(), alsDirect, 1e-9 * alsDirect);
            Assert.assertTrue(
                    alsDirect >= direct * (1 - 1e-12),
                    "ALS " + alsDirect + " beat the closed form " + direct + " at rank " + k);
        }
    }

    @Test
    public void closedFormOnWideOutputsMatchesIndependentOptimum() {
        // 200 outputs and rank 20: the leading eigenvectors come from the engine-side iteration
        // (LeadingEigen), not from a full eigendecomposition
        int d = 240;
        int m = 200;
        DMatrixRMaj xh = FitData.correlated(4, N, d, 30);
        DMatrixRMaj wh = FitData.gaussian(new Random(5), d, m);
        DMatrixRMaj yh = targets(xh, wh, 0.3, 6);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = FitData.engine(manager, wh);
        NDArray b = manager.zeros(new Shape(m), DataType.FLOAT64);
        for (int k : new int[] {8, 20}) {
            double opt = FitData.optimalNmse(xh, yh, k, true);
            LowRankSolution s = LowRankFit.factorizeMatrix(x, y, w, null, b, k);
            double direct = FitData.nmse(predict(s, x), yh.data);
            Assert.assertEquals(s.getNmse(), direct, 1e-9 * direct, "reported nmse, rank " + k);
            // the target is 0.1% of the optimum; the iteration stops far closer
            Assert.assertEquals(direct, opt, 1e-5 * opt, "nmse vs optimum, rank " + k);
            Assert.assertTrue(opt > 1e-3, "the test problem must not be trivial: " + opt);
        }
    }

    @Test
    public void alternatingLeastSquaresConvergesToTheOptimum() {
        DMatrixRMaj xh = FitData.correlated(4, N, D, 6);
        DMatrixRMaj yh = targets(xh, FitData.gaussian(new Random(5), D, M), 0.3, 6);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = FitData.engine(manager, FitData.gaussian(new Random(5), D, M));
        NDArray b = manager.zeros(new Shape(M), DataType.FLOAT64);
        double opt = FitData.optimalNmse(xh, yh, 5, true);
        LowRankFit als =
                LowRankFit.builder()
                        .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                        .optIterations(300)
                        .build();
        double nmse = als.fitMatrix(x, y, w, null, b, 5).getNmse();
        Assert.assertEquals(nmse, opt, 1e-6 * opt);
    }

    @Test
    public void exactRecoveryOfALowRankMap() {
        int k = 6;
        DMatrixRMaj xh = FitData.correlated(7, N, D, 10);
        Random random = new Random(8);
        DMatrixRMaj wt = new DMatrixRMaj(D, M);
        CommonOps_DDRM.mult(FitData.gaussian(random, D, k), FitData.gaussian(random, k, M), wt);
        DMatrixRMaj yh = new DMatrixRMaj(N, M);
        CommonOps_DDRM.mult(xh, wt, yh);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = randn(9, DataType.FLOAT64, D, M); // a wrong starting weight
        // without a bias
        LowRankSolution s = LowRankFit.factorizeMatrix(x, y, w, null, null, k);
        Assert.assertNull(s.getBias());
        Assert.assertTrue(s.getNmse() < 1e-8, "nmse " + s.getNmse());
        Assert.assertTrue(FitData.nmse(predict(s, x), yh.data) < 1e-8);
        // with a bias (Y shifted by a constant per column)
        NDArray shift = randn(10, DataType.FLOAT64, M);
        NDArray yb = y.add(shift);
        LowRankSolution sb =
                LowRankFit.factorizeMatrix(
                        x, yb, w, null, manager.zeros(new Shape(M), DataType.FLOAT64), k);
        double direct = FitData.nmse(predict(sb, x), yb.toDoubleArray());
        Assert.assertTrue(sb.getNmse() < 1e-8, "nmse " + sb.getNmse());
        Assert.assertTrue(direct < 1e-8, "direct nmse " + direct);
        assertClose(sb.getBias(), shift, 1e-6);
    }

    @Test
    public void nmseWithAGivenBiasIsTheTrueError() {
        // the full solution keeps the given bias: its nmse must be the plain mse / var(Y)
        DMatrixRMaj xh = FitData.correlated(11, 200, 6, 3);
        DMatrixRMaj wh = FitData.gaussian(new Random(12), 6, 5);
        DMatrixRMaj yh = targets(xh, wh, 0.5, 13);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = FitData.engine(manager, wh);
        NDArray b = randn(14, DataType.FLOAT64, 5).mul(3);
        LowRankSolution full = LowRankFit.factorizeMatrix(x, y, w, null, b, 5);
        Assert.assertEquals(full.getRank(), -1);
        Assert.assertNull(full.getWb());
        assertClose(full.getWa(), w, 0);
        assertClose(full.getBias(), b, 0);
        double[] pred = x.matMul(w).add(b).toDoubleArray();
        double[] yv = yh.data;
        double mse = 0;
        double mean = 0;
        for (int i = 0; i < yv.length; i++) {
            mse += (pred[i] - yv[i]) * (pred[i] - yv[i]);
            mean += yv[i];
        }
        mse /= yv.length;
        mean /= yv.length;
        double var = 0;
        for (double v : yv) {
            var += (v - mean) * (v - mean);
        }
        var /= yv.length;
        Assert.assertEquals(full.getNmse(), mse / var, 1e-10 * mse / var);
    }

    @Test
    public void fullSolutionWhenTheRankDoesNotSave() {
        NDArray x = randn(15, DataType.FLOAT32, 50, 8);
        NDArray w = randn(16, DataType.FLOAT32, 8, 8);
        NDArray y = x.matMul(w);
        // 4 * (8 + 8) = 64 >= 8 * 8: no saving
        LowRankSolution s = LowRankFit.factorizeMatrix(x, y, w, null, null, 4);
        Assert.assertEquals(s.getRank(), -1);
        Assert.assertFalse(s.isFactorized());
        Assert.assertEquals(s.getWa().getDataType(), DataType.FLOAT32);
        Assert.assertTrue(s.getNmse() < 1e-10, "nmse " + s.getNmse());
        Assert.assertEquals(LowRankFit.factorizeMatrix(x, y, w, null, null, 3).getRank(), 3);
        Assert.assertEquals(LowRankFit.factorizeMatrix(x, y, w, null, null, 0.5).getRank(), -1);
        Assert.assertEquals(LowRankFit.maxRankWithSpeedup(8, 8), 3);
        Assert.assertEquals(LowRankFit.maxRankWithSpeedup(512, 512), 255);
        Assert.assertEquals(LowRankFit.maxRankWithSpeedup(1, 100), 0);
        // without the speedup requirement the rank is honoured up to min(D, M)
        LowRankSolution forced =
                LowRankFit.builder()
                        .optRequireSpeedup(false)
                        .build()
                        .fitMatrix(x, y, w, null, null, 20);
        Assert.assertEquals(forced.getRank(), 8);
        Assert.assertTrue(forced.getNmse() < 1e-8, "nmse " + forced.getNmse());
    }

    @Test
    public void refactorizesAnExistingFactorization() {
        DMatrixRMaj xh = FitData.correlated(17, N, D, 6);
        DMatrixRMaj wh = FitData.gaussian(new Random(18), D, M);
        DMatrixRMaj yh = targets(xh, wh, 0.1, 19);
        NDArray x = FitData.engine(manager, xh);
        NDArray y = FitData.engine(manager, yh);
        NDArray w = FitData.engine(manager, wh);
        NDArray b = manager.zeros(new Shape(M), DataType.FLOAT64);
        LowRankSolution first = LowRankFit.factorizeMatrix(x, y, w, null, b, 10);
        NDArray y2 = x.matMul(first.getWa()).matMul(first.getWb()).add(first.getBias());
        LowRankSolution second =
                LowRankFit.factorizeMatrix(x, y2, first.getWa(), first.getWb(), first.getBias(), 4);
        DMatrixRMaj y2h = new DMatrixRMaj(N, M, true, y2.toDoubleArray());
        double opt = FitData.optimalNmse(xh, y2h, 4, true);
        Assert.assertEquals(second.getNmse(), opt, 1e-9 * opt);
        // the rank-10 product's outputs are explained exactly at rank 10
        Assert.assertTrue(
                LowRankFit.factorizeMatrix(x, y2, first.getWa(), first.getWb(), b, 10).getNmse()
                        < 1e-8);
    }

    @Test
    public void float32InputsGiveFloat32Results() {
        DMatrixRMaj xh = FitData.correlated(20, N, D, 6);
        DMatrixRMaj yh = targets(xh, FitData.gaussian(new Random(21), D, M), 0.3, 22);
        NDArray x = FitData.engine(manager, xh).toType(DataType.FLOAT32, false);
        NDArray y = FitData.engine(manager, yh).toType(DataType.FLOAT32, false);
        NDArray w = randn(23, DataType.FLOAT32, D, M);
        NDArray b = manager.zeros(new Shape(M));
        LowRankSolution s = LowRankFit.factorizeMatrix(x, y, w, null, b, 5);
        Assert.assertEquals(s.getWa().getDataType(), DataType.FLOAT32);
        Assert.assertEquals(s.getWb().getDataType(), DataType.FLOAT32);
        Assert.assertEquals(s.getBias().getDataType(), DataType.FLOAT32);
        double opt = FitData.optimalNmse(xh, yh, 5, true);
        Assert.assertEquals(s.getNmse(), opt, 1e-4 * opt);
        Assert.assertEquals(FitData.nmse(predict(s, x), yh.data), opt, 1e-3 * opt);
    }

    @Test
    public void badInputIsRejectedByName() {
        NDArray x = randn(24, DataType.FLOAT32, 20, 6);
        NDArray y = randn(25, DataType.FLOAT32, 20, 5);
        NDArray w = randn(26, DataType.FLOAT32, 6, 5);
        NDArray b = manager.zeros(new Shape(5));
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y.get("0:10"), w, null, b, 2), "Y has shape");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w.get("0:5"), null, b, 2), "Wa has shape");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w.get(":, 0:4"), null, b, 2),
                "Wa has shape");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeMatrix(
                                x, y, w.get(":, 0:3"), manager.zeros(new Shape(2, 5)), b, 2),
                "Wb has shape");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, null, manager.zeros(new Shape(4)), 2),
                "bias has shape");
        assertIllegalArgument(() -> LowRankFit.factorizeMatrix(x, y, w, null, b, 0), "rank 0");
        assertIllegalArgument(() -> LowRankFit.factorizeMatrix(x, y, w, null, b, -3), "rank -3");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, null, b, 1.5), "rank fraction 1.5");
        NDArray bad = x.duplicate();
        bad.set(new ai.djl.ndarray.index.NDIndex("3, 2"), Float.NaN);
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(bad, y, w, null, b, 2), "X of shape");
        assertIllegalArgument(() -> LowRankFit.builder().optIterations(-1), "iterations -1");
        // nothing changed
        Assert.assertEquals(w.getShape(), new Shape(6, 5));
        Assert.assertFalse(w.isReleased());
    }

    @Test
    public void leavesNoArraysBehind() {
        NDArray x = randn(27, DataType.FLOAT32, 100, 12);
        NDArray y = randn(28, DataType.FLOAT32, 100, 10);
        NDArray w = randn(29, DataType.FLOAT32, 12, 10);
        NDArray b = manager.zeros(new Shape(10));
        LowRankFit.factorizeMatrix(x, y, w, null, b, 3).close();
        int before = manager.getManagedArrays().size();
        for (int i = 0; i < 5; i++) {
            LowRankFit.builder()
                    .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                    .optChunkSize(100)
                    .build()
                    .fitMatrix(x, y, w, null, b, 3)
                    .close();
            LowRankFit.factorizeMatrix(x, y, w, null, b, 3).close();
        }
        Assert.assertEquals(manager.getManagedArrays().size(), before);
    }
}
