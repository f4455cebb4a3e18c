package org.lowrank4j.decompose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.lowrank4j.linalg.TruncatedSvd;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.TTMatrix;
import org.lowrank4j.tensor.TTTensor;
import org.lowrank4j.tensor.TuckerTensor;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class DecompositionTest extends EngineTestBase {

    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64};

    @Test
    public void parafacRecoversRankFiveTensor() {
        for (DataType type : TYPES) {
            NDArray x = CPTensor.normal(manager, new Shape(12, 10, 8), 5, 1.0, 7, type).toFull();
            Decomposition<CPTensor> cp =
                    Parafac.builder()
                            .setRank(5)
                            .optMaxIterations(500)
                            .optTolerance(1e-12)
                            .build()
                            .fit(x);
            Assert.assertTrue(
                    cp.getRelativeError() < 1e-4,
                    type + " error " + cp.getRelativeError() + " on " + engine());
            assertClose(cp.getTensor().toFull(), x, 1e-4);
            Assert.assertEquals(cp.getTensor().getDataType(), type);
            Assert.assertEquals(cp.getRank(), new int[] {5});
            Assert.assertSame(cp.getTensor().getFactor(0).getManager(), x.getManager());
        }
    }

    @Test
    public void parafacAtTheLargestRankIsExactWithoutIterations() {
        for (DataType type : TYPES) {
            // the longest mode is the second: 4 * 3 * 2 = 24 fibres along it
            NDArray x = randn(21, type, 4, 7, 3, 2);
            Decomposition<CPTensor> cp = Parafac.builder().setRank(1000).build().fit(x);
            Assert.assertEquals(cp.getRank(), new int[] {24});
            Assert.assertEquals(cp.getIterations(), 1);
            Assert.assertTrue(cp.isConverged());
            assertClose(cp.getTensor().toFull(), x, type == DataType.FLOAT64 ? 1e-12 : 1e-6);
            Assert.assertTrue(cp.getRelativeError() < 1e-6, type + " " + cp.getRelativeError());
            Assert.assertEquals(cp.getTensor().getDataType(), type);
            Assert.assertSame(cp.getTensor().getFactor(1).getManager(), x.getManager());
            // one rank below the limit is fitted by ALS as before
            Assert.assertTrue(
                    Parafac.builder().setRank(23).optMaxIterations(3).build().fit(x).getIterations()
                            > 1);
        }
    }

    @Test
    public void parafacOfAMatrixIsItsTruncatedSvdWithoutIterations() {
        for (DataType type : TYPES) {
            // two modes longer than 1, like a 1x1 convolution kernel
            NDArray x = randn(17, type, 7, 1, 5, 1);
            double[] s =
                    TruncatedSvd.builder()
                            .optMethod(TruncatedSvd.Method.GRAM)
                            .build()
                            .compute(x.reshape(7, 5).toType(DataType.FLOAT64, false), 5)
                            .getS()
                            .toDoubleArray();
            double tail = s[3] * s[3] + s[4] * s[4];
            double all = 0;
            for (double v : s) {
                all += v * v;
            }
            Decomposition<CPTensor> cp = Parafac.builder().setRank(3).build().fit(x);
            Assert.assertEquals(cp.getIterations(), 1);
            Assert.assertTrue(cp.isConverged());
            Assert.assertEquals(cp.getRank(), new int[] {3});
            // Eckart-Young: the best rank-3 error of a matrix
            Assert.assertEquals(
                    cp.getRelativeError(),
                    Math.sqrt(tail / all),
                    type == DataType.FLOAT64 ? 1e-9 : 1e-5,
                    type.toString());
            Assert.assertEquals(cp.getTensor().getFactor(1).getShape(), new Shape(1, 3));
            Assert.assertEquals(cp.getTensor().getDataType(), type);
            // ALS from the same start reaches no lower error
            double als =
                    Parafac.builder()
                            .setRank(3)
                            .optL2Reg(1e-12)
                            .optMaxIterations(200)
                            .build()
                            .fit(x)
                            .getRelativeError();
            Assert.assertTrue(als >= cp.getRelativeError() - 1e-6, als + " < " + cp);
        }
    }

    @Test
    public void parafacRecoversTensorsWhoseShortModesSharePartialProducts() {
        // (8, 8, 2, 2) pairs its two short modes, (4, 4, 4, 4, 3) the first four in two pairs
        long[][] shapes = {{8, 8, 2, 2}, {4, 4, 4, 4, 3}};
        for (long[] dims : shapes) {
            for (DataType type : TYPES) {
                NDArray x = CPTensor.normal(manager, new Shape(dims), 3, 1.0, 9, type).toFull();
                Decomposition<CPTensor> cp =
                        Parafac.builder()
                                .setRank(3)
                                .optMaxIterations(500)
                                .optTolerance(1e-12)
                                .build()
                                .fit(x);
                Assert.assertTrue(
                        cp.getRelativeError() < 1e-4,
                        new Shape(dims) + " " + type + " error " + cp.getRelativeError());
                // plain sweeps never raise the error (above the float32 floor of the tracked one)
                List<Double> e = cp.getErrors();
                for (int i = 1; i < e.size() && e.get(i - 1) > 1e-2; i++) {
                    Assert.assertTrue(e.get(i) <= e.get(i - 1) + 1e-6, new Shape(dims) + ": " + e);
                }
            }
        }
    }

    @Test
    public void parafacRefusesARankWhoseNormalEquationsAreTooLarge() {
        NDArray x = manager.zeros(new Shape(64, 64, 64)).add(1);
        IllegalArgumentException e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Parafac.builder().setRank(Parafac.MAX_ALS_RANK + 1).build().fit(x));
        Assert.assertTrue(e.getMessage().contains("CP rank 2049"), e.getMessage());
        Assert.assertTrue(e.getMessage().contains("ranks up to 2048"), e.getMessage());
        // the largest rank is exact and accepted
        Assert.assertEquals(
                Parafac.builder().setRank(4096).build().fit(x).getRank(), new int[] {4096});
    }

    @Test
    public void parafacLineSearchReachesALowerErrorInTheSameSweeps() {
        for (DataType type : TYPES) {
            NDArray x =
                    CPTensor.normal(manager, new Shape(10, 9, 8), 6, 1.0, 3, type)
                            .toFull()
                            .add(randn(4, type, 10, 9, 8).mul(0.05));
            Parafac.Builder b = Parafac.builder().setRank(6).optMaxIterations(25).optTolerance(0);
            Decomposition<CPTensor> plain = b.build().fit(x);
            Decomposition<CPTensor> searched = b.optLineSearch(true).build().fit(x);
            Assert.assertEquals(searched.getIterations(), 25);
            // every sweep's error is at most the plain sweep's and never goes up
            List<Double> e = searched.getErrors();
            for (int i = 1; i < e.size(); i++) {
                Assert.assertTrue(e.get(i) <= e.get(i - 1) + 1e-6, type + " sweep " + i + ": " + e);
            }
            Assert.assertTrue(
                    searched.getRelativeError() < plain.getRelativeError(),
                    type + ": " + searched.getRelativeError() + " vs " + plain.getRelativeError());
            Assert.assertEquals(
                    searched.getRelativeError(),
                    e.get(e.size() - 1),
                    type == DataType.FLOAT64 ? 1e-9 : 1e-4,
                    "the tracked error is the reconstruction's");
            // deterministic
            Assert.assertEquals(b.build().fit(x).getErrors(), e);
        }
    }

    @Test
    public void parafacRandomInitAndNormalisationAlsoRecover() {
        NDArray x =
                CPTensor.normal(manager, new Shape(9, 8, 7), 3, 1.0, 11, DataType.FLOAT64).toFull();
        Decomposition<CPTensor> cp =
                Parafac.builder()
                        .setRank(3)
                        .optInit(Parafac.Init.RANDOM)
                        .optNormalizeFactors(true)
                        .optMaxIterations(1000)
                        .optTolerance(1e-14)
                        .optSeed(3)
                        .build()
                        .fit(x);
        Assert.assertTrue(cp.getRelativeError() < 1e-4, "error " + cp.getRelativeError());
        double[] norms =
                cp.getTensor()
                        .getFactor(2)
                        .mul(cp.getTensor().getFactor(2))
                        .sum(new int[] {0})
                        .toDoubleArray();
        Assert.assertEquals(norms, new double[] {1, 1, 1}, 1e-9);
    }

    @Test
    public void parafacErrorHistoryAndRankOrdering() {
        NDArray x = randn(5, DataType.FLOAT32, 10, 9, 8);
        double previous = Double.MAX_VALUE;
        for (int r : new int[] {2, 6, 18}) {
            Decomposition<CPTensor> cp = Parafac.builder().setRank(r).build().fit(x);
            Assert.assertTrue(
                    cp.getRelativeError() < previous,
                    "rank " + r + " error " + cp.getRelativeError() + " >= " + previous);
            previous = cp.getRelativeError();
            // the error tracked from the factors agrees with the measured one
            double tracked = cp.getErrors().get(cp.getErrors().size() - 1);
            Assert.assertEquals(tracked, cp.getRelativeError(), 1e-3);
        }
        // a matrix at full rank is reproduced
        NDArray m = randn(6, DataType.FLOAT64, 6, 4);
        Assert.assertTrue(Parafac.builder().setRank(4).build().fit(m).getRelativeError() < 1e-8);
    }

    @Test
    public void parafacIsDeterministicForASeed() {
        NDArray x = randn(8, DataType.FLOAT32, 7, 6, 5);
        for (Parafac.Init init : Parafac.Init.values()) {
            Parafac p =
                    Parafac.builder()
                            .setRank(9)
                            .optInit(init)
                            .optSeed(5)
                            .optMaxIterations(20)
                            .build();
            Assert.assertEquals(
                    p.fit(x).getTensor().toFull().toFloatArray(),
                    p.fit(x).getTensor().toFull().toFloatArray(),
                    init.name());
        }
    }

    @Test
    public void tuckerRecoversLowRankTensor() {
        for (DataType type : TYPES) {
            NDArray x =
                    TuckerTensor.normal(
                                    manager,
                                    new Shape(10, 9, 8),
                                    new int[] {4, 3, 2},
                                    new int[0],
                                    1.0,
                                    3,
                                    type)
                            .toFull();
            for (Tucker.Method method : Tucker.Method.values()) {
                Decomposition<TuckerTensor> t =
                        Tucker.builder().setRank(Rank.of(4, 3, 2)).optMethod(method).build().fit(x);
                Assert.assertTrue(
                        t.getRelativeError() < 1e-5,
                        method + " " + type + " error " + t.getRelativeError() + " on " + engine());
                Assert.assertEquals(t.getRank(), new int[] {4, 3, 2});
                Assert.assertEquals(t.getTensor().getDataType(), type);
            }
        }
    }

    @Test
    public void partialTuckerKeepsFixedModes() {
        NDArray kernel = randn(9, DataType.FLOAT32, 32, 16, 3, 3);
        Decomposition<TuckerTensor> t =
                Tucker.builder()
                        .setRank(Rank.fraction(0.5))
                        .optFixedModes(2, 3)
                        .build()
                        .fit(kernel);
        Assert.assertEquals(t.getRank(), new int[] {19, 9, 3, 3});
        Assert.assertNull(t.getTensor().getFactor(2));
        Assert.assertNull(t.getTensor().getFactor(3));
        Assert.assertEquals(t.getTensor().getFactor(0).getShape(), new Shape(32, 19));
        // factors are orthonormal
        NDArray u = t.getTensor().getFactor(1).toType(DataType.FLOAT64, false);
        assertClose(u.transpose().matMul(u), manager.eye(9, 9, 0, DataType.FLOAT64), 1e-5);
        // HOOI never does worse than its HOSVD start, and full rank reproduces the tensor
        Decomposition<TuckerTensor> hosvd =
                Tucker.builder()
                        .setRank(Rank.fraction(0.5))
                        .optFixedModes(2, 3)
                        .optMethod(Tucker.Method.HOSVD)
                        .build()
                        .fit(kernel);
        Assert.assertTrue(t.getRelativeError() <= hosvd.getRelativeError() + 1e-6);
        Assert.assertTrue(
                Tucker.builder()
                                .setRank(Rank.of(32, 16, 3, 3))
                                .build()
                                .fit(kernel)
                                .getRelativeError()
                        < 1e-5);
    }

    @Test
    public void tensorTrainRecoversLowRankTensor() {
        for (DataType type : TYPES) {
            NDArray x =
                    TTTensor.normal(
                                    manager,
                                    new Shape(6, 5, 4, 3),
                                    new int[] {1, 3, 4, 2, 1},
                                    1.0,
                                    4,
                                    type)
                            .toFull();
            Decomposition<TTTensor> tt =
                    TensorTrain.builder().setRank(Rank.of(1, 3, 4, 2, 1)).build().fit(x);
            Assert.assertTrue(
                    tt.getRelativeError() < 1e-5,
                    type + " error " + tt.getRelativeError() + " on " + engine());
            Assert.assertEquals(tt.getRank(), new int[] {1, 3, 4, 2, 1});
            Assert.assertEquals(tt.getTensor().getDataType(), type);
        }
        NDArray noise = randn(3, DataType.FLOAT32, 16, 3, 3, 32);
        Decomposition<TTTensor> clipped =
                TensorTrain.builder().setRank(Rank.fraction(0.5)).build().fit(noise);
        Assert.assertEquals(clipped.getRank(), new int[] {1, 16, 6, 18, 1});
        double small =
                TensorTrain.builder().setRank(Rank.of(2)).build().fit(noise).getRelativeError();
        double large =
                TensorTrain.builder().setRank(Rank.of(8)).build().fit(noise).getRelativeError();
        double full =
                TensorTrain.builder().setRank(Rank.of(1000)).build().fit(noise).getRelativeError();
        Assert.assertTrue(small > large && large > full, small + " " + large + " " + full);
        Assert.assertTrue(full < 1e-5, "full rank error " + full);
    }

    @Test
    public void ttMatrixRecoversLowRankOperator() {
        TTMatrix truth =
                TTMatrix.normal(
                        manager,
                        new Shape(4, 8, 2),
                        new Shape(2, 4, 4),
                        new int[] {1, 3, 2, 1},
                        1.0,
                        6,
                        DataType.FLOAT64);
        NDArray w = truth.toMatrix();
        Decomposition<TTMatrix> mpo =
                TensorTrain.builder()
                        .setRank(Rank.of(3, 2))
                        .build()
                        .fitMatrix(w, new Shape(4, 8, 2), new Shape(2, 4, 4));
        Assert.assertTrue(mpo.getRelativeError() < 1e-8, "error " + mpo.getRelativeError());
        assertClose(mpo.getTensor().toMatrix(), w, 1e-8);
        Assert.assertEquals(mpo.getRank(), new int[] {1, 3, 2, 1});
        assertIllegalArgument(
                () ->
                        TensorTrain.builder()
                                .setRank(Rank.of(2))
                                .build()
                                .fitMatrix(w, new Shape(4, 8), new Shape(2, 4)),
                "cannot be tensorized");
    }

    @Test
    public void badInput() {
        NDArray withNaN =
                manager.create(new float[] {1, Float.NaN, 3, 4, 5, 6}, new Shape(1, 2, 3));
        assertIllegalArgument(() -> Parafac.builder().setRank(2).build().fit(withNaN), "NaN");
        assertIllegalArgument(
                () -> Tucker.builder().setRank(Rank.of(1)).build().fit(withNaN), "NaN");
        assertIllegalArgument(
                () -> TensorTrain.builder().setRank(Rank.of(1)).build().fit(withNaN), "NaN");
        NDArray vector = manager.create(new float[] {1, 2, 3});
        assertIllegalArgument(() -> Parafac.builder().setRank(2).build().fit(vector), "order >= 2");
        assertIllegalArgument(
                () -> TensorTrain.builder().setRank(Rank.of(2)).build().fit(vector), "order >= 2");
        NDArray x = randn(1, DataType.FLOAT32, 4, 5, 6);
        assertIllegalArgument(
                () -> Tucker.builder().setRank(Rank.of(2, 2)).build().fit(x), "[2, 2]");
        assertIllegalArgument(
                () -> Tucker.builder().setRank(Rank.of(2)).optFixedModes(3).build().fit(x),
                "mode 3");
        assertIllegalArgument(() -> Parafac.builder().build(), "needs a rank");
        assertIllegalArgument(() -> Parafac.builder().setRank(0), "rank 0");
        assertIllegalArgument(() -> Parafac.builder().setRank(Rank.fraction(-1)), "fraction -1.0");
        assertIllegalArgument(
                () ->
                        Parafac.builder()
                                .setRank(2)
                                .build()
                                .fit(manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2))),
                "float32 and float64");
    }

    @Test
    public void decompositionsDoNotLeak() {
        NDArray x = randn(2, DataType.FLOAT32, 8, 7, 6);
        int before = manager.getManagedArrays().size();
        Parafac.builder().setRank(4).optMaxIterations(5).build().fit(x).getTensor().close();
        Assert.assertEquals(manager.getManagedArrays().size(), before, "Parafac");
        Tucker.builder().setRank(Rank.of(3)).optMaxIterations(3).build().fit(x).getTensor().close();
        Assert.assertEquals(manager.getManagedArrays().size(), before, "Tucker");
        TensorTrain.builder().setRank(Rank.of(3)).build().fit(x).getTensor().close();
        Assert.assertEquals(manager.getManagedArrays().size(), before, "TensorTrain");
    }
}
