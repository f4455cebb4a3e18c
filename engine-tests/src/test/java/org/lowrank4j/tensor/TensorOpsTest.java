package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class TensorOpsTest extends EngineTestBase {

    private NDArray arange(long... shape) {
        return manager.arange(0f, (float) new Shape(shape).size(), 1f).reshape(shape);
    }

    @Test
    public void unfoldIsRowMajorLikeTensorLy() {
        NDArray x = arange(2, 3, 4);
        NDArray u1 = TensorOps.unfold(x, 1);
        Assert.assertEquals(u1.getShape(), new Shape(3, 8));
        float[] expected = new float[24];
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 4; k++) {
                    expected[j * 8 + i * 4 + k] = i * 12 + j * 4 + k;
                }
            }
        }
        Assert.assertEquals(u1.toFloatArray(), expected);
        NDArray u2 = TensorOps.unfold(x, 2);
        Assert.assertEquals(u2.getShape(), new Shape(4, 6));
        Assert.assertEquals(u2.get(1).toFloatArray(), new float[] {1, 5, 9, 13, 17, 21});
    }

    @Test
    public void foldInvertsUnfold() {
        NDArray x = randn(1, DataType.FLOAT32, 2, 3, 4, 5);
        for (int k = 0; k < 4; k++) {
            Assert.assertEquals(
                    TensorOps.fold(TensorOps.unfold(x, k), k, x.getShape()).toFloatArray(),
                    x.toFloatArray(),
                    "mode " + k);
        }
        assertIllegalArgument(() -> TensorOps.unfold(x, 4), "mode 4 is out of range");
        assertIllegalArgument(() -> TensorOps.fold(x, 0, new Shape(2, 3)), "cannot fold");
    }

    @Test
    public void modeProductMatchesUnfoldedProduct() {
        NDArray x = randn(2, DataType.FLOAT64, 3, 4, 5);
        for (int k = 0; k < 3; k++) {
            long ik = x.getShape().get(k);
            NDArray m = randn(10 + k, DataType.FLOAT64, 6, ik);
            long[] outShape = x.getShape().getShape().clone();
            outShape[k] = 6;
            NDArray expected =
                    TensorOps.fold(m.matMul(TensorOps.unfold(x, k)), k, new Shape(outShape));
            assertClose(TensorOps.modeProduct(x, m, k), expected, 1e-12);
            assertClose(TensorOps.modeProduct(x, m.transpose(), k, true), expected, 1e-12);
        }
        NDArray bad = randn(3, DataType.FLOAT64, 6, 7);
        assertIllegalArgument(() -> TensorOps.modeProduct(x, bad, 1), "needs 4 columns");
    }

    @Test
    public void multiModeProductAppliesEveryMode() {
        NDArray x = randn(4, DataType.FLOAT64, 3, 4, 5);
        NDArray a = randn(5, DataType.FLOAT64, 2, 3);
        NDArray c = randn(6, DataType.FLOAT64, 7, 5);
        NDArray expected = TensorOps.modeProduct(TensorOps.modeProduct(x, a, 0), c, 2);
        assertClose(
                TensorOps.multiModeProduct(x, List.of(a, c), new int[] {0, 2}, false),
                expected,
                1e-12);
    }

    @Test
    public void khatriRaoIsColumnwiseKronecker() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        NDArray b = manager.create(new float[] {1, 10, 2, 20, 3, 30}, new Shape(3, 2));
        NDArray kr = TensorOps.khatriRao(List.of(a, b));
        Assert.assertEquals(kr.getShape(), new Shape(6, 2));
        Assert.assertEquals(
                kr.toFloatArray(), new float[] {1, 20, 2, 40, 3, 60, 3, 40, 6, 80, 9, 120});
        NDArray c = randn(7, DataType.FLOAT32, 4, 3);
        assertIllegalArgument(() -> TensorOps.khatriRao(List.of(a, c)), "all operands need 2");
        Assert.assertEquals(
                TensorOps.khatriRao(List.of(a, b, a), 2).toFloatArray(), kr.toFloatArray());
    }
}
