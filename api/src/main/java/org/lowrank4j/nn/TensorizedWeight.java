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

    long[] outRanks() {
        return Arrays.copyOfRange(effectiveRank(), 0, outShape.dimension());
    }

    long[] inRanks() {
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
                    long n = TensorizedForward.product(toLong(rank));
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
                return TensorizedForward.cp(this, x, eff, cpChunks(batch));
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
                            NDList f = TensorizedForward.adoptAll(ws, eff);
                            parts.add(
                                    ws.keep(
                                            format == Factorization.TT
                                                    ? TensorizedForward.tt(
                                                            this,
                                                            ws,
                                                            part,
                                                            f,
                                                            ttReversed(end - start))
                                                    : TensorizedForward.tucker(this, ws, part, f)));
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
                    long rin = TensorizedForward.product(inR);
                    NDArray t = kron.matMul(eff.get(0).reshape(width, rin));
                    long[] cur = inR.clone();
                    for (int k = 0; k < inShape.dimension(); k++) {
                        t = TensorizedForward.modeApply(t, count, cur, k, eff.get(1 + n + k));
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
                        t =
                                ws.step(
                                        t,
                                        (w, a) ->
                                                TensorizedForward.modeApply(
                                                        a, 1, from, mode, w.adopt(factor)));
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
                        acc = TensorizedForward.then(mat, mat.reshape(-1, cs.get(3)));
                        inter[2 * k] = cs.get(1);
                        inter[2 * k + 1] = cs.get(2);
                    }
                    int[] axes = new int[2 * n];
                    for (int k = 0; k < n; k++) {
                        axes[k] = 2 * k;
                        axes[n + k] = 2 * k + 1;
                    }
                    NDArray modes = TensorizedForward.then(acc, acc.reshape(new Shape(inter)));
                    NDArray permuted =
                            TensorizedForward.then(modes, TensorizedForward.permute(modes, axes));
                    return ws.keep(TensorizedForward.then(permuted, permuted.reshape(out, in)));
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
                NDList f = TensorizedForward.adoptAll(ws, eff);
                NDList outs = new NDList();
                NDList ins = new NDList();
                for (int k = 1; k < f.size(); k++) {
                    (k <= n ? outs : ins).add(TensorizedForward.slice(f.get(k), cols, whole));
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
}
