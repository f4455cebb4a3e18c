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
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.FactorizedTensor;
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
                                .optMaxIterations(200)
                                .optTolerance(1e-10)
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

    /** Temporaries allowed per product, in elements. */
    long budget(long batch) {
        return Math.max(in * out, batch * Math.max(in, out));
    }

    int cpChunks(long batch) {
        long perTerm = batch * LinearCost.cpPeakPerRowAndTerm(outShape, inShape);
        long termsPerChunk = Math.max(1, budget(batch) / Math.max(1, perTerm));
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
    long factorizedCost(long batch) {
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

    /**
     * The operations of the factorized forward of one layer, without the per-call overhead of the
     * cost model: every other term of {@link LinearCost}'s costs is proportional to the batch, so
     * the overhead is the cost of a batch of 0 rows with the same contraction plan.
     */
    long factorizedFlops(long batch) {
        switch (format) {
            case CP:
                {
                    int chunks = cpChunks(batch);
                    return LinearCost.cp(batch, outShape, inShape, rank[0], chunks)
                            - LinearCost.cp(0, outShape, inShape, rank[0], chunks);
                }
            case TUCKER:
                return LinearCost.tucker(batch, outShape, inShape, outRanks(), inRanks())
                        - LinearCost.tucker(0, outShape, inShape, outRanks(), inRanks());
            case TT:
                {
                    boolean reversed = ttReversed(batch);
                    return LinearCost.tt(batch, outShape, inShape, effectiveRank(), reversed)
                            - LinearCost.tt(0, outShape, inShape, effectiveRank(), reversed);
                }
            default:
                return batch * in * out;
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
    long reconstructionCost() {
        return LinearCost.reconstruction(format, outShape, inShape, effectiveRank())
                + (layered() ? LinearCost.OP_OVERHEAD * 2 : 0);
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
                    long rows = Math.max(1, budget(batch) / Math.max(1, peakPerRow(batch)));
                    if (rows >= batch) {
                        return format == Factorization.TT
                                ? ttForward(x, eff, ttReversed(batch))
                                : tuckerForward(x, eff);
                    }
                    NDList parts = new NDList();
                    for (long start = 0; start < batch; start += rows) {
                        long end = Math.min(batch, start + rows);
                        NDArray part = x.get(new NDIndex(start + ":" + end));
                        parts.add(
                                format == Factorization.TT
                                        ? ttForward(part, eff, ttReversed(end - start))
                                        : tuckerForward(part, eff));
                    }
                    return NDArrays.concat(parts);
                }
            default:
                return x.matMul(eff.get(0).transpose());
        }
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
            NDIndex cols = new NDIndex(":, " + a + ":" + b);
            boolean whole = a == 0 && b == r;
            NDArray t = xt.matMul(slice(eff.get(1 + n + inOrder[0]), cols, whole));
            for (int p = 1; p < m; p++) {
                NDArray f = slice(eff.get(1 + n + inOrder[p]), cols, whole);
                t = t.mul(f).sum(new int[] {t.getShape().dimension() - 2});
            }
            NDArray w = whole ? eff.get(0) : eff.get(0).get(new NDIndex(a + ":" + b));
            t = t.mul(w);
            for (int p = 0; p < n - 1; p++) {
                Shape s = t.getShape();
                long[] dims = new long[s.dimension() + 1];
                System.arraycopy(s.getShape(), 0, dims, 0, s.dimension() - 1);
                dims[s.dimension() - 1] = 1;
                dims[s.dimension()] = s.get(s.dimension() - 1);
                t = t.reshape(new Shape(dims)).mul(slice(eff.get(1 + outOrder[p]), cols, whole));
            }
            t = t.matMul(slice(eff.get(1 + outOrder[n - 1]), cols, whole).transpose());
            y = y == null ? t : y.add(t);
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

    private NDArray tuckerForward(NDArray x, NDList eff) {
        long batch = x.getShape().get(0);
        int n = outShape.dimension();
        long[] inR = inRanks();
        long[] outR = outRanks();
        long[] cur = inShape.getShape().clone();
        NDArray t = x;
        for (int k : LinearCost.tuckerOrder(inShape.getShape(), inR)) {
            t = modeApply(t, batch, cur, k, eff.get(1 + n + k).transpose());
            cur[k] = inR[k];
        }
        long rin = product(inR);
        long rout = product(outR);
        t = t.reshape(batch, rin).matMul(eff.get(0).reshape(rout, rin).transpose());
        cur = outR.clone();
        for (int k : LinearCost.tuckerOrder(outR, outShape.getShape())) {
            t = modeApply(t, batch, cur, k, eff.get(1 + k));
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
        return leftApply(matrix, t.reshape(before, cur[k], after));
    }

    /**
     * {@code matrix (m, k)} times every {@code (k, Q)} slice of {@code t (P, k, Q)}, as one matrix
     * product (a broadcast product would copy the matrix {@code P} times).
     */
    static NDArray leftApply(NDArray matrix, NDArray t) {
        Shape s = t.getShape();
        long p = s.get(0);
        long k = s.get(1);
        long q = s.get(2);
        long m = matrix.getShape().get(0);
        if (p == 1) {
            return matrix.matMul(t.reshape(k, q)).reshape(1, m, q);
        }
        if (q == 1) {
            return t.reshape(p, k).matMul(matrix.transpose()).reshape(p, m, 1);
        }
        return t.transpose(0, 2, 1)
                .reshape(p * q, k)
                .matMul(matrix.transpose())
                .reshape(p, q, m)
                .transpose(0, 2, 1);
    }

    private NDArray ttForward(NDArray x, NDList eff, boolean reversed) {
        long batch = x.getShape().get(0);
        int n = outShape.dimension();
        long[] outs = outShape.getShape().clone();
        long[] ins = inShape.getShape().clone();
        List<NDArray> cores = new ArrayList<>(eff);
        NDArray t = x;
        if (reversed) {
            long[] dims = new long[n + 1];
            dims[0] = batch;
            System.arraycopy(ins, 0, dims, 1, n);
            int[] axes = new int[n + 1];
            for (int k = 0; k < n; k++) {
                axes[1 + k] = n - k;
            }
            t = permute(t.reshape(new Shape(dims)), axes);
            reverse(outs);
            reverse(ins);
            List<NDArray> rev = new ArrayList<>();
            for (int k = n - 1; k >= 0; k--) {
                rev.add(cores.get(k).transpose(3, 1, 2, 0));
            }
            cores = rev;
        }
        long left = batch;
        long right = inShape.size();
        for (int k = 0; k < n; k++) {
            NDArray core = cores.get(k);
            Shape cs = core.getShape();
            long rk = cs.get(0);
            long rk1 = cs.get(3);
            right /= ins[k];
            NDArray c = core.transpose(1, 3, 0, 2).reshape(outs[k] * rk1, rk * ins[k]);
            t = leftApply(c, t.reshape(left, rk * ins[k], right));
            left *= outs[k];
        }
        if (reversed) {
            long[] dims = new long[n + 1];
            dims[0] = batch;
            System.arraycopy(outs, 0, dims, 1, n);
            int[] axes = new int[n + 1];
            for (int k = 0; k < n; k++) {
                axes[1 + k] = n - k;
            }
            t = permute(t.reshape(new Shape(dims)), axes);
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

    /** The layer's dense {@code (out, in)} weight; differentiable. */
    NDArray reconstruct(NDList eff) {
        switch (format) {
            case CP:
                {
                    int n = outShape.dimension();
                    NDArray left = khatriRao(eff.subNDList(1, 1 + n));
                    NDArray right = khatriRao(eff.subNDList(1 + n));
                    long r = rank[0];
                    return left.mul(eff.get(0).reshape(1, r)).matMul(right.transpose());
                }
            case TUCKER:
                {
                    long[] cur = effectiveRank();
                    long[] dims = outShape.addAll(inShape).getShape();
                    NDArray t = eff.get(0);
                    for (int k = 0; k < dims.length; k++) {
                        t = modeApply(t, 1, cur, k, eff.get(1 + k));
                        cur[k] = dims[k];
                    }
                    return t.reshape(out, in);
                }
            case TT:
                {
                    int n = outShape.dimension();
                    NDArray acc = null;
                    long[] inter = new long[2 * n];
                    for (int k = 0; k < n; k++) {
                        NDArray core = eff.get(k);
                        Shape cs = core.getShape();
                        NDArray mat = core.reshape(cs.get(0), cs.get(1) * cs.get(2) * cs.get(3));
                        acc = acc == null ? mat : acc.matMul(mat);
                        acc = acc.reshape(-1, cs.get(3));
                        inter[2 * k] = cs.get(1);
                        inter[2 * k + 1] = cs.get(2);
                    }
                    int[] axes = new int[2 * n];
                    for (int k = 0; k < n; k++) {
                        axes[k] = 2 * k;
                        axes[n + k] = 2 * k + 1;
                    }
                    return permute(acc.reshape(new Shape(inter)), axes).reshape(out, in);
                }
            default:
                return eff.get(0);
        }
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
