package org.lowrank4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LeadingEigenTest extends EngineTestBase {

    /** {@code Q diag(values) Qᵀ} with a random orthogonal {@code Q}, float64. */
    private NDArray withSpectrum(long seed, double[] values) {
        int n = values.length;
        NDArray q = HostLinalg.orthonormalize(randn(seed, DataType.FLOAT64, n, n));
        return q.mul(manager.create(values).reshape(1, n)).matMul(q.transpose());
    }

    private static double[] decaying(int n, double scale) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = Math.exp(-i / scale);
        }
        return values;
    }

    /** Energy of the matrix captured by orthonormal columns: trace(Vᵀ A V). */
    private static double captured(NDArray a, NDArray v) {
        return v.mul(a.matMul(v)).sum().getDouble();
    }

    @Test
    public void iterationFindsTheLeadingPairsOfADecayingSpectrum() {
        int n = 400;
        int k = 60;
        double[] spectrum = decaying(n, 20);
        NDArray a = withSpectrum(1, spectrum);
        double best = 0;
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += spectrum[i];
            best += i < k ? spectrum[i] : 0;
        }
        try (SymmetricEigen top = LeadingEigen.leading(a, k)) {
            Assert.assertEquals(top.getValues().getShape(), new Shape(k));
            Assert.assertEquals(top.getVectors().getShape(), new Shape(n, k));
            double[] values = top.getValues().toDoubleArray();
            for (int i = 0; i < k; i++) {
                Assert.assertEquals(values[i], spectrum[i], 1e-7 * spectrum[0], "value " + i);
            }
            NDArray v = top.getVectors();
            assertClose(v.transpose().matMul(v), manager.eye(k, k, 0, DataType.FLOAT64), 1e-10);
            // the energy left out is the optimal one up to the tolerance (1e-5 of it)
            double left = trace - captured(a, v);
            Assert.assertEquals(left, trace - best, 1e-5 * (trace - best));
            // the leading vectors are eigenvectors
            NDArray lead = v.get(":, :10");
            NDArray residual =
                    a.matMul(lead).sub(lead.mul(top.getValues().get(":10").reshape(1, 10)));
            Assert.assertTrue(residual.abs().max().getDouble() < 1e-8, "eigen residual");
        }
    }

    @Test
    public void matchesTheFullDecompositionOnAFlatSpectrum() {
        // clustered eigenvalues: individual vectors converge slowly, the captured energy does not
        int n = 300;
        int k = 40;
        double[] spectrum = new double[n];
        for (int i = 0; i < n; i++) {
            spectrum[i] = 1 + 0.001 * (n - i);
        }
        NDArray a = withSpectrum(2, spectrum);
        double trace = 0;
        double best = 0;
        for (int i = 0; i < n; i++) {
            trace += spectrum[i];
            best += i < k ? spectrum[i] : 0;
        }
        try (SymmetricEigen top = LeadingEigen.leading(a, k)) {
            double left = trace - captured(a, top.getVectors());
            Assert.assertEquals(left, trace - best, 1e-5 * (trace - best));
        }
    }

    @Test
    public void rankDeficientMatrixGivesItsSpectrumAndAnOrthonormalBasis() {
        // rank 20 of order 300, 40 pairs asked: the last 20 are zero and their vectors complete
        // the basis
        int n = 300;
        double[] spectrum = new double[n];
        for (int i = 0; i < 20; i++) {
            spectrum[i] = 10 - 0.4 * i;
        }
        NDArray a = withSpectrum(7, spectrum);
        try (SymmetricEigen top = LeadingEigen.leading(a, 40)) {
            double[] values = top.getValues().toDoubleArray();
            for (int i = 0; i < 40; i++) {
                Assert.assertEquals(values[i], spectrum[i], 1e-9, "value " + i);
            }
            NDArray v = top.getVectors();
            assertClose(v.transpose().matMul(v), manager.eye(40, 40, 0, DataType.FLOAT64), 1e-9);
            // the 20 leading vectors span the range of the matrix
            NDArray lead = v.get(":, :20");
            NDArray projected = lead.matMul(lead.transpose()).matMul(a);
            assertClose(projected, a, 1e-9);
        }
    }

    @Test
    public void smallOrLargeRequestsUseTheFullDecomposition() {
        for (int[] nk : new int[][] {{50, 5}, {200, 90}}) {
            double[] spectrum = decaying(nk[0], 10);
            NDArray a = withSpectrum(3, spectrum);
            try (SymmetricEigen top = LeadingEigen.leading(a, nk[1]);
                    SymmetricEigen all = SymmetricEigen.of(a)) {
                assertClose(top.getValues(), all.getValues().get(":" + nk[1]), 1e-12);
            }
        }
    }

    @Test
    public void indefiniteMatrixFallsBackToTheLargestValues() {
        // large negative eigenvalues dominate the iteration; the answer is still the largest ones
        int n = 240;
        double[] spectrum = new double[n];
        for (int i = 0; i < n; i++) {
            spectrum[i] = i < 20 ? 1 + 0.1 * i : -50 - i;
        }
        NDArray a = withSpectrum(4, spectrum);
        try (SymmetricEigen top = LeadingEigen.leading(a, 10)) {
            double[] values = top.getValues().toDoubleArray();
            for (int i = 0; i < 10; i++) {
                Assert.assertEquals(values[i], 1 + 0.1 * (19 - i), 1e-9, "value " + i);
            }
        }
    }

    @Test
    public void keepsTheInputTypeAndLeaksNothing() {
        NDArray a = withSpectrum(5, decaying(300, 15)).toType(DataType.FLOAT32, false);
        try (NDManager scope = manager.newSubManager()) {
            NDArray local = a.duplicate();
            local.attach(scope);
            int before = scope.getManagedArrays().size();
            try (SymmetricEigen top = LeadingEigen.leading(local, 12)) {
                Assert.assertEquals(top.getValues().getDataType(), DataType.FLOAT32);
                Assert.assertEquals(top.getVectors().getDataType(), DataType.FLOAT32);
                Assert.assertEquals(scope.getManagedArrays().size(), before + 2);
            }
        }
    }

    @Test
    public void badInput() {
        NDArray square = withSpectrum(6, decaying(8, 2));
        assertIllegalArgument(
                () -> LeadingEigen.leading(manager.zeros(new Shape(3, 4)), 1), "(3, 4)");
        assertIllegalArgument(() -> LeadingEigen.leading(square, 0), "1..8");
        assertIllegalArgument(() -> LeadingEigen.leading(square, 9), "1..8");
        assertIllegalArgument(
                () -> LeadingEigen.leading(manager.zeros(new Shape(4, 4), DataType.INT32), 1),
                "float");
        NDArray nan = square.duplicate();
        nan.set(new ai.djl.ndarray.index.NDIndex("2, 3"), Double.NaN);
        assertIllegalArgument(() -> LeadingEigen.leading(nan, 2), "NaN");
        assertIllegalArgument(() -> LeadingEigen.builder().optTolerance(0), "(0, 1)");
        assertIllegalArgument(() -> LeadingEigen.builder().optMaxIterations(0), ">= 1");
        assertIllegalArgument(() -> LeadingEigen.builder().optOversampling(0), ">= 1");
    }
}
