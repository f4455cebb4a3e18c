package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FitConvTest extends EngineTestBase {

    private static final int N = 6;
    private static final int C = 3;
    private static final int H = 11;
    private static final int W = 10;
    private static final int M = 5;
    private static final int K = 3;

    /** Smooth images: white noise box-blurred twice, mixed across channels, plus an offset. */
    private NDArray smoothImages(long seed) {
        Random random = new Random(seed);
        double[][][][] img = new double[N][C][H][W];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < W; j++) {
                        img[n][c][i][j] = random.nextGaussian();
                    }
                }
                for (int pass = 0; pass < 2; pass++) {
                    double[][] b = new double[H][W];
                    for (int i = 0; i < H; i++) {
                        for (int j = 0; j < W; j++) {
                            double s = 0;
                            int cnt = 0;
                            for (int di = -1; di <= 1; di++) {
                                for (int dj = -1; dj <= 1; dj++) {
                                    int a = i + di;
                                    int bb = j + dj;
                                    if (a >= 0 && a < H && bb >= 0 && bb < W) {
                                        s += img[n][c][a][bb];
                                        cnt++;
                                    }
                                }
                            }
                            b[i][j] = s / cnt;
                        }
                    }
                    img[n][c] = b;
                }
            }
        }
        double[][] mix = new double[C][C];
        for (int a = 0; a < C; a++) {
            for (int b = 0; b < C; b++) {
                mix[a][b] = (a == b ? 1 : 0) + 0.6 * random.nextGaussian();
            }
        }
        double[] out = new double[N * C * H * W];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < W; j++) {
                        double s = 0.3 * (c + 1);
                        for (int e = 0; e < C; e++) {
                            s += mix[c][e] * img[n][e][i][j];
                        }
                        out[((n * C + c) * H + i) * W + j] = s;
                    }
                }
            }
        }
        return manager.create(out, new Shape(N, C, H, W));
    }

    /**
     * im2col on the host, written independently of the library: rows (n, oh, ow), cols (c, i, j).
     */
    private static DMatrixRMaj im2col(
            NDArray x, int kh, int kw, Shape stride, Shape padding, Shape dilation) {
        double[] v = x.toType(DataType.FLOAT64, false).toDoubleArray();
        long[] s = x.getShape().getShape();
        int n = (int) s[0];
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        int ho =
                (int)
                        ((h + 2 * padding.get(0) - dilation.get(0) * (kh - 1) - 1) / stride.get(0)
                                + 1);
        int wo =
                (int)
                        ((w + 2 * padding.get(1) - dilation.get(1) * (kw - 1) - 1) / stride.get(1)
                                + 1);
        DMatrixRMaj out = new DMatrixRMaj(n * ho * wo, c * kh * kw);
        for (int b = 0; b < n; b++) {
            for (int oh = 0; oh < ho; oh++) {
                for (int ow = 0; ow < wo; ow++) {
                    int row = (b * ho + oh) * wo + ow;
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                long ih = oh * stride.get(0) - padding.get(0) + i * dilation.get(0);
                                long iw = ow * stride.get(1) - padding.get(1) + j * dilation.get(1);
                                double val = 0;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    val = v[((b * c + ch) * h + (int) ih) * w + (int) iw];
                                }
                                out.set(row, (ch * kh + i) * kw + j, val);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** A conv output (N, M, Ho, Wo) as rows (n, oh, ow) by columns m. */
    private static DMatrixRMaj rows(NDArray y) {
        NDArray t = y.transpose(0, 2, 3, 1);
        long m = y.getShape().get(1);
        NDArray r = t.reshape(-1, m).toType(DataType.FLOAT64, false);
        return new DMatrixRMaj((int) r.getShape().get(0), (int) m, true, r.toDoubleArray());
    }

    private static NDArray apply(LowRankSolution s, NDArray x, Shape st, Shape pa, Shape di) {
        NDArray h = Conv2d.conv2d(x, s.getWa(), null, st, pa, di, 1).singletonOrThrow();
        return Conv2d.conv2d(h, s.getWb(), s.getBias()).singletonOrThrow();
    }

    private static final Shape[][] SETTINGS = {
        {new Shape(2, 2), new Shape(1, 1), new Shape(2, 2)},
        {new Shape(1, 2), new Shape(2, 0), new Shape(1, 2)},
        {new Shape(1, 1), new Shape(0, 0), new Shape(1, 1)},
    };

    @Test
    public void fullRankReproducesTheDenseConvolution() {
        NDArray x = smoothImages(1);
        NDArray w = randn(2, DataType.FLOAT64, M, C, K, K);
        NDArray b = randn(3, DataType.FLOAT64, M);
        LowRankFit fit = LowRankFit.builder().optRequireSpeedup(false).optChunkSize(1).build();
        for (Shape[] s : SETTINGS) {
            NDArray dense = Conv2d.conv2d(x, w, b, s[0], s[1], s[2], 1).singletonOrThrow();
            LowRankSolution sol = fit.fitConv2d(x, w, null, b, null, M, s[0], s[1], s[2], 1);
            Assert.assertEquals(sol.getRank(), M);
            Assert.assertEquals(sol.getWa().getShape(), new Shape(M, C, K, K));
            Assert.assertEquals(sol.getWb().getShape(), new Shape(M, M, 1, 1));
            assertClose(apply(sol, x, s[0], s[1], s[2]), dense, 1e-9);
            Assert.assertTrue(sol.getNmse() < 1e-12, "nmse " + sol.getNmse());
        }
    }

    @Test
    public void lowRankMatchesTheIndependentOptimum() {
        NDArray x = smoothImages(4);
        NDArray w = randn(5, DataType.FLOAT64, M, C, K, K);
        NDArray b = randn(6, DataType.FLOAT64, M);
        for (Shape[] s : SETTINGS) {
            NDArray dense = Conv2d.conv2d(x, w, b, s[0], s[1], s[2], 1).singletonOrThrow();
            DMatrixRMaj patches = im2col(x, K, K, s[0], s[1], s[2]);
            DMatrixRMaj target = rows(dense);
            for (int k : new int[] {1, 2, 3}) {
                double opt = FitData.optimalNmse(patches, target, k, true);
                LowRankSolution sol =
                        LowRankFit.builder()
                                .optChunkSize(2000)
                                .build()
                                .fitConv2d(x, w, null, b, null, k, s[0], s[1], s[2], 1);
                Assert.assertEquals(sol.getRank(), k);
                double direct =
                        FitData.nmse(rows(apply(sol, x, s[0], s[1], s[2])).data, target.data);
                Assert.assertEquals(sol.getNmse(), direct, 1e-8 * direct);
                Assert.assertEquals(direct, opt, 1e-8 * opt, "rank " + k);
                LowRankSolution als =
                        LowRankFit.builder()
                                .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
                                .build()
                                .fitConv2d(x, w, null, b, null, k, s[0], s[1], s[2], 1);
                Assert.assertTrue(als.getNmse() >= opt * (1 - 1e-10));
            }
        }
    }

    @Test
    public void refactorizesAFactorizedConvolution() {
        NDArray x = smoothImages(7);
        NDArray w = randn(8, DataType.FLOAT64, M, C, K, K);
        NDArray b = randn(9, DataType.FLOAT64, M);
        Shape[] s = SETTINGS[0];
        LowRankFit fit = LowRankFit.builder().optRequireSpeedup(false).build();
        LowRankSolution first = fit.fitConv2d(x, w, null, b, null, 4, s[0], s[1], s[2], 1);
        NDArray biasA = randn(10, DataType.FLOAT64, 4); // a bias on the first factor too
        NDArray target =
                Conv2d.conv2d(
                                Conv2d.conv2d(x, first.getWa(), biasA, s[0], s[1], s[2], 1)
                                        .singletonOrThrow(),
                                first.getWb(),
                                first.getBias())
                        .singletonOrThrow();
        LowRankSolution second =
                fit.fitConv2d(
                        x,
                        first.getWa(),
                        first.getWb(),
                        biasA,
                        first.getBias(),
                        2,
                        s[0],
                        s[1],
                        s[2],
                        1);
        double opt = FitData.optimalNmse(im2col(x, K, K, s[0], s[1], s[2]), rows(target), 2, true);
        Assert.assertEquals(second.getNmse(), opt, 1e-8 * opt);
        double direct =
                FitData.nmse(rows(apply(second, x, s[0], s[1], s[2])).data, rows(target).data);
        Assert.assertEquals(direct, opt, 1e-8 * opt);
    }

    @Test
    public void float32AndTheSpeedupRule() {
        NDArray x = smoothImages(11).toType(DataType.FLOAT32, false);
        NDArray w = randn(12, DataType.FLOAT32, 8, C, K, K);
        Shape one = new Shape(1, 1);
        Shape zero = new Shape(0, 0);
        // D = 27, M = 8: rank 6 saves (6 * 35 = 210 < 216), rank 7 does not
        LowRankSolution s =
                LowRankFit.factorizeConv2d(x, w, null, null, null, 6, one, zero, one, 1);
        Assert.assertEquals(s.getRank(), 6);
        Assert.assertNull(s.getBias());
        Assert.assertEquals(s.getWa().getDataType(), DataType.FLOAT32);
        LowRankSolution full =
                LowRankFit.factorizeConv2d(x, w, null, null, null, 7, one, zero, one, 1);
        Assert.assertEquals(full.getRank(), -1);
        Assert.assertEquals(full.getWa().getShape(), w.getShape());
        assertClose(full.getWa(), w, 0);
        Assert.assertTrue(full.getNmse() < 1e-12);
        NDArray dense = Conv2d.conv2d(x, w).singletonOrThrow();
        NDArray approx = apply(s, x, one, zero, one);
        double direct =
                FitData.nmse(
                        approx.toType(DataType.FLOAT64, false).toDoubleArray(),
                        dense.toType(DataType.FLOAT64, false).toDoubleArray());
        Assert.assertEquals(s.getNmse(), direct, 1e-3 * direct + 1e-7);
    }

    @Test
    public void badInputIsRejectedByName() {
        NDArray x = smoothImages(13).toType(DataType.FLOAT32, false);
        NDArray w = randn(14, DataType.FLOAT32, M, C, K, K);
        NDArray wb = randn(15, DataType.FLOAT32, M, M, 1, 1);
        NDArray b = manager.zeros(new Shape(M));
        Shape one = new Shape(1, 1);
        Shape zero = new Shape(0, 0);
        assertIllegalArgument(
                () -> LowRankFit.factorizeConv2d(x, w, null, null, null, 2, one, zero, one, 3),
                "groups 3");
        assertIllegalArgument(
                () -> LowRankFit.factorizeConv2d(x, w, null, null, b, 2, one, zero, one, 1),
                "biasB of shape");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x,
                                w,
                                null,
                                manager.zeros(new Shape(4)),
                                null,
                                2,
                                one,
                                zero,
                                one,
                                1),
                "biasA has shape");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, w.get(":, 0:2"), null, null, null, 2, one, zero, one, 1),
                "Wa has shape");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, w, wb.get(":, 0:3"), null, null, 2, one, zero, one, 1),
                "Wb has shape");
        assertIllegalArgument(
                () -> LowRankFit.factorizeConv2d(x, w, null, null, null, 0, one, zero, one, 1),
                "rank 0");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, w, null, null, null, 2, new Shape(0, 1), zero, one, 1),
                "stride (0, 1)");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, w, null, null, null, 2, one, zero, new Shape(9, 9), 1),
                "does not fit");
        NDArray bad = x.duplicate();
        bad.set(new ai.djl.ndarray.index.NDIndex("0, 1, 2, 3"), Float.NaN);
        assertIllegalArgument(
                () -> LowRankFit.factorizeConv2d(bad, w, null, null, null, 2, one, zero, one, 1),
                "X of shape");
    }

    @Test
    public void leavesNoArraysBehind() {
        NDArray x = smoothImages(16).toType(DataType.FLOAT32, false);
        NDArray w = randn(17, DataType.FLOAT32, M, C, K, K);
        Shape one = new Shape(1, 1);
        LowRankFit fit = LowRankFit.builder().optChunkSize(300).build();
        fit.fitConv2d(x, w, null, null, null, 2, one, one, one, 1).close();
        int before = manager.getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            fit.fitConv2d(x, w, null, null, null, 2, one, one, one, 1).close();
        }
        Assert.assertEquals(manager.getManagedArrays().size(), before);
    }
}
