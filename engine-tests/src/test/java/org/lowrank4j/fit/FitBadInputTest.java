package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * The data-aware fits refuse bad options, shapes and values with an IllegalArgumentException naming
 * them, and leave their inputs as they were.
 */
public class FitBadInputTest extends EngineTestBase {

    @Test
    public void optionsAreChecked() {
        assertIllegalArgument(() -> LowRankFit.builder().optSolver(null), "solver null");
        assertIllegalArgument(() -> LowRankFit.builder().optIterations(-1), "iterations -1");
        assertIllegalArgument(() -> LowRankFit.builder().optChunkSize(0), "chunk size 0");
    }

    @Test
    public void matrixFitsNameTheArgumentThatDoesNotFit() {
        NDArray x = randn(1, DataType.FLOAT32, 20, 6);
        NDArray y = randn(2, DataType.FLOAT32, 20, 4);
        NDArray w = randn(3, DataType.FLOAT32, 6, 4);
        NDArray b = randn(4, DataType.FLOAT32, 4);
        float[] before = w.toFloatArray();
        assertIllegalArgument(() -> LowRankFit.factorizeMatrix(x, y, w, null, b, 0), "rank 0");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, null, b, 1.5), "rank fraction 1.5");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, null, b, Double.NaN), "NaN");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeMatrix(
                                x, randn(5, DataType.FLOAT32, 19, 4), w, null, b, 2),
                "(19, 4)");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeMatrix(
                                x, y, randn(6, DataType.FLOAT32, 5, 4), null, b, 2),
                "(5, 4)");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, null, randn(7, DataType.FLOAT32, 3), 2),
                "(3)");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x, y, w, randn(8, DataType.FLOAT32, 3, 4), b, 2),
                "(3, 4)");
        NDArray nan = x.duplicate();
        nan.set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
        assertIllegalArgument(() -> LowRankFit.factorizeMatrix(nan, y, w, null, b, 2), "X");
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(x.toType(DataType.INT32, false), y, w, null, b, 2),
                "X");
        Assert.assertEquals(w.toFloatArray(), before);
    }

    @Test
    public void convolutionFitsNameTheSettingThatDoesNotFit() {
        NDArray x = randn(1, DataType.FLOAT32, 2, 3, 6, 6);
        NDArray k = randn(2, DataType.FLOAT32, 4, 3, 3, 3);
        Shape one = new Shape(1, 1);
        Shape zero = new Shape(0, 0);
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, k, null, null, null, 2, new Shape(0, 1), zero, one, 1),
                "stride (0, 1)");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, k, null, null, null, 2, one, new Shape(-1, 0), one, 1),
                "padding (-1, 0)");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x, k, null, null, null, 2, one, zero, new Shape(1), 1),
                "dilation (1)");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                randn(3, DataType.FLOAT32, 2, 5, 6, 6),
                                k,
                                null,
                                null,
                                null,
                                2,
                                one,
                                zero,
                                one,
                                1),
                "input channels");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                randn(4, DataType.FLOAT32, 2, 3, 2, 2),
                                k,
                                null,
                                null,
                                null,
                                2,
                                one,
                                zero,
                                one,
                                1),
                "does not fit");
        assertIllegalArgument(
                () ->
                        LowRankFit.factorizeConv2d(
                                x,
                                k,
                                null,
                                randn(5, DataType.FLOAT32, 5),
                                null,
                                2,
                                one,
                                zero,
                                one,
                                1),
                "(5)");
        assertIllegalArgument(
                () -> LowRankFit.factorizeConv2d(x, k, null, null, null, 2, one, zero, one, 3),
                "groups 3");
    }
}
