package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.lowrank4j.internal.Workspace;

/**
 * Second-order statistics of a regression problem, accumulated over chunks of rows on the engine in
 * double precision: {@code Σ xᵀx}, {@code Σ xᵀy}, the per-column sums and the per-column sums of
 * squares of {@code y}.
 *
 * <p>Every chunk is shifted by the mean of the first chunk before it is accumulated, so that the
 * centred statistics do not lose precision to a large common offset. All arrays live in the manager
 * given at construction.
 */
final class GramStats {

    private final NDManager manager;
    private final boolean withY;
    private NDArray shiftX;
    private NDArray shiftY;
    private NDArray gxx;
    private NDArray gxy;
    private NDArray sumX;
    private NDArray sumY;
    private NDArray sumYy;
    private long rows;

    /**
     * Creates empty statistics.
     *
     * @param manager where the accumulators live
     * @param withY whether targets are accumulated too
     */
    GramStats(NDManager manager, boolean withY) {
        this.manager = manager;
        this.withY = withY;
    }

    /**
     * Adds a chunk of rows.
     *
     * @param x the inputs, {@code (n, D)}, float64
     * @param y the targets, {@code (n, M)}, float64; ignored unless targets are accumulated
     */
    void add(NDArray x, NDArray y) {
        try (Workspace ws = Workspace.of(manager)) {
            ws.adopt(x);
            if (withY) {
                ws.adopt(y);
            }
            if (shiftX == null) {
                shiftX = ws.keep(x.mean(new int[] {0}, true));
                if (withY) {
                    shiftY = ws.keep(y.mean(new int[] {0}, true));
                }
            }
            NDArray xs = x.sub(shiftX);
            NDArray xst = xs.transpose();
            gxx = accumulate(ws, gxx, xst.matMul(xs));
            sumX = accumulate(ws, sumX, xs.sum(new int[] {0}));
            if (withY) {
                NDArray ys = y.sub(shiftY);
                gxy = accumulate(ws, gxy, xst.matMul(ys));
                sumY = accumulate(ws, sumY, ys.sum(new int[] {0}));
                sumYy = accumulate(ws, sumYy, ys.mul(ys).sum(new int[] {0}));
            }
            rows += x.getShape().get(0);
        }
    }

    private static NDArray accumulate(Workspace ws, NDArray total, NDArray part) {
        if (total == null) {
            return ws.keep(part);
        }
        total.addi(part);
        return total;
    }

    /**
     * Returns the accumulator arrays that exist.
     *
     * @return the arrays
     */
    NDArray[] arrays() {
        return java.util.stream.Stream.of(shiftX, shiftY, gxx, gxy, sumX, sumY, sumYy)
                .filter(java.util.Objects::nonNull)
                .toArray(NDArray[]::new);
    }

    /**
     * Returns the number of rows accumulated.
     *
     * @return the number of rows
     */
    long rows() {
        return rows;
    }

    /**
     * Returns the centred {@code Xᵀ X}, {@code (D, D)}.
     *
     * @return a new array in the manager
     */
    NDArray centredXx() {
        NDArray ms = sumX.div(rows);
        NDArray outer = ms.reshape(-1, 1).matMul(ms.reshape(1, -1)).mul(rows);
        NDArray result = gxx.sub(outer);
        ms.close();
        outer.close();
        return result;
    }

    /**
     * Returns the centred {@code Xᵀ Y}, {@code (D, M)}.
     *
     * @return a new array in the manager
     */
    NDArray centredXy() {
        NDArray mx = sumX.div(rows);
        NDArray my = sumY.div(rows);
        NDArray outer = mx.reshape(-1, 1).matMul(my.reshape(1, -1)).mul(rows);
        NDArray result = gxy.sub(outer);
        mx.close();
        my.close();
        outer.close();
        return result;
    }

    /**
     * Returns the trace of the centred {@code Yᵀ Y}.
     *
     * @return the sum of squared deviations of every column from its mean
     */
    double centredYyTrace() {
        double[] s = sumY.toDoubleArray();
        double[] ss = sumYy.toDoubleArray();
        double total = 0;
        for (int j = 0; j < s.length; j++) {
            total += ss[j] - s[j] * s[j] / rows;
        }
        return total;
    }

    /**
     * Returns the column means of {@code X}, {@code (D)}.
     *
     * @return a new array in the manager
     */
    NDArray meanX() {
        NDArray ms = sumX.div(rows);
        NDArray result = ms.add(shiftX.reshape(-1));
        ms.close();
        return result;
    }

    /**
     * Returns the column means of {@code Y}, {@code (M)}.
     *
     * @return a new array in the manager
     */
    NDArray meanY() {
        NDArray ms = sumY.div(rows);
        NDArray result = ms.add(shiftY.reshape(-1));
        ms.close();
        return result;
    }

    /**
     * Converts an array to float64 in the same manager, or returns it if it already is.
     *
     * @param array the array
     * @return the float64 array
     */
    static NDArray f64(NDArray array) {
        return array.getDataType() == DataType.FLOAT64
                ? array
                : array.toType(DataType.FLOAT64, false);
    }
}
