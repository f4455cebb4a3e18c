package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;

/**
 * Builds factorized convolutions from others: from a DJL convolution ({@link
 * FactorizedConv#fromConv}), from several at once ({@link FactorizedConv#fromConvList}), and from a
 * factorized convolution of one order less ({@link FactorizedConv#transduct}). The public methods
 * of {@link FactorizedConv} document the behaviour.
 */
final class ConvConversion {

    private ConvConversion() {}

    /** See {@link FactorizedConv#fromConv}. */
    static FactorizedConv<?> fromConv(
            Convolution conv,
            Rank rank,
            Factorization factorization,
            ConvImplementation implementation,
            boolean decomposeWeights) {
        if (!(conv instanceof Conv1d || conv instanceof Conv2d || conv instanceof Conv3d)) {
            throw new IllegalArgumentException(
                    (conv == null ? "null" : conv.getClass().getSimpleName())
                            + " is not accepted; Conv1d, Conv2d or Conv3d is");
        }
        if (conv.getGroups() != 1) {
            throw new IllegalArgumentException(
                    "grouped convolution (groups="
                            + conv.getGroups()
                            + ") is not accepted; only groups=1 convolutions can be factorized");
        }
        Parameter weight = conv.getParameters().get("weight");
        if (weight.getShape() == null) {
            throw new IllegalStateException(
                    "the convolution's weight shape is unknown; initialize the convolution first");
        }
        Shape w = weight.getShape();
        FactorizedConv<?> block =
                FactorizedConv.builder()
                        .setInChannels(Math.toIntExact(w.get(1)))
                        .setOutChannels(Math.toIntExact(w.get(0)))
                        .setKernelShape(conv.getKernelShape())
                        .setFactorization(factorization)
                        .setRank(rank)
                        .optImplementation(implementation)
                        .optStride(conv.getStride())
                        .optPadding(conv.getPadding())
                        .optDilation(conv.getDilation())
                        .optBias(conv.isIncludeBias())
                        .build();
        if (decomposeWeights) {
            if (!weight.isInitialized()) {
                throw new IllegalStateException(
                        "the convolution's weight is not initialised; initialize it before"
                                + " decomposing");
            }
            NDArray b = conv.isIncludeBias() ? conv.getParameters().get("bias").getArray() : null;
            block.initFromTensor(weight.getArray(), b);
            block.takeInputShapes(conv);
        }
        return block;
    }

    /** See {@link FactorizedConv#fromConvList}. */
    static FactorizedConv<?> fromConvList(
            List<? extends Convolution> convs,
            Rank rank,
            Factorization factorization,
            ConvImplementation implementation,
            boolean decomposeWeights) {
        if (convs == null || convs.isEmpty()) {
            throw new IllegalArgumentException(
                    "fromConvList needs at least one convolution, got none");
        }
        Convolution first = convs.get(0);
        FactorizedConv<?> template = fromConv(first, rank, factorization, implementation, false);
        Shape weightShape = first.getParameters().get("weight").getShape();
        for (int i = 1; i < convs.size(); i++) {
            Convolution c = convs.get(i);
            Parameter w = c == null ? null : c.getParameters().get("weight");
            if (c == null
                    || c.getClass() != first.getClass()
                    || c.getGroups() != 1
                    || w.getShape() == null
                    || !w.getShape().equals(weightShape)
                    || !c.getStride().equals(first.getStride())
                    || !c.getPadding().equals(first.getPadding())
                    || !c.getDilation().equals(first.getDilation())
                    || c.isIncludeBias() != first.isIncludeBias()) {
                throw new IllegalArgumentException(
                        "convolution "
                                + i
                                + " ("
                                + (c == null ? "null" : describe(c))
                                + ") is not accepted; all must match convolution 0 ("
                                + describe(first)
                                + ")");
            }
        }
        FactorizedConv<?> block =
                FactorizedConv.builder()
                        .setInChannels(template.inChannels)
                        .setOutChannels(template.outChannels)
                        .setKernelShape(template.kernelShape)
                        .setFactorization(factorization)
                        .setRank(rank)
                        .optImplementation(implementation)
                        .optStride(template.stride)
                        .optPadding(template.padding)
                        .optDilation(template.dilation)
                        .optBias(template.includeBias)
                        .optLayers(convs.size())
                        .build();
        if (decomposeWeights) {
            NDList kernels = new NDList();
            NDList biases = new NDList();
            for (Convolution c : convs) {
                Parameter w = c.getParameters().get("weight");
                if (!w.isInitialized()) {
                    throw new IllegalStateException(
                            "a convolution's weight is not initialised; initialize it before"
                                    + " decomposing");
                }
                kernels.add(w.getArray());
                if (c.isIncludeBias()) {
                    biases.add(c.getParameters().get("bias").getArray());
                }
            }
            try (NDArray stacked = NDArrays.stack(kernels);
                    NDArray bias = biases.isEmpty() ? null : NDArrays.stack(biases)) {
                block.initFromTensor(stacked, bias);
            }
            block.takeInputShapes(convs.get(0));
        }
        return block;
    }

    /** See {@link FactorizedConv#transduct}; {@code source} is unchanged. */
    static <T extends FactorizedTensor> FactorizedConv<T> transduct(
            FactorizedConv<T> source,
            int kernelSize,
            int mode,
            int padding,
            int stride,
            int dilation,
            boolean freezeExisting) {
        if (source.layers > 1) {
            throw new IllegalArgumentException(
                    "transduct of a convolution of "
                            + source.layers
                            + " source.layers is not accepted; only one-layer convolutions can gain a"
                            + " dimension");
        }
        if (source.order >= 3) {
            throw new IllegalArgumentException(
                    "transduct of an source.order-"
                            + source.order
                            + " convolution is not accepted; orders 1 and 2 can gain a dimension"
                            + " (3 is the largest)");
        }
        if (mode < 0 || mode > source.order) {
            throw new IllegalArgumentException(
                    "mode "
                            + mode
                            + " is not accepted; a new dimension goes at 0.."
                            + source.order);
        }
        if (kernelSize < 1 || padding < 0 || stride < 1 || dilation < 1) {
            throw new IllegalArgumentException(
                    "kernelSize "
                            + kernelSize
                            + ", padding "
                            + padding
                            + ", stride "
                            + stride
                            + ", dilation "
                            + dilation
                            + " are not accepted; kernelSize >= 1, padding >= 0, stride >= 1 and"
                            + " dilation >= 1 are");
        }
        List<NDArray> values = new ArrayList<>();
        for (Parameter p : source.factorParameters()) {
            if (!p.isInitialized()) {
                throw FactorParameters.notInitialized();
            }
            values.add(p.getArray());
        }
        FactorizedConvBuilder<?> b =
                FactorizedConv.builder()
                        .setInChannels(source.inChannels)
                        .setOutChannels(source.outChannels)
                        .setKernelShape(insert(source.kernelShape, mode, kernelSize))
                        .setFactorization(source.getFactorization())
                        .optImplementation(source.getImplementation())
                        .optStride(insert(source.stride, mode, stride))
                        .optPadding(insert(source.padding, mode, padding))
                        .optDilation(insert(source.dilation, mode, dilation))
                        .optBias(source.includeBias)
                        .optSeed(source.seed());
        if (source.configuredCostModel() != null) {
            b.optCostModel(source.configuredCostModel());
        }
        source.configureInserted(b, mode);
        @SuppressWarnings("unchecked")
        FactorizedConv<T> next = (FactorizedConv<T>) b.build();
        NDManager manager = values.get(0).getManager();
        try (NDManager scope = manager.newSubManager()) {
            List<NDArray> inserted;
            try (Workspace ws = Workspace.of(scope)) {
                List<NDArray> adopted = new ArrayList<>();
                for (NDArray v : values) {
                    adopted.add(ws.adopt(v));
                }
                inserted = new ArrayList<>();
                for (NDArray a : source.insertMode(adopted, mode, kernelSize)) {
                    inserted.add(ws.keep(a));
                }
            }
            NDArray b0 = source.includeBias ? source.biasParameter().getArray() : null;
            // the values land in this block's manager, like its own parameters
            List<NDArray> owned = new ArrayList<>();
            for (NDArray a : inserted) {
                NDArray copy = a.duplicate();
                copy.attach(manager);
                owned.add(copy);
            }
            next.initFromDecomposition(next.wrap(owned), b0);
        }
        if (freezeExisting) {
            int fresh = next.insertedParameter(mode);
            for (int i = 0; i < next.factorParameters().size(); i++) {
                if (i != fresh) {
                    next.factorParameters().get(i).freeze(true);
                }
            }
            if (next.biasParameter() != null) {
                next.biasParameter().freeze(true);
            }
        }
        return next;
    }

    private static String describe(Convolution c) {
        return c.getClass().getSimpleName()
                + " weight "
                + c.getParameters().get("weight").getShape()
                + ", stride "
                + c.getStride()
                + ", padding "
                + c.getPadding()
                + ", dilation "
                + c.getDilation()
                + ", groups "
                + c.getGroups()
                + ", bias "
                + c.isIncludeBias();
    }

    private static Shape insert(Shape shape, int mode, long value) {
        long[] v = new long[shape.dimension() + 1];
        for (int i = 0, j = 0; i < v.length; i++) {
            v[i] = i == mode ? value : shape.get(j++);
        }
        return new Shape(v);
    }

    /** A {@code (size, columns)} matrix with ones in row {@code size / 2}. */
    static NDArray oneHotRows(NDManager manager, int size, long columns, DataType type) {
        double[] v = new double[Math.toIntExact(size * columns)];
        for (int c = 0; c < columns; c++) {
            v[(size / 2) * (int) columns + c] = 1;
        }
        return HostArrays.create(manager, v, new Shape(size, columns), type);
    }
}
