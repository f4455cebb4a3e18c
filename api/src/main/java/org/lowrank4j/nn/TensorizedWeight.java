package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.lowrank4j.cost.LinearCost;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.decompose.TensorTrain;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TTMatrix;
import org.lowrank4j.tensor.TuckerTensor;

/**
 * The factorized weight of a tensorized linear layer: its layout, its parameter arrays, and the
 * contractions of the forward pass.
 *
 * <p>CP and Tucker factorize the tensor of shape {@code ([L,] O_0…, I_0…)}, block-TT the matrix
 * with row shape {@code ([L,] O_0…)} and column shape {@code ([1,] I_0…)}, dense keeps {@code ([L,]
 * out, in)}; {@code L} is the number of layers, present only when above 1. The arrays are listed in
 * the order of {@link FactorizedTensor#getArrays()}. "Effective" arrays are those of one layer,
 * without the layer mode.
 */
final class TensorizedWeight {

    final Factorization format;
    final Shape outShape;
    final Shape inShape;
    final int layers;
    final int[] rank;
    final long out;
    final long in;

    TensorizedWeight(Factorization format, Shape outShape, Shape inShape, int layers, int[] rank) {
        this.format = format;
        this.outShape = outShape;
        this.inShape = inShape;
        this.layers = layers;
        this.rank = rank.clone();
        this.out = outShape.size();
        this.in = inShape.size();
    }

    /** Resolves a rank request for this layout (the realised ranks a decomposition would give). */
    static TensorizedWeight resolve(
            Factorization format, Shape outShape, Shape inShape, int layers, Rank rank) {
        TensorizedWeight layout =
                new TensorizedWeight(format, outShape, inShape, layers, new int[0]);
        int[] r;
        switch (format) {
            case CP:
                r = new int[] {Ranks.cp(layout.tensorShape(), rank)};
                break;
            case TUCKER:
                r =
                        Ranks.realizableTucker(
                                layout.tensorShape(), Ranks.tucker(layout.tensorShape(), rank));
                break;
            case TT:
                {
                    Shape rows = layout.rowShape();
                    Shape cols = layout.columnShape();
                    if (rows.dimension() == 1) {
                        r = new int[] {1, 1};
                    } else {
                        long[] merged = new long[rows.dimension()];
                        for (int k = 0; k < merged.length; k++) {
                            merged[k] = rows.get(k) * cols.get(k);
                        }
                        r = Ranks.realizableTt(new Shape(merged), Ranks.ttMatrix(rows, cols, rank));
                    }
                    break;
                }
            default:
                r = new int[0];
        }
        return new TensorizedWeight(format, outShape, inShape, layers, r);
    }

    boolean layered() {
        return layers > 1;
    }

    /** The shape of the factorized tensor (CP, Tucker). */
    Shape tensorShape() {
        Shape s = outShape.addAll(inShape);
        return layered() ? new Shape(layers).addAll(s) : s;
    }

    Shape rowShape() {
        return layered() ? new Shape(layers).addAll(outShape) : outShape;
    }

    Shape columnShape() {
        return layered() ? new Shape(1).addAll(inShape) : inShape;
    }

    /** The parameter names, in array order. */
    List<String> names() {
        List<String> names = new ArrayList<>();
        switch (format) {
            case CP:
                names.add("weights");
                for (int k = 0; k < tensorShape().dimension(); k++) {
                    names.add("factor_" + k);
                }
                break;
            case TUCKER:
                names.add("core");
                for (int k = 0; k < tensorShape().dimension(); k++) {
                    names.add("factor_" + k);
                }
                break;
            case TT:
                for (int k = 0; k < rowShape().dimension(); k++) {
                    names.add("core_" + k);
                }
                break;
            default:
                names.add("weight");
        }
        return names;
    }

    /** Draws arrays whose reconstructed weight has RMS {@code std}. */
    NDList draw(NDManager manager, double std, long seed, DataType type) {
        switch (format) {
            case CP:
                return CPTensor.normal(manager, tensorShape(), rank[0], std, seed, type)
                        .getArrays();
            case TUCKER:
                return TuckerTensor.normal(
                                manager, tensorShape(), rank, new int[0], std, seed, type)
                        .getArrays();
            case TT:
                return TTMatrix.normal(manager, rowShape(), columnShape(), rank, std, seed, type)
                        .getArrays();
            default:
                Shape s = layered() ? new Shape(layers, out, in) : new Shape(out, in);
                return new NDList(HostRandom.normal(manager, new Random(seed), s, std, type));
        }
    }

    /**
     * Decomposes a dense weight {@code ([L,] out, in)}; the result's arrays are in the weight's
     * manager and the layout carries the realised ranks.
     */
    static TensorizedWeight decompose(
            NDArray weight,
            Factorization format,
            Shape outShape,
            Shape inShape,
            int layers,
            Rank rank,
            NDList arrays) {
        TensorizedWeight layout =
                new TensorizedWeight(format, outShape, inShape, layers, new int[0]);
        FactorizedTensor tensor;
        switch (format) {
            case CP:
                tensor =
                        Parafac.builder()
                                .setRank(rank)
                                .optMaxIterations(100)
                                .optTolerance(1e-10)
                                // extrapolated sweeps: in 100 as low an error as 200 plain ones
                                .optLineSearch(true)
                                .build()
                                .fit(weight.reshape(layout.tensorShape()))
                                .getTensor();
                break;
            case TUCKER:
                tensor =
                        Tucker.builder()
                                .setRank(rank)
                                .build()
                                .fit(weight.reshape(layout.tensorShape()))
                                .getTensor();
                break;
            case TT:
                tensor =
                        TensorTrain.builder()
                                .setRank(rank)
                                .build()
                                .fitMatrix(
                                        weight.reshape(layers * outShape.size(), inShape.size()),
                                        layout.rowShape(),
                                        layout.columnShape())
                                .getTensor();
                break;
            default:
                arrays.add(weight.duplicate());
                return new TensorizedWeight(format, outShape, inShape, layers, new int[0]);
        }
        arrays.addAll(tensor.getArrays());
        return new TensorizedWeight(format, outShape, inShape, layers, tensor.getRank());
    }

    // ---------------------------------------------------------------------------- one layer

    /** The arrays of one layer (no layer mode); differentiable. */
    NDList select(NDList arrays, int layer) {
        if (!layered()) {
            return arrays;
        }
        NDList eff = new NDList();
        switch (format) {
            case CP:
                {
                    NDArray row = arrays.get(1).get(layer);
                    eff.add(arrays.get(0).mul(row));
                    for (int k = 2; k < arrays.size(); k++) {
                        eff.add(arrays.get(k));
                    }
                    return eff;
                }
            case TUCKER:
                {
                    NDArray core = arrays.get(0);
                    Shape cs = core.getShape();
                    long r0 = cs.get(0);
                    NDArray row = arrays.get(1).get(layer).reshape(1, r0);
                    eff.add(row.matMul(core.reshape(r0, -1)).reshape(cs.slice(1)));
                    for (int k = 2; k < arrays.size(); k++) {
                        eff.add(arrays.get(k));
                    }
                    return eff;
                }
            case TT:
                {
                    NDArray first = arrays.get(0);
                    long r1 = first.getShape().get(3);
                    NDArray row = first.reshape(layers, r1).get(layer).reshape(1, r1);
                    NDArray second = arrays.get(1);
                    Shape s = second.getShape();
                    eff.add(
                            row.matMul(second.reshape(r1, -1))
                                    .reshape(1, s.get(1), s.get(2), s.get(3)));
                    for (int k = 2; k < arrays.size(); k++) {
                        eff.add(arrays.get(k));
                    }
                    return eff;
                }
            default:
                eff.add(arrays.get(0).get(layer));
                return eff;
        }
    }

    /** CP rank, Tucker output ranks, Tucker input ranks, TT bond ranks of one layer. */
    long[] effectiveRank() {
        if (format == Factorization.DENSE) {
            return new long[0];
        }
        int skip = layered() ? 1 : 0;
        long[] r = new long[rank.length - (format == Factorization.CP ? 0 : skip)];
        if (format == Factorization.CP) {
            r[0] = rank[0];
            return r;
        }
        for (int k = 0; k < r.length; k++) {
            r[k] = rank[k + skip];
        }
        if (format == Factorization.TT && layered()) {
            r[0] = 1;
        }
        return r;
    }

    private long[] outRanks() {
        return Arrays.copyOfRange(effectiveRank(), 0, outShape.dimension());
    }

    private long[] inRanks() {
        long[] r = effectiveRank();
        return Arrays.copyOfRange(r, outShape.dimension(), r.length);
    }

    /**
     * Temporaries allowed in one chunk of a forward pass or of a reconstruction, in elements: the
     * dense weight, or the input and output rows when larger.
     */
    long budget(long batch) {
        return Math.max(in * out, batch * Math.max(in, out));
    }

    /**
     * How many arrays of a chunk's largest size a chunk holds at once (an operation's input, its
     * output and the reshaped or transposed views between them); chunks are sized so that this many
     * fit in the {@link #budget}.
     */
    private static final long COPIES = 4;

    int cpChunks(long batch) {
        long perTerm = batch * LinearCost.cpPeakPerRowAndTerm(outShape, inShape);
        long termsPerChunk = Math.max(1, budget(batch) / Math.max(1, COPIES * perTerm));
        return (int) ((rank[0] + termsPerChunk - 1) / termsPerChunk);
    }

    private long peakPerRow(long batch) {
        switch (format) {
            case TUCKER:
                return LinearCost.tuckerPeakPerRow(outShape, inShape, outRanks(), inRanks());
            case TT:
                return LinearCost.ttPeakPerRow(
                        outShape, inShape, effectiveRank(), ttReversed(batch));
            default:
                return Math.max(in, out);
        }
    }

    private boolean ttReversed(long batch) {
        return LinearCost.ttReversed(batch, outShape, inShape, effectiveRank());
    }

    /** The cost of the factorized forward of one layer. */
    LinearCost.Estimate factorizedCost(long batch) {
        switch (format) {
            case CP:
                return LinearCost.cp(batch, outShape, inShape, rank[0], cpChunks(batch));
            case TUCKER:
                return LinearCost.tucker(batch, outShape, inShape, outRanks(), inRanks());
            case TT:
                return LinearCost.tt(batch, outShape, inShape, effectiveRank(), ttReversed(batch));
            default:
                return LinearCost.dense(batch, in, out);
        }
    }

    /** The number of stored weight values (all layers), from the layout alone. */
    long parameterCount() {
        switch (format) {
            case CP:
                {
                    long sum = 0;
                    for (long d : tensorShape().getShape()) {
                        sum += d;
                    }
                    return rank[0] * (sum + 1);
                }
            case TUCKER:
                {
                    long[] dims = tensorShape().getShape();
                    long n = product(toLong(rank));
                    for (int k = 0; k < dims.length; k++) {
                        n += dims[k] * rank[k];
                    }
                    return n;
                }
            case TT:
                {
                    Shape rows = rowShape();
                    Shape cols = columnShape();
                    long n = 0;
                    for (int k = 0; k < rows.dimension(); k++) {
                        n += (long) rank[k] * rows.get(k) * cols.get(k) * rank[k + 1];
                    }
                    return n;
                }
            default:
                return (long) layers * out * in;
        }
    }

    private static long[] toLong(int[] values) {
        long[] r = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            r[i] = values[i];
        }
        return r;
    }

    /** The cost of rebuilding one layer's dense weight. */
    long reconstructionCost(LinearCost.Weights weights) {
        return LinearCost.reconstruction(format, outShape, inShape, effectiveRank()).total(weights)
                + (layered() ? weights.callOverhead() * 2 : 0);
    }

    // ---------------------------------------------------------------------------- forward

    /** {@code x (B, in)} times the layer's weight transposed, never building the weight. */
    NDArray factorized(NDArray x, NDList eff) {
        long batch = x.getShape().get(0);
        switch (format) {
            case CP:
                return cpForward(x, eff, cpChunks(batch));
            case TUCKER:
            case TT:
                {
                    long rows =
                            Math.max(1, budget(batch) / Math.max(1, COPIES * peakPerRow(batch)));
                    NDList parts = new NDList();
                    for (long start = 0; start < batch; start += rows) {
                        long end = Math.min(batch, start + rows);
                        try (Workspace ws = Workspace.of(x)) {
                            NDArray part = ws.adopt(x);
                            if (start > 0 || end < batch) {
                                part = part.get(new NDIndex(start + ":" + end));
                            }
                            NDList f = adoptAll(ws, eff);
                            parts.add(
                                    ws.keep(
                                            format == Factorization.TT
                                                    ? ttForward(
                                                            ws, part, f, ttReversed(end - start))
                                                    : tuckerForward(ws, part, f)));
                        }
                    }
                    if (parts.size() == 1) {
                        return parts.get(0);
                    }
                    NDArray y = NDArrays.concat(parts);
                    Workspace.release(parts.toArray(new NDArray[0]));
                    return y;
                }
            default:
                return x.matMul(eff.get(0).transpose());
        }
    }

    private static NDList adoptAll(Workspace ws, NDList arrays) {
        NDList adopted = new NDList();
        for (NDArray a : arrays) {
            adopted.add(ws.adopt(a));
        }
        return adopted;
    }

    /** Frees {@code previous}, a temporary, once {@code next} is computed from it. */
    private static NDArray then(NDArray previous, NDArray next) {
        if (next != previous) {
            Workspace.release(previous);
        }
        return next;
    }

    private NDArray cpForward(NDArray x, NDList eff, int chunks) {
        long batch = x.getShape().get(0);
        int m = inShape.dimension();
        int n = outShape.dimension();
        int[] inOrder = LinearCost.cpInputOrder(inShape);
        int[] outOrder = LinearCost.cpOutputOrder(outShape);
        // the input with its modes reversed in contraction order: the first one contracted is last
        long[] xDims = new long[m + 1];
        xDims[0] = batch;
        System.arraycopy(inShape.getShape(), 0, xDims, 1, m);
        int[] axes = new int[m + 1];
        for (int p = 0; p < m; p++) {
            axes[m - p] = 1 + inOrder[p];
        }
        NDArray xt = permute(x.reshape(new Shape(xDims)), axes);
        long r = rank[0];
        long per = (r + chunks - 1) / chunks;
        NDArray y = null;
        for (long a = 0; a < r; a += per) {
            long b = Math.min(r, a + per);
            NDArray part;
            // each chunk of rank-one terms frees its temporaries before the next one starts
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
        return permute(y, back).reshape(batch, out);
    }

    private static NDArray slice(NDArray a, NDIndex index, boolean whole) {
        return whole ? a : a.get(index);
    }

    private static NDArray permute(NDArray a, int[] axes) {
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] != i) {
                return a.transpose(axes);
            }
        }
        return a;
    }

    /** The Tucker forward of {@code x}, one factor per step of {@code ws}. */
    private NDArray tuckerForward(Workspace ws, NDArray x, NDList eff) {
        long batch = x.getShape().get(0);
        int n = outShape.dimension();
        long[] inR = inRanks();
        long[] outR = outRanks();
        long[] cur = inShape.getShape().clone();
        NDArray t = x;
        for (int k : LinearCost.tuckerOrder(inShape.getShape(), inR)) {
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
        for (int k : LinearCost.tuckerOrder(outR, outShape.getShape())) {
            long[] from = cur.clone();
            NDArray factor = eff.get(1 + k);
            t = ws.step(t, (w, a) -> modeApply(a, batch, from, k, w.adopt(factor)));
            cur[k] = outShape.get(k);
        }
        return t.reshape(batch, out);
    }

    /** Applies {@code matrix (to, from)} to mode {@code k} of {@code t (lead, cur…)}. */
    private static NDArray modeApply(NDArray t, long lead, long[] cur, int k, NDArray matrix) {
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
    private NDArray ttForward(Workspace ws, NDArray x, NDList eff, boolean reversed) {
        long batch = x.getShape().get(0);
        int n = outShape.dimension();
        long[] outs = outShape.getShape().clone();
        long[] ins = inShape.getShape().clone();
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
        long right = inShape.size();
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
        return t.reshape(batch, out);
    }

    /**
     * Rows of the {@code (out, in)} weight (an embedding table with the vocabulary as rows), never
     * building the table; differentiable with respect to the arrays.
     *
     * @param ids the row indices, each in {@code [0, out)}
     * @param eff the layer's arrays
     * @return the {@code (ids.length, in)} rows
     */
    NDArray rows(long[] ids, NDList eff) {
        NDManager manager = eff.get(0).getManager();
        int n = outShape.dimension();
        long count = ids.length;
        NDList index = new NDList();
        long stride = out;
        for (int k = 0; k < n; k++) {
            stride /= outShape.get(k);
            long[] part = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                part[i] = (ids[i] / stride) % outShape.get(k);
            }
            index.add(manager.create(part));
        }
        switch (format) {
            case CP:
                {
                    long r = rank[0];
                    NDArray t = eff.get(0).reshape(1, r);
                    for (int k = 0; k < n; k++) {
                        t = t.mul(eff.get(1 + k).get(index.get(k)));
                    }
                    int m = inShape.dimension();
                    for (int k = 0; k < m - 1; k++) {
                        Shape s = t.getShape();
                        long[] dims = new long[s.dimension() + 1];
                        System.arraycopy(s.getShape(), 0, dims, 0, s.dimension() - 1);
                        dims[s.dimension() - 1] = 1;
                        dims[s.dimension()] = r;
                        t = t.reshape(new Shape(dims)).mul(eff.get(1 + n + k));
                    }
                    t = t.matMul(eff.get(n + m).transpose());
                    return t.reshape(count, in);
                }
            case TUCKER:
                {
                    long[] outR = outRanks();
                    long[] inR = inRanks();
                    NDArray kron = null;
                    long width = 1;
                    for (int k = 0; k < n; k++) {
                        NDArray g = eff.get(1 + k).get(index.get(k));
                        kron =
                                kron == null
                                        ? g
                                        : kron.reshape(count, width, 1)
                                                .mul(g.reshape(count, 1, outR[k]))
                                                .reshape(count, width * outR[k]);
                        width *= outR[k];
                    }
                    long rin = product(inR);
                    NDArray t = kron.matMul(eff.get(0).reshape(width, rin));
                    long[] cur = inR.clone();
                    for (int k = 0; k < inShape.dimension(); k++) {
                        t = modeApply(t, count, cur, k, eff.get(1 + n + k));
                        cur[k] = inShape.get(k);
                    }
                    return t.reshape(count, in);
                }
            case TT:
                {
                    NDArray acc = null;
                    long width = 1;
                    for (int k = 0; k < n; k++) {
                        NDArray core = eff.get(k);
                        Shape cs = core.getShape();
                        NDArray picked = core.transpose(1, 0, 2, 3).get(index.get(k));
                        NDArray mat = picked.reshape(count, cs.get(0), cs.get(2) * cs.get(3));
                        acc = acc == null ? mat : acc.matMul(mat);
                        width *= cs.get(2);
                        acc = acc.reshape(count, width, cs.get(3));
                    }
                    return acc.reshape(count, in);
                }
            default:
                return eff.get(0).get(manager.create(ids));
        }
    }

    /**
     * The layer's dense {@code (out, in)} weight; differentiable. Its temporaries stay within a few
     * times the weight's size: CP sums its rank-one terms in chunks, Tucker applies one factor per
     * step, block-TT multiplies one core per step.
     */
    NDArray reconstruct(NDList eff) {
        switch (format) {
            case CP:
                return cpReconstruct(eff);
            case TUCKER:
                try (Workspace ws = Workspace.of(eff.get(0))) {
                    long[] cur = effectiveRank();
                    long[] dims = outShape.addAll(inShape).getShape();
                    NDArray t = eff.get(0);
                    for (int k = 0; k < dims.length; k++) {
                        long[] from = cur.clone();
                        NDArray factor = eff.get(1 + k);
                        int mode = k;
                        t = ws.step(t, (w, a) -> modeApply(a, 1, from, mode, w.adopt(factor)));
                        cur[k] = dims[k];
                    }
                    return ws.keep(t.reshape(out, in));
                }
            case TT:
                try (Workspace ws = Workspace.of(eff.get(0))) {
                    int n = outShape.dimension();
                    NDArray acc = null;
                    long[] inter = new long[2 * n];
                    for (int k = 0; k < n; k++) {
                        NDArray core = ws.adopt(eff.get(k));
                        Shape cs = core.getShape();
                        NDArray mat = core.reshape(cs.get(0), cs.get(1) * cs.get(2) * cs.get(3));
                        if (acc != null) {
                            NDArray product = acc.matMul(mat);
                            Workspace.release(acc, mat);
                            mat = product;
                        }
                        acc = then(mat, mat.reshape(-1, cs.get(3)));
                        inter[2 * k] = cs.get(1);
                        inter[2 * k + 1] = cs.get(2);
                    }
                    int[] axes = new int[2 * n];
                    for (int k = 0; k < n; k++) {
                        axes[k] = 2 * k;
                        axes[n + k] = 2 * k + 1;
                    }
                    NDArray modes = then(acc, acc.reshape(new Shape(inter)));
                    NDArray permuted = then(modes, permute(modes, axes));
                    return ws.keep(then(permuted, permuted.reshape(out, in)));
                }
            default:
                return eff.get(0);
        }
    }

    /**
     * CP: {@code Σ_r w_r (a_r ⊗ …) (b_r ⊗ …)ᵀ}, the Khatri-Rao products built for a chunk of terms
     * at a time, each at most an eighth of the weight (with a rank above the feature counts they
     * would be larger than the weight).
     */
    private NDArray cpReconstruct(NDList eff) {
        int n = outShape.dimension();
        long r = rank[0];
        long per = LinearCost.cpReconstructionTerms(out, in);
        NDArray w = null;
        for (long a = 0; a < r; a += per) {
            long b = Math.min(r, a + per);
            boolean whole = a == 0 && b == r;
            NDIndex cols = new NDIndex(":, " + a + ":" + b);
            NDArray part;
            try (Workspace ws = Workspace.of(eff.get(0))) {
                NDList f = adoptAll(ws, eff);
                NDList outs = new NDList();
                NDList ins = new NDList();
                for (int k = 1; k < f.size(); k++) {
                    (k <= n ? outs : ins).add(slice(f.get(k), cols, whole));
                }
                NDArray weights = whole ? f.get(0) : f.get(0).get(new NDIndex(a + ":" + b));
                NDArray left = khatriRao(outs);
                NDArray scaled = left.mul(weights.reshape(1, b - a));
                NDArray right = khatriRao(ins);
                part = ws.keep(scaled.matMul(right.transpose()));
            }
            if (w == null) {
                w = part;
            } else {
                NDArray sum = w.add(part);
                Workspace.release(w, part);
                w = sum;
            }
        }
        return w;
    }

    private static NDArray khatriRao(NDList matrices) {
        NDArray acc = matrices.get(0);
        for (int i = 1; i < matrices.size(); i++) {
            NDArray f = matrices.get(i);
            long rows = acc.getShape().get(0);
            long r = acc.getShape().get(1);
            long m = f.getShape().get(0);
            acc = acc.reshape(rows, 1, r).mul(f.reshape(1, m, r)).reshape(rows * m, r);
        }
        return acc;
    }

    private static long product(long[] values) {
        long p = 1;
        for (long v : values) {
            p *= v;
        }
        return p;
    }

    private static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
