package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.cost.ConvCost;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.cost.CostModel;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Tucker;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TensorOps;
import org.lowrank4j.tensor.TuckerTensor;

/**
 * A convolution whose {@code (O, C, k_1, …, k_N)} kernel is a Tucker tensor.
 *
 * <p>Parameters, in {@link TuckerTensor#getArrays()} order: {@code core} {@code (r_0, r_1, r_2, …)}
 * and the factors of the modes that have one: {@code factor_out} {@code (O, r_0)}, {@code
 * factor_in} {@code (C, r_1)}, {@code factor_s1} … {@code (k_i, r_{i+1})}; then {@code bias}. Modes
 * fixed with {@link FactorizedConvBuilder#optFixedRankModes} keep their full size and have no
 * factor (fixing the spatial modes gives the Tucker-2 convolution of a ResNet bottleneck). With
 * {@link FactorizedConvBuilder#optLayers} the tensor has a leading layer mode with a {@code
 * factor_layer} (explicit ranks then start with the layer mode's). The factorized forward pass is a
 * 1×1 convolution {@code C → r_1}, one full convolution with the core (spatial factors folded in,
 * with the block's stride, padding and dilation), and a 1×1 convolution {@code r_0 → O}. When the
 * core's spatial ranks are small (their product {@code R} well below the kernel's volume, as a
 * fraction rank often gives), the middle convolution is replaced, if the block's {@link
 * #getCostModel() cost model} finds it cheaper, by a depthwise convolution that filters each of the
 * {@code r_1} channels with the {@code R} spatial kernels the factors span, followed by one 1×1
 * convolution {@code r_1·R → O} with the core and the output factor folded together. In inference
 * the kernels of either pipeline are built once and cached until the parameters change. Build it
 * with {@link FactorizedConv#builder()}.
 */
public final class TuckerConv extends FactorizedConv<TuckerTensor> {

    private final int[] ranks;
    private final boolean[] hasFactor;
    private final int off;
    private final int[] kernelRanks;
    private final boolean[] kernelHasFactor;

    /**
     * Returns a builder of Tucker convolutions, whose {@code build()} returns a {@code TuckerConv}.
     *
     * @return the builder, its factorization set to TUCKER
     */
    public static FactorizedConvBuilder<TuckerConv> builder() {
        return new FactorizedConvBuilder<>(Factorization.TUCKER);
    }

    TuckerConv(FactorizedConvBuilder<?> builder, Rank request, int[] fixedModes) {
        super(builder, Factorization.TUCKER);
        off = layers > 1 ? 1 : 0;
        int n = order + 2 + off;
        boolean[] fixed = new boolean[n];
        int[] shifted = new int[fixedModes.length];
        for (int i = 0; i < fixedModes.length; i++) {
            shifted[i] = fixedModes[i] + off;
            fixed[shifted[i]] = true;
        }
        int[] r =
                Ranks.realizableTucker(layeredShape, Ranks.tucker(layeredShape, request, shifted));
        hasFactor = new boolean[n];
        for (int k = 0; k < n; k++) {
            if (fixed[k]) {
                r[k] = Math.toIntExact(layeredShape.get(k));
            }
            hasFactor[k] = !fixed[k];
        }
        this.ranks = r;
        this.kernelRanks = Arrays.copyOfRange(r, off, n);
        this.kernelHasFactor = Arrays.copyOfRange(hasFactor, off, n);
        List<String> names = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        names.add("core");
        long[] core = new long[n];
        for (int k = 0; k < n; k++) {
            core[k] = r[k];
        }
        shapes.add(new Shape(core));
        for (int k = 0; k < n; k++) {
            if (hasFactor[k]) {
                int m = k - off;
                names.add(
                        m < 0
                                ? "factor_layer"
                                : m == 0
                                        ? "factor_out"
                                        : m == 1 ? "factor_in" : "factor_s" + (m - 1));
                shapes.add(new Shape(layeredShape.get(k), r[k]));
            }
        }
        addFactorParameters(names, shapes);
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return ranks.clone();
    }

    /**
     * Returns the modes kept at full rank, without factor.
     *
     * @return the fixed modes of {@code (O, C, k_1, …)}, ascending
     */
    public int[] getFixedRankModes() {
        return fixedModes(kernelHasFactor);
    }

    private static int[] fixedModes(boolean[] present) {
        int[] out = new int[present.length];
        int count = 0;
        for (int k = 0; k < present.length; k++) {
            if (!present[k]) {
                out[count++] = k;
            }
        }
        return Arrays.copyOf(out, count);
    }

    private static TuckerTensor wrap(List<NDArray> arrays, boolean[] present) {
        List<NDArray> factors = new ArrayList<>();
        int next = 1;
        for (boolean p : present) {
            factors.add(p ? arrays.get(next++) : null);
        }
        return new TuckerTensor(arrays.get(0), factors);
    }

    @Override
    TuckerTensor wrap(List<NDArray> arrays) {
        return wrap(arrays, hasFactor);
    }

    @Override
    TuckerTensor draw(NDManager manager, DataType type, double std, long seed) {
        return TuckerTensor.normal(
                manager, layeredShape, ranks, fixedModes(hasFactor), std, seed, type);
    }

    @Override
    Decomposition<TuckerTensor> decompose(NDArray kernel, long seed) {
        return Tucker.builder()
                .setRank(Rank.of(ranks))
                .optFixedModes(fixedModes(hasFactor))
                .optSeed(seed)
                .build()
                .fit(kernel);
    }

    @Override
    List<NDArray> layerValues(List<NDArray> values, int layer) {
        NDArray core = values.get(0);
        long[] rest =
                Arrays.copyOfRange(core.getShape().getShape(), 1, core.getShape().dimension());
        List<NDArray> out = new ArrayList<>();
        // the layer mode always has a factor: contract the core with its row for this layer
        NDArray row = values.get(1).get(layer).reshape(1, ranks[0]);
        out.add(row.matMul(core.reshape(ranks[0], -1)).reshape(rest));
        out.addAll(values.subList(2, values.size()));
        return out;
    }

    @Override
    NDArray kernel(List<NDArray> values) {
        return wrap(values, kernelHasFactor).toFull();
    }

    @Override
    String pipelineName(ConvImplementation implementation, ConvGeometry geometry) {
        return separable(geometry) ? "separable" : "folded";
    }

    /**
     * The kernels of the pipeline's convolutions, in order: the input factor's 1×1 (when it has
     * one), then either the core with the spatial factors folded in, or the depthwise filter bank
     * tiled over the channels followed by the core as a 1×1 mixing kernel; then the output factor's
     * 1×1 (when it has one and is not folded into the mixing kernel).
     */
    @Override
    NDList prepare(ConvImplementation implementation, List<NDArray> values, ConvGeometry geometry) {
        TuckerTensor t = wrap(values, kernelHasFactor);
        int n = kernelRanks.length - 2;
        NDList kernels = new NDList();
        if (kernelHasFactor[1]) {
            kernels.add(ConvOps.pointwiseKernel(t.getFactor(1).transpose(), n));
        }
        boolean outputFactor = kernelHasFactor[0];
        if (separable(geometry)) {
            NDArray bank = spatialBank(t);
            long[] copies = new long[n + 2];
            Arrays.fill(copies, 1);
            copies[0] = kernelRanks[1];
            kernels.add(bank.tile(copies));
            NDArray mix = t.getCore().reshape(kernelRanks[0], -1);
            if (outputFactor && mergeOutputFactor()) {
                mix = t.getFactor(0).matMul(mix);
                outputFactor = false;
            }
            kernels.add(ConvOps.pointwiseKernel(mix, n));
        } else {
            kernels.add(spatialCore(t));
        }
        if (outputFactor) {
            kernels.add(ConvOps.pointwiseKernel(t.getFactor(0), n));
        }
        return kernels;
    }

    /** The core with the spatial factors multiplied in: the kernel of the middle convolution. */
    private NDArray spatialCore(TuckerTensor t) {
        NDArray core = t.getCore();
        List<NDArray> spatial = new ArrayList<>();
        List<Integer> modes = new ArrayList<>();
        for (int k = 2; k < kernelHasFactor.length; k++) {
            if (kernelHasFactor[k]) {
                spatial.add(t.getFactor(k));
                modes.add(k);
            }
        }
        if (spatial.isEmpty()) {
            return core;
        }
        return TensorOps.multiModeProduct(
                core, spatial, modes.stream().mapToInt(Integer::intValue).toArray(), false);
    }

    @Override
    List<StandardConvs.Stage> standardStages(List<NDArray> values) {
        TuckerTensor t = wrap(values, kernelHasFactor);
        int n = kernelRanks.length - 2;
        List<StandardConvs.Stage> stages = new ArrayList<>();
        if (kernelHasFactor[1]) {
            stages.add(
                    StandardConvs.Stage.pointwise(
                            ConvOps.pointwiseKernel(t.getFactor(1).transpose(), n)));
        }
        stages.add(StandardConvs.Stage.spatial(spatialCore(t), 1));
        if (kernelHasFactor[0]) {
            stages.add(StandardConvs.Stage.pointwise(ConvOps.pointwiseKernel(t.getFactor(0), n)));
        }
        return stages;
    }

    @Override
    NDArray run(
            ConvImplementation implementation,
            NDArray x,
            NDList kernels,
            NDArray bias,
            ConvGeometry geometry) {
        int next = 0;
        NDArray h = x;
        if (kernelHasFactor[1]) {
            h = ConvOps.pointwiseConv(h, kernels.get(next++), null);
        }
        // the convolution with the block's stride, padding and dilation: the folded core (as many
        // input channels as h: one group), or the tiled filter bank (one input channel: depthwise)
        NDArray spatial = kernels.get(next++);
        int groups = (int) (h.getShape().get(1) / spatial.getShape().get(1));
        h =
                ConvOps.conv(
                        h,
                        spatial,
                        next == kernels.size() ? bias : null,
                        stride,
                        padding,
                        dilation,
                        groups);
        while (next < kernels.size()) {
            NDArray k = kernels.get(next++);
            h = ConvOps.pointwiseConv(h, k, next == kernels.size() ? bias : null);
        }
        return h;
    }

    /**
     * The {@code (R, 1, k_1, …)} kernels spanned by the spatial factors ({@code R} the product of
     * the spatial ranks; a spatial mode without factor contributes its unit vectors).
     */
    private NDArray spatialBank(TuckerTensor t) {
        int n = kernelRanks.length - 2;
        int spatialRank = spatialRank();
        NDArray core = t.getCore();
        long[] shape = new long[n + 1];
        shape[0] = spatialRank;
        for (int i = 0; i < n; i++) {
            shape[i + 1] = kernelRanks[i + 2];
        }
        NDArray bank =
                core.getManager()
                        .eye(spatialRank, spatialRank, 0, core.getDataType())
                        .reshape(shape);
        List<NDArray> factors = new ArrayList<>();
        List<Integer> modes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (kernelHasFactor[i + 2]) {
                factors.add(t.getFactor(i + 2));
                modes.add(i + 1);
            }
        }
        if (!factors.isEmpty()) {
            bank =
                    TensorOps.multiModeProduct(
                            bank,
                            factors,
                            modes.stream().mapToInt(Integer::intValue).toArray(),
                            false);
        }
        long[] kernel = new long[n + 2];
        kernel[0] = spatialRank;
        kernel[1] = 1;
        for (int i = 0; i < n; i++) {
            kernel[i + 2] = fullShape.get(i + 2);
        }
        return bank.reshape(kernel);
    }

    private int spatialRank() {
        int product = 1;
        for (int k = 2; k < kernelRanks.length; k++) {
            product *= kernelRanks[k];
        }
        return product;
    }

    /** Whether the separable pipeline folds the output factor into its mixing matrix. */
    private boolean mergeOutputFactor() {
        long mixed = (long) kernelRanks[1] * spatialRank();
        long out = fullShape.get(0);
        return out * mixed <= (long) kernelRanks[0] * mixed + out * kernelRanks[0];
    }

    /** Whether the separable pipeline is cheaper than the folded core by the cost model. */
    private boolean separable(ConvGeometry geometry) {
        CostModel model = getCostModel();
        return model.estimate(separableCost(geometry)) < model.estimate(foldedCost(geometry));
    }

    @Override
    ConvCost pipelineCost(ConvImplementation implementation, ConvGeometry geometry) {
        return separable(geometry) ? separableCost(geometry) : foldedCost(geometry);
    }

    private ConvCost separableCost(ConvGeometry geometry) {
        return ConvCost.tuckerSeparable(
                geometry,
                kernelRanks[0],
                kernelRanks[1],
                spatialRank(),
                kernelHasFactor[0],
                kernelHasFactor[1],
                mergeOutputFactor());
    }

    private ConvCost foldedCost(ConvGeometry geometry) {
        int[] ranks = kernelRanks;
        boolean[] hasFactor = kernelHasFactor;
        long fold = 0;
        long size = (long) ranks[0] * ranks[1];
        for (int k = 2; k < ranks.length; k++) {
            size *= ranks[k];
        }
        for (int k = 2; k < ranks.length; k++) {
            if (hasFactor[k]) {
                fold += size * fullShape.get(k);
                size = size / ranks[k] * fullShape.get(k);
            }
        }
        return ConvCost.tuckerFactorized(
                geometry, ranks[0], ranks[1], hasFactor[0], hasFactor[1], fold);
    }

    @Override
    List<NDArray> insertMode(List<NDArray> values, int mode, int size) {
        int axis = 2 + mode;
        long[] core = values.get(0).getShape().getShape();
        long[] grown = new long[core.length + 1];
        for (int i = 0, j = 0; i < grown.length; i++) {
            grown[i] = i == axis ? 1 : core[j++];
        }
        List<NDArray> out = new ArrayList<>();
        out.add(values.get(0).reshape(grown));
        int next = 1;
        int inserted = insertedParameter(mode);
        for (int k = 0; k < hasFactor.length; k++) {
            if (hasFactor[k]) {
                if (out.size() == inserted) {
                    out.add(null);
                }
                out.add(values.get(next++).duplicate());
            }
        }
        if (out.size() == inserted) {
            out.add(null);
        }
        NDArray v0 = values.get(0);
        out.set(inserted, ConvConversion.oneHotRows(v0.getManager(), size, 1, v0.getDataType()));
        return out;
    }

    @Override
    void configureInserted(FactorizedConvBuilder<?> builder, int mode) {
        int axis = 2 + mode;
        int[] r = new int[ranks.length + 1];
        List<Integer> fixed = new ArrayList<>();
        for (int i = 0, j = 0; i < r.length; i++) {
            if (i == axis) {
                r[i] = 1;
            } else {
                r[i] = ranks[j];
                if (!hasFactor[j]) {
                    fixed.add(i);
                }
                j++;
            }
        }
        builder.setRank(Rank.of(r))
                .optFixedRankModes(fixed.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    int insertedParameter(int mode) {
        // the core, then the factors of the modes before the new one
        int index = 1;
        for (int k = 0; k < 2 + mode; k++) {
            if (hasFactor[k]) {
                index++;
            }
        }
        return index;
    }

    @Override
    ConvCost reconstructionCost() {
        int[] ranks = kernelRanks;
        boolean[] hasFactor = kernelHasFactor;
        long macs = 0;
        long size = 1;
        for (int r : ranks) {
            size *= r;
        }
        for (int k = 0; k < ranks.length; k++) {
            if (hasFactor[k]) {
                macs += size * fullShape.get(k);
                size = size / ranks[k] * fullShape.get(k);
            }
        }
        return ConvCost.reconstruction(macs, numParameters(), fullShape.size(), ranks.length);
    }
}
