package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LinalgTest extends EngineTestBase {

    /** A rank-r (m, n) matrix with singular values 10, 10/2, 10/4, ... */
    private NDArray lowRank(int m, int n, int r, DataType type) {
        NDArray u = HostLinalg.orthonormalize(randn(1, DataType.FLOAT64, m, r));
        NDArray v = HostLinalg.orthonormalize(randn(2, DataType.FLOAT64, n, r));
        double[] s = new double[r];
        for (int i = 0; i < r; i++) {
            s[i] = 10 / Math.pow(2, i);
        }
        NDArray a = u.mul(manager.create(s).reshape(1, r)).matMul(v.transpose());
        return a.toType(type, false);
    }

    private static NDArray reconstruct(Svd svd) {
        int k = svd.getRank();
        return svd.getU().mul(svd.getS().reshape(1, k)).matMul(svd.getVt());
    }

    @Test
    public void symmetricEigenOfKnownMatrix() {
        NDArray q = HostLinalg.orthonormalize(randn(3, DataType.FLOAT64, 4, 4));
        NDArray a =
                q.mul(manager.create(new double[] {1, 5, -2, 3}).reshape(1, 4))
                        .matMul(q.transpose());
        try (SymmetricEigen eig = SymmetricEigen.of(a)) {
            Assert.assertEquals(eig.getValues().toDoubleArray(), new double[] {5, 3, 1, -2}, 1e-10);
            Assert.assertEquals(
                    HostLinalg.symmetricEigenvalues(HostLinalg.toHost(a)),
                    new double[] {5, 3, 1, -2},
                    1e-10);
            NDArray av = a.matMul(eig.getVectors());
            NDArray vl = eig.getVectors().mul(eig.getValues().reshape(1, 4));
            assertClose(av, vl, 1e-10);
        }
    }

    @Test
    public void hostSvdReconstructs() {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            NDArray a = randn(4, type, 7, 5);
            try (Svd svd = Svd.of(a)) {
                Assert.assertEquals(svd.getU().getShape(), new Shape(7, 5));
                Assert.assertEquals(svd.getVt().getShape(), new Shape(5, 5));
                Assert.assertEquals(svd.getU().getDataType(), type);
                assertClose(reconstruct(svd), a, type == DataType.FLOAT64 ? 1e-12 : 1e-6);
                double[] s = svd.getS().toType(DataType.FLOAT64, false).toDoubleArray();
                for (int i = 1; i < s.length; i++) {
                    Assert.assertTrue(s[i - 1] >= s[i], "singular values not descending");
                }
            }
        }
    }

    @Test
    public void truncatedSvdRecoversLowRankMatrix() {
        for (TruncatedSvd.Method method : TruncatedSvd.Method.values()) {
            TruncatedSvd tsvd = TruncatedSvd.builder().optMethod(method).optSeed(7).build();
            for (int[] mn : new int[][] {{40, 90}, {90, 40}}) {
                NDArray a = lowRank(mn[0], mn[1], 5, DataType.FLOAT64);
                try (Svd svd = tsvd.compute(a, 5)) {
                    assertClose(reconstruct(svd), a, 1e-9);
                    double[] s = svd.getS().toDoubleArray();
                    for (int i = 0; i < 5; i++) {
                        Assert.assertEquals(s[i], 10 / Math.pow(2, i), 1e-9, method + " " + i);
                    }
                    NDArray utu = svd.getU().transpose().matMul(svd.getU());
                    assertClose(utu, manager.eye(5, 5, 0, DataType.FLOAT64), 1e-9);
                }
            }
        }
    }

    @Test
    public void truncatedSvdMatchesFullSvdOnNoise() {
        NDArray a = randn(11, DataType.FLOAT64, 60, 30);
        try (Svd full = Svd.of(a);
                Svd gram =
                        TruncatedSvd.builder()
                                .optMethod(TruncatedSvd.Method.GRAM)
                                .build()
                                .compute(a, 6)) {
            double[] sf = full.getS().toDoubleArray();
            double[] sg = gram.getS().toDoubleArray();
            for (int i = 0; i < 6; i++) {
                Assert.assertEquals(sg[i], sf[i], 1e-9 * sf[0]);
            }
        }
    }

    @Test
    public void rankDeficientTallMatrixGetsOrthonormalU() {
        NDArray a = lowRank(50, 20, 3, DataType.FLOAT32);
        try (Svd svd =
                TruncatedSvd.builder().optMethod(TruncatedSvd.Method.GRAM).build().compute(a, 8)) {
            NDArray u = svd.getU().toType(DataType.FLOAT64, false);
            assertClose(u.transpose().matMul(u), manager.eye(8, 8, 0, DataType.FLOAT64), 1e-5);
            assertClose(reconstruct(svd), a, 1e-5);
            Assert.assertEquals(svd.getU().getDataType(), DataType.FLOAT32);
        }
    }

    @Test
    public void solveAndLeastSquares() {
        NDArray a = manager.create(new double[] {4, 1, 1, 3}, new Shape(2, 2));
        NDArray x = HostLinalg.solve(a, manager.create(new double[] {1, 2}));
        Assert.assertEquals(x.toDoubleArray(), new double[] {1.0 / 11, 7.0 / 11}, 1e-12);
        // over-determined: fit y = 2 t + 1 exactly
        NDArray t = manager.create(new double[] {0, 1, 1, 1, 2, 1, 3, 1}, new Shape(4, 2));
        NDArray y = manager.create(new double[] {1, 3, 5, 7}, new Shape(4, 1));
        NDArray coef = HostLinalg.lstsq(t, y);
        Assert.assertEquals(coef.getShape(), new Shape(2, 1));
        Assert.assertEquals(coef.toDoubleArray(), new double[] {2, 1}, 1e-12);
        NDArray pinv = HostLinalg.pinv(t);
        assertClose(pinv.matMul(y), coef, 1e-12);
    }

    @Test
    public void symmetricSolveWithManyRightHandSides() {
        NDArray m = randn(21, DataType.FLOAT64, 30, 12);
        NDArray spd = m.transpose().matMul(m); // 12 x 12, positive definite
        NDArray x = randn(22, DataType.FLOAT64, 12, 7);
        NDArray b = spd.matMul(x);
        org.ejml.data.DMatrixRMaj solved =
                HostLinalg.solveSymmetric(HostLinalg.toHost(spd), HostLinalg.toHost(b));
        assertClose(HostLinalg.toEngine(manager, solved, DataType.FLOAT64), x, 1e-9);
        // a singular matrix falls back to the minimum-norm least-squares solution
        NDArray thin = randn(23, DataType.FLOAT64, 12, 3);
        NDArray singular = thin.matMul(thin.transpose());
        NDArray rhs = singular.matMul(randn(24, DataType.FLOAT64, 12, 2));
        org.ejml.data.DMatrixRMaj ls =
                HostLinalg.solveSymmetric(HostLinalg.toHost(singular), HostLinalg.toHost(rhs));
        assertClose(singular.matMul(HostLinalg.toEngine(manager, ls, DataType.FLOAT64)), rhs, 1e-8);
    }

    @Test
    public void badInput() {
        NDArray a = randn(1, DataType.FLOAT32, 4, 6);
        assertIllegalArgument(() -> TruncatedSvd.leading(a, 0), "0 singular triplets");
        assertIllegalArgument(() -> TruncatedSvd.leading(a, 5), "accepted are 1..4");
        assertIllegalArgument(
                () -> TruncatedSvd.leading(randn(1, DataType.FLOAT32, 2, 2, 2), 1), "2-D");
        assertIllegalArgument(
                () ->
                        TruncatedSvd.leading(
                                manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2)), 1),
                "float32 and float64");
        assertIllegalArgument(
                () -> HostLinalg.solve(a, randn(2, DataType.FLOAT32, 4)), "must be square");
    }
}
