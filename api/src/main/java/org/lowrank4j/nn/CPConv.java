package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.cost.ConvCost;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.decompose.Decomposition;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;

/**
 * A convolution whose {@code (O, C, k_1, …, k_N)} kernel is a CP tensor of rank {@code R}.
 *
 * <p>Parameters, in {@link CPTensor#getArrays()} order: {@code weights} {@code (R)}, {@code
 * factor_out} {@code (O, R)}, {@code factor_in} {@code (C, R)}, {@code factor_s1} … {@code
 * factor_sN} {@code (k_i, R)}; then {@code bias} {@code (O)}. With {@link
 * FactorizedConvBuilder#optLayers} a {@code factor_layer} {@code (n, R)} follows the weights and
 * the bias is {@code (n, O)}. The factorized forward pass is a 1×1 convolution {@code C → R}, one
 * depthwise 1-D convolution per spatial dimension (with that dimension's stride, padding and
 * dilation), and a 1×1 convolution {@code R → O} whose matrix has the weights folded in. {@link
 * ConvImplementation#MOBILENET} replaces the 1-D convolutions by one depthwise convolution with the
 * full spatial kernel. Build it with {@link FactorizedConv#builder()}.
 */
public final class CPConv extends FactorizedConv<CPTensor> {

    private final int rank;

    /**
     * Returns a builder of CP convolutions, whose {@code build()} returns a {@code CPConv}.
     *
     * @return the builder, its factorization set to CP
     */
    public static FactorizedConvBuilder<CPConv> builder() {
        return new FactorizedConvBuilder<>(Factorization.CP);
    }

    CPConv(FactorizedConvBuilder<?> builder, Rank request) {
        super(builder, Factorization.CP);
        this.rank = Ranks.cp(layeredShape, request);
        List<String> names = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        names.add("weights");
        shapes.add(new Shape(rank));
        if (layers > 1) {
            names.add("factor_layer");
            shapes.add(new Shape(layers, rank));
        }
        names.add("factor_out");
        shapes.add(new Shape(outChannels, rank));
        names.add("factor_in");
        shapes.add(new Shape(inChannels, rank));
        for (int i = 0; i < order; i++) {
            names.add("factor_s" + (i + 1));
            shapes.add(new Shape(kernelShape.get(i), rank));
        }
        addFactorParameters(names, shapes);
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return new int[] {rank};
    }

    @Override
    CPTensor wrap(List<NDArray> arrays) {
        return new CPTensor(arrays.get(0), arrays.subList(1, arrays.size()));
    }

    @Override
    CPTensor draw(NDManager manager, DataType type, double std, long seed) {
        return CPTensor.normal(manager, layeredShape, rank, std, seed, type);
    }

    @Override
    Decomposition<CPTensor> decompose(NDArray kernel, long seed) {
        // extrapolated sweeps: in 60 as low an error as 100 plain ones; a sweep that improves the
        // relative error by less than 1e-6 ends the fit
        return Parafac.builder()
                .setRank(rank)
                .optSeed(seed)
                .optMaxIterations(60)
                .optTolerance(1e-6)
                .optLineSearch(true)
                .build()
                .fit(kernel);
    }

    @Override
    List<NDArray> layerValues(List<NDArray> values, int layer) {
        List<NDArray> out = new ArrayList<>();
        out.add(values.get(0).mul(values.get(1).get(layer)));
        out.addAll(values.subList(2, values.size()));
        return out;
    }

    @Override
    NDArray kernel(List<NDArray> values) {
        return wrap(values).toFull();
    }

    /** {@code (O, R)}: the output factor with the weights folded in. */
    private NDArray outMatrix(List<NDArray> values) {
        return values.get(1).mul(values.get(0).reshape(1, rank));
    }

    /**
     * FACTORIZED: the input factor's 1×1 kernel, one depthwise kernel per spatial axis, the output
     * 1×1 kernel with the weights folded in. MOBILENET: the same with one depthwise kernel, the
     * outer product of the spatial factors, rank by rank.
     */
    @Override
    NDList prepare(ConvImplementation implementation, List<NDArray> values, ConvGeometry g) {
        NDList kernels = new NDList();
        kernels.add(ConvOps.pointwiseKernel(values.get(2).transpose(), order));
        if (implementation == ConvImplementation.MOBILENET) {
            // (R, k_1, …, k_N)
            NDArray spatial = values.get(3).transpose();
            for (int i = 1; i < order; i++) {
                long[] left = spatial.getShape().getShape();
                long[] expanded = new long[left.length + 1];
                System.arraycopy(left, 0, expanded, 0, left.length);
                expanded[left.length] = 1;
                long[] right = new long[left.length + 1];
                java.util.Arrays.fill(right, 1);
                right[0] = rank;
                right[left.length] = kernelShape.get(i);
                spatial =
                        spatial.reshape(expanded).mul(values.get(3 + i).transpose().reshape(right));
            }
            long[] depthwise = new long[order + 2];
            depthwise[0] = rank;
            depthwise[1] = 1;
            System.arraycopy(kernelShape.getShape(), 0, depthwise, 2, order);
            kernels.add(spatial.reshape(depthwise));
        } else {
            for (int i = 0; i < order; i++) {
                NDArray w = values.get(3 + i).transpose().reshape(rank, 1, kernelShape.get(i));
                kernels.add(ConvOps.axisKernel(w, i, order));
            }
        }
        kernels.add(ConvOps.pointwiseKernel(outMatrix(values), order));
        return kernels;
    }

    @Override
    List<StandardConvs.Stage> standardStages(List<NDArray> values) {
        NDList k = prepare(ConvImplementation.MOBILENET, values, null);
        return List.of(
                StandardConvs.Stage.pointwise(k.get(0)),
                StandardConvs.Stage.spatial(k.get(1), rank),
                StandardConvs.Stage.pointwise(k.get(2)));
    }

    @Override
    NDArray run(
            ConvImplementation implementation,
            NDArray x,
            NDList kernels,
            NDArray bias,
            ConvGeometry g) {
        if (implementation != ConvImplementation.MOBILENET) {
            return runAlongAxes(x, kernels, bias, rank);
        }
        NDArray h = ConvOps.pointwiseConv(x, kernels.get(0), null);
        h = ConvOps.conv(h, kernels.get(1), null, stride, padding, dilation, rank);
        return ConvOps.pointwiseConv(h, kernels.get(2), bias);
    }

    @Override
    ConvCost pipelineCost(ConvImplementation implementation, ConvGeometry geometry) {
        return implementation == ConvImplementation.MOBILENET
                ? ConvCost.cpMobilenet(geometry, rank)
                : ConvCost.cpFactorized(geometry, rank);
    }

    @Override
    List<NDArray> insertMode(List<NDArray> values, int mode, int size) {
        List<NDArray> out = new ArrayList<>();
        for (NDArray v : values) {
            out.add(v.duplicate());
        }
        NDArray v0 = values.get(0);
        out.add(3 + mode, ConvConversion.oneHotRows(v0.getManager(), size, rank, v0.getDataType()));
        return out;
    }

    @Override
    void configureInserted(FactorizedConvBuilder<?> builder, int mode) {
        builder.setRank(Rank.of(rank));
    }

    @Override
    int insertedParameter(int mode) {
        return 3 + mode;
    }

    @Override
    ConvCost reconstructionCost() {
        long kernel = fullShape.size();
        return ConvCost.reconstruction(kernel * rank, numParameters(), kernel, order + 3);
    }
}
