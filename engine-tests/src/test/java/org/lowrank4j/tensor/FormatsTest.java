package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Reconstruction, norms, parameter counts and random draws of the factorized formats. */
public class FormatsTest extends EngineTestBase {

    private static double[] host(NDArray a) {
        return a.toType(DataType.FLOAT64, true).toDoubleArray();
    }

    private static double norm(NDArray a) {
        double s = 0;
        for (double v : host(a)) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static double rms(NDArray a) {
        return norm(a) / Math.sqrt(a.getShape().size());
    }

    @Test
    public void cpReconstructsSumOfOuterProducts() {
        NDArray w = manager.create(new double[] {2, -1});
        NDArray a = randn(1, DataType.FLOAT64, 3, 2);
        NDArray b = randn(2, DataType.FLOAT64, 4, 2);
        NDArray c = randn(3, DataType.FLOAT64, 5, 2);
        CPTensor cp = new CPTensor(w, List.of(a, b, c));
        double[] ha = host(a);
        double[] hb = host(b);
        double[] hc = host(c);
        double[] expected = new double[60];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 5; k++) {
                    double v = 0;
                    for (int r = 0; r < 2; r++) {
                        v += (r == 0 ? 2 : -1) * ha[i * 2 + r] * hb[j * 2 + r] * hc[k * 2 + r];
                    }
                    expected[(i * 4 + j) * 5 + k] = v;
                }
            }
        }
        NDArray full = cp.toFull();
        Assert.assertEquals(full.getShape(), new Shape(3, 4, 5));
        Assert.assertEquals(host(full), expected, 1e-12);
        Assert.assertEquals(cp.norm(), norm(full), 1e-10);
        Assert.assertEquals(cp.numParameters(), 2 + 2 * (3 + 4 + 5));
        Assert.assertEquals(cp.getRank(), new int[] {2});
        assertIllegalArgument(
                () -> new CPTensor(w, List.of(a, randn(4, DataType.FLOAT64, 4, 3))),
                "CP factor 1 has shape (4, 3)");
        assertIllegalArgument(
                () -> new CPTensor(w, List.of(a, b.toType(DataType.FLOAT32, false))),
                "mix data types");
    }

    @Test
    public void tuckerReconstructsModeProducts() {
        NDArray core = randn(1, DataType.FLOAT64, 2, 3, 2);
        NDArray u0 = randn(2, DataType.FLOAT64, 4, 2);
        NDArray u2 = randn(3, DataType.FLOAT64, 5, 2);
        TuckerTensor t = new TuckerTensor(core, Arrays.asList(u0, null, u2));
        double[] g = host(core);
        double[] h0 = host(u0);
        double[] h2 = host(u2);
        double[] expected = new double[4 * 3 * 5];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 5; k++) {
                    double v = 0;
                    for (int a = 0; a < 2; a++) {
                        for (int c = 0; c < 2; c++) {
                            v += g[(a * 3 + j) * 2 + c] * h0[i * 2 + a] * h2[k * 2 + c];
                        }
                    }
                    expected[(i * 3 + j) * 5 + k] = v;
                }
            }
        }
        NDArray full = t.toFull();
        Assert.assertEquals(full.getShape(), new Shape(4, 3, 5));
        Assert.assertEquals(host(full), expected, 1e-12);
        Assert.assertEquals(t.norm(), norm(full), 1e-10);
        Assert.assertEquals(t.numParameters(), 12 + 8 + 10);
        Assert.assertEquals(t.getRank(), new int[] {2, 3, 2});
        Assert.assertEquals(t.getFactorizedModes(), new int[] {0, 2});
        Assert.assertNull(t.getFactor(1));
        assertIllegalArgument(
                () -> new TuckerTensor(core, Arrays.asList(u0, null)), "needs 3 factor entries");
    }

    @Test
    public void ttReconstructsChainProducts() {
        NDArray g0 = randn(1, DataType.FLOAT64, 1, 3, 2);
        NDArray g1 = randn(2, DataType.FLOAT64, 2, 4, 3);
        NDArray g2 = randn(3, DataType.FLOAT64, 3, 2, 1);
        TTTensor tt = new TTTensor(List.of(g0, g1, g2));
        double[] a = host(g0);
        double[] b = host(g1);
        double[] c = host(g2);
        double[] expected = new double[24];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 2; k++) {
                    double v = 0;
                    for (int p = 0; p < 2; p++) {
                        for (int q = 0; q < 3; q++) {
                            v += a[i * 2 + p] * b[(p * 4 + j) * 3 + q] * c[q * 2 + k];
                        }
                    }
                    expected[(i * 4 + j) * 2 + k] = v;
                }
            }
        }
        NDArray full = tt.toFull();
        Assert.assertEquals(full.getShape(), new Shape(3, 4, 2));
        Assert.assertEquals(host(full), expected, 1e-12);
        Assert.assertEquals(tt.norm(), norm(full), 1e-10);
        Assert.assertEquals(tt.getRank(), new int[] {1, 2, 3, 1});
        Assert.assertEquals(tt.numParameters(), 6 + 24 + 6);
        assertIllegalArgument(() -> new TTTensor(List.of(g0, g2)), "its first rank must be 2");
        assertIllegalArgument(() -> new TTTensor(List.of(g0, g1)), "last rank must be 1");
    }

    @Test
    public void ttMatrixReconstructsBlockProducts() {
        NDArray g0 = randn(1, DataType.FLOAT64, 1, 2, 3, 2);
        NDArray g1 = randn(2, DataType.FLOAT64, 2, 4, 2, 1);
        TTMatrix m = new TTMatrix(List.of(g0, g1));
        double[] a = host(g0);
        double[] b = host(g1);
        // W[(i0 i1), (j0 j1)] = sum_p G0[0, i0, j0, p] G1[p, i1, j1, 0]
        double[] expected = new double[8 * 6];
        for (int i0 = 0; i0 < 2; i0++) {
            for (int i1 = 0; i1 < 4; i1++) {
                for (int j0 = 0; j0 < 3; j0++) {
                    for (int j1 = 0; j1 < 2; j1++) {
                        double v = 0;
                        for (int p = 0; p < 2; p++) {
                            v += a[(i0 * 3 + j0) * 2 + p] * b[(p * 4 + i1) * 2 + j1];
                        }
                        expected[(i0 * 4 + i1) * 6 + j0 * 2 + j1] = v;
                    }
                }
            }
        }
        NDArray matrix = m.toMatrix();
        Assert.assertEquals(matrix.getShape(), new Shape(8, 6));
        Assert.assertEquals(host(matrix), expected, 1e-12);
        Assert.assertEquals(m.getShape(), new Shape(2, 4, 3, 2));
        Assert.assertEquals(m.toFull().getShape(), new Shape(2, 4, 3, 2));
        Assert.assertEquals(m.norm(), norm(matrix), 1e-10);
        Assert.assertEquals(m.getRowShape(), new Shape(2, 4));
        Assert.assertEquals(m.getColumnShape(), new Shape(3, 2));
    }

    @Test
    public void normalDrawsHaveTheRequestedStd() {
        double std = 0.02;
        Shape kernel = new Shape(64, 64, 3, 3);
        List<FactorizedTensor> drawn = new ArrayList<>();
        drawn.add(CPTensor.normal(manager, kernel, 40, std, 1));
        drawn.add(TuckerTensor.normal(manager, kernel, new int[] {16, 16, 3, 3}, std, 2));
        drawn.add(
                TuckerTensor.normal(
                        manager,
                        kernel,
                        new int[] {16, 16, 3, 3},
                        new int[] {2, 3},
                        std,
                        2,
                        DataType.FLOAT64));
        drawn.add(
                TTTensor.normal(
                        manager, new Shape(64, 3, 3, 64), new int[] {1, 16, 8, 16, 1}, std, 3));
        drawn.add(
                TTMatrix.normal(
                        manager,
                        new Shape(8, 8, 16),
                        new Shape(16, 8, 8),
                        new int[] {1, 8, 8, 1},
                        std,
                        4));
        for (FactorizedTensor t : drawn) {
            double rms = rms(t.toFull());
            Assert.assertEquals(rms, std, 0.05 * std, t + " on " + engine());
        }
    }

    @Test
    public void normalIsDeterministicForASeed() {
        Shape shape = new Shape(6, 5, 4);
        Assert.assertEquals(
                CPTensor.normal(manager, shape, 3, 1, 42).toFull().toFloatArray(),
                CPTensor.normal(manager, shape, 3, 1, 42).toFull().toFloatArray());
        Assert.assertNotEquals(
                CPTensor.normal(manager, shape, 3, 1, 42).toFull().toFloatArray(),
                CPTensor.normal(manager, shape, 3, 1, 43).toFull().toFloatArray());
        assertIllegalArgument(() -> CPTensor.normal(manager, shape, 0, 1, 1), "CP rank 0");
        assertIllegalArgument(() -> CPTensor.normal(manager, shape, 2, -1, 1), "std -1.0");
        assertIllegalArgument(
                () -> TTTensor.normal(manager, shape, new int[] {1, 2, 1}, 1, 1),
                "TT rank [1, 2, 1]");
    }
}
