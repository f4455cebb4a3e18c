package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.cost.LinearCost;
import org.lowrank4j.internal.Workspace;

/**
 * The forward pipelines of a {@link TensorizedWeight}, as functions of its layout and the parameter
 * arrays: {@code x (B, in)} times the weight transposed, contracted one factor (CP, Tucker) or core
 * (tensor train) at a time, never building the weight. The dispatch, the batch chunking and the
 * choice of contraction order are {@link TensorizedWeight#factorized}'s.
 */
final class TensorizedForward {

    private TensorizedForward() {}

    static NDArray cp(TensorizedWeight layout, NDArray x, NDList eff, int chunks) {
        long batch = x.getShape().get(0);
        int m = layout.inShape.dimension();
        int n = layout.outShape.dimension();
        int[] inOrder = LinearCost.cpInputOrder(layout.inShape);
        int[] outOrder = LinearCost.cpOutputOrder(layout.outShape);
        // the input with its modes reversed layout.in contraction order: the first one contracted
        // is
        // last
        long[] xDims = new long[m + 1];
        xDims[0] = batch;
        System.arraycopy(layout.inShape.getShape(), 0, xDims, 1, m);
        int[] axes = new int[m + 1];
        for (int p = 0; p < m; p++) {
            axes[m - p] = 1 + inOrder[p];
        }
        NDArray xt = permute(x.reshape(new Shape(xDims)), axes);
        long r = layout.rank[0];
        long per = (r + chunks - 1) / chunks;
        NDArray y = null;
        for (long a = 0; a < r; a += per) {
            long b = Math.min(r, a + per);
            NDArray part;
            // each chunk of layout.rank-one terms frees its temporaries before the next one starts
            try (Workspace ws = Workspace.of(xt)) {
                NDList f = adoptAll(ws, eff);
                NDIndex cols = new NDIndex(":, " + a + ":" + b);
                boolean whole = a == 0 && b == r;
                NDArray t = ws.adopt(xt).matMul(slice(f.get(1 + n + inOrder[0]), cols, whole));
                for (int p = 1; p < m; p++) {
                    NDArray factor = slice(f.get(1 + n + inOrder[p]), cols, whole);
                    NDArray product = t.mul(factor);
                    NDArray next = product.sum(new int[] {t.getShape().dimension() - 2});
                    Workspace.release(product);
                    t = then(t, next);
                }
                NDArray w = whole ? f.get(0) : f.get(0).get(new NDIndex(a + ":" + b));
                t = then(t, t.mul(w));
                for (int p = 0; p < n - 1; p++) {
                    Shape s = t.getShape();
                    long[] dims = new long[s.dimension() + 1];
                    System.arraycopy(s.getShape(), 0, dims, 0, s.dimension() - 1);
                    dims[s.dimension() - 1] = 1;
                    dims[s.dimension()] = s.get(s.dimension() - 1);
                    NDArray view = t.reshape(new Shape(dims));
                    NDArray next = view.mul(slice(f.get(1 + outOrder[p]), cols, whole));
                    Workspace.release(view);
                    t = then(t, next);
                }
                NDArray last = slice(f.get(1 + outOrder[n - 1]), cols, whole).transpose();
                part = ws.keep(then(t, t.matMul(last)));
            }
            if (y == null) {
                y = part;
            } else {
                NDArray sum = y.add(part);
                Workspace.release(y, part);
                y = sum;
            }
        }
        // back to the natural output mode order
        int[] back = new int[n + 1];
        for (int p = 0; p < n; p++) {
            back[1 + outOrder[p]] = 1 + p;
        }
        return permute(y, back).reshape(batch, layout.out);
    }

    static NDArray slice(NDArray a, NDIndex index, boolean whole) {
        return whole ? a : a.get(index);
    }

    static NDArray permute(NDArray a, int[] axes) {
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] != i) {
                return a.transpose(axes);
            }
        }
        return a;
    }

    /** The Tucker forward of {@code x}, one factor per step of {@code ws}. */
    static NDArray tucker(TensorizedWeight layout, Workspace ws, NDArray x, NDList eff) {
        long batch = x.getShape().get(0);
        int n = layout.outShape.dimension();
        long[] inR = layout.inRanks();
        long[] outR = layout.outRanks();
        long[] cur = layout.inShape.getShape().clone();
        NDArray t = x;
        for (int k : LinearCost.tuckerOrder(layout.inShape.getShape(), inR)) {
            long[] from = cur.clone();
            NDArray factor = eff.get(1 + n + k);
            t = ws.step(t, (w, a) -> modeApply(a, batch, from, k, w.adopt(factor).transpose()));
            cur[k] = inR[k];
        }
        long rin = product(inR);
        long rout = product(outR);
        NDArray core = eff.get(0);
        t =
                ws.step(
                        t,
                        (w, a) ->
                                a.reshape(batch, rin)
                                        .matMul(w.adopt(core).reshape(rout, rin).transpose()));
        cur = outR.clone();
        for (int k : LinearCost.tuckerOrder(outR, layout.outShape.getShape())) {
            long[] from = cur.clone();
            NDArray factor = eff.get(1 + k);
            t = ws.step(t, (w, a) -> modeApply(a, batch, from, k, w.adopt(factor)));
            cur[k] = layout.outShape.get(k);
        }
        return t.reshape(batch, layout.out);
    }

    /** Applies {@code matrix (to, from)} to mode {@code k} of {@code t (lead, cur…)}. */
    static NDArray modeApply(NDArray t, long lead, long[] cur, int k, NDArray matrix) {
        long before = lead;
        for (int j = 0; j < k; j++) {
            before *= cur[j];
        }
        long after = 1;
        for (int j = k + 1; j < cur.length; j++) {
            after *= cur[j];
        }
        NDArray view = t.reshape(before, cur[k], after);
        NDArray y = leftApply(matrix, view);
        Workspace.release(view);
        return y;
    }

    /**
     * {@code matrix (m, k)} times every {@code (k, Q)} slice of {@code t (P, k, Q)}, as one matrix
     * product (a broadcast product would copy the matrix {@code P} times). Its own intermediate
     * arrays are freed as soon as the next one exists.
     */
    static NDArray leftApply(NDArray matrix, NDArray t) {
        Shape s = t.getShape();
        long p = s.get(0);
        long k = s.get(1);
        long q = s.get(2);
        long m = matrix.getShape().get(0);
        if (p == 1) {
            NDArray v = t.reshape(k, q);
            NDArray y = then(v, matrix.matMul(v));
            return then(y, y.reshape(1, m, q));
        }
        NDArray mt = matrix.transpose();
        if (q == 1) {
            NDArray v = t.reshape(p, k);
            NDArray y = then(v, v.matMul(mt));
            Workspace.release(mt);
            return then(y, y.reshape(p, m, 1));
        }
        NDArray a = t.transpose(0, 2, 1);
        NDArray b = then(a, a.reshape(p * q, k));
        NDArray c = then(b, b.matMul(mt));
        Workspace.release(mt);
        NDArray d = then(c, c.reshape(p, q, m));
        return then(d, d.transpose(0, 2, 1));
    }

    /** The block-TT forward of {@code x}, one core per step of {@code ws}. */
    static NDArray tt(
            TensorizedWeight layout, Workspace ws, NDArray x, NDList eff, boolean reversed) {
        long batch = x.getShape().get(0);
        int n = layout.outShape.dimension();
        long[] outs = layout.outShape.getShape().clone();
        long[] ins = layout.inShape.getShape().clone();
        List<NDArray> cores = new ArrayList<>(eff);
        int[] flip = new int[n + 1];
        for (int k = 0; k < n; k++) {
            flip[1 + k] = n - k;
        }
        NDArray t = x;
        if (reversed) {
            long[] dims = new long[n + 1];
            dims[0] = batch;
            System.arraycopy(ins, 0, dims, 1, n);
            t = ws.step(t, (w, a) -> permute(a.reshape(new Shape(dims)), flip));
            reverse(outs);
            reverse(ins);
            java.util.Collections.reverse(cores);
        }
        long left = batch;
        long right = layout.inShape.size();
        for (int k = 0; k < n; k++) {
            NDArray core = cores.get(k);
            Shape cs = core.getShape();
            long rk = reversed ? cs.get(3) : cs.get(0);
            long rk1 = reversed ? cs.get(0) : cs.get(3);
            right /= ins[k];
            long o = outs[k];
            long i = ins[k];
            long l = left;
            long r = right;
            t =
                    ws.step(
                            t,
                            (w, a) -> {
                                NDArray c = w.adopt(core);
                                if (reversed) {
                                    c = c.transpose(3, 1, 2, 0);
                                }
                                c = c.transpose(1, 3, 0, 2).reshape(o * rk1, rk * i);
                                return leftApply(c, a.reshape(l, rk * i, r));
                            });
            left *= outs[k];
        }
        if (reversed) {
            long[] dims = new long[n + 1];
            dims[0] = batch;
            System.arraycopy(outs, 0, dims, 1, n);
            t = ws.step(t, (w, a) -> permute(a.reshape(new Shape(dims)), flip));
        }
        return t.reshape(batch, layout.out);
    }

    static NDList adoptAll(Workspace ws, NDList arrays) {
        NDList adopted = new NDList();
        for (NDArray a : arrays) {
            adopted.add(ws.adopt(a));
        }
        return adopted;
    }

    /** Frees {@code previous}, a temporary, once {@code next} is computed from it. */
    static NDArray then(NDArray previous, NDArray next) {
        if (next != previous) {
            Workspace.release(previous);
        }
        return next;
    }

    static long product(long[] values) {
        long p = 1;
        for (long v : values) {
            p *= v;
        }
        return p;
    }

    static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
