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
import org.lowrank4j.decompose.TensorTrain;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;
import org.lowrank4j.tensor.TTTensor;

/**
 * A convolution whose kernel is a tensor train, stored in the layout {@code (C, k_1, …, k_N, O)}.
 *
 * <p>Parameters, in {@link TTTensor#getArrays()} order: {@code core_0} {@code (1, C, r_1)}, {@code
 * core_1} … {@code core_N} {@code (r_i, k_i, r_{i+1})}, {@code core_(N+1)} {@code (r_{N+1}, O, 1)};
 * then {@code bias}. {@link #getDecomposition()} returns the train in that layout. The factorized
 * forward pass is a 1×1 convolution {@code C → r_1}, one full 1-D convolution {@code r_i → r_{i+1}}
 * along each spatial dimension (with that dimension's stride, padding and dilation), and a 1×1
 * convolution {@code r_{N+1} → O}. Build it with {@link FactorizedConv#builder()}.
 */
public final class TTConv extends FactorizedConv<TTTensor> {

    private final int[] ranks;
    private final Shape trainShape;
    private final int[] kernelRanks;

    /**
     * Returns a builder of tensor-train convolutions, whose {@code build()} returns a {@code
     * TTConv}.
     *
     * @return the builder, its factorization set to TT
     */
    public static FactorizedConvBuilder<TTConv> builder() {
        return new FactorizedConvBuilder<>(Factorization.TT);
    }

    TTConv(FactorizedConvBuilder<?> builder, Rank request) {
        super(builder, Factorization.TT);
        int off = layers > 1 ? 1 : 0;
        long[] t = new long[order + 2 + off];
        if (off == 1) {
            t[0] = layers;
        }
        t[off] = inChannels;
        System.arraycopy(kernelShape.getShape(), 0, t, 1 + off, order);
        t[order + 1 + off] = outChannels;
        this.trainShape = new Shape(t);
        this.ranks = Ranks.realizableTt(trainShape, Ranks.tt(trainShape, request));
        if (off == 1) {
            kernelRanks = new int[ranks.length - 1];
            kernelRanks[0] = 1;
            System.arraycopy(ranks, 2, kernelRanks, 1, ranks.length - 2);
        } else {
            kernelRanks = ranks;
        }
        List<String> names = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (int k = 0; k < t.length; k++) {
            names.add("core_" + k);
            shapes.add(new Shape(ranks[k], trainShape.get(k), ranks[k + 1]));
        }
        addFactorParameters(names, shapes);
    }

    /** {@inheritDoc} */
    @Override
    public int[] getRank() {
        return ranks.clone();
    }

    @Override
    Shape tensorShape() {
        return trainShape;
    }

    @Override
    TTTensor wrap(List<NDArray> arrays) {
        return new TTTensor(arrays);
    }

    @Override
    TTTensor draw(NDManager manager, DataType type, double std, long seed) {
        return TTTensor.normal(manager, trainShape, ranks, std, seed, type);
    }

    private int[] toTrainAxes() {
        int[] axes = new int[order + 2];
        for (int k = 0; k < order + 1; k++) {
            axes[k] = k + 1;
        }
        axes[order + 1] = 0;
        return axes;
    }

    private int[] toKernelAxes() {
        int[] axes = new int[order + 2];
        axes[0] = order + 1;
        for (int k = 1; k < order + 2; k++) {
            axes[k] = k - 1;
        }
        return axes;
    }

    @Override
    List<NDArray> layerValues(List<NDArray> values, int layer) {
        // merge this layer's slice of the first core into the second
        NDArray slice = values.get(0).get(0).get(layer).reshape(1, ranks[1]);
        NDArray second = values.get(1);
        List<NDArray> out = new ArrayList<>();
        out.add(
                slice.matMul(second.reshape(ranks[1], -1))
                        .reshape(1, second.getShape().get(1), second.getShape().get(2)));
        out.addAll(values.subList(2, values.size()));
        return out;
    }

    @Override
    Decomposition<TTTensor> decompose(NDArray kernel, long seed) {
        int[] axes = toTrainAxes();
        if (layers > 1) {
            int[] shifted = new int[axes.length + 1];
            for (int k = 0; k < axes.length; k++) {
                shifted[k + 1] = axes[k] + 1;
            }
            axes = shifted;
        }
        try (NDArray train = kernel.transpose(axes)) {
            return TensorTrain.builder().setRank(Rank.of(ranks)).optSeed(seed).build().fit(train);
        }
    }

    @Override
    NDArray kernel(List<NDArray> values) {
        return wrap(values).toFull().transpose(toKernelAxes());
    }

    /** The first core's 1×1 kernel, one kernel per spatial axis, the last core's 1×1 kernel. */
    @Override
    NDList prepare(ConvImplementation implementation, List<NDArray> values, ConvGeometry g) {
        int[] ranks = kernelRanks;
        NDList kernels = new NDList();
        NDArray first = values.get(0).reshape(inChannels, ranks[1]).transpose();
        kernels.add(ConvOps.pointwiseKernel(first, order));
        for (int i = 0; i < order; i++) {
            // (r_i, k_i, r_{i+1}) -> (r_{i+1}, r_i, k_i)
            kernels.add(ConvOps.axisKernel(values.get(i + 1).transpose(2, 0, 1), i, order));
        }
        NDArray last = values.get(order + 1).reshape(ranks[order + 1], outChannels).transpose();
        kernels.add(ConvOps.pointwiseKernel(last, order));
        return kernels;
    }

    @Override
    List<StandardConvs.Stage> standardStages(List<NDArray> values) {
        NDList k = prepare(ConvImplementation.FACTORIZED, values, null);
        List<StandardConvs.Stage> stages = new ArrayList<>();
        stages.add(StandardConvs.Stage.pointwise(k.get(0)));
        for (int i = 0; i < order; i++) {
            stages.add(StandardConvs.Stage.along(k.get(1 + i), i));
        }
        stages.add(StandardConvs.Stage.pointwise(k.get(order + 1)));
        return stages;
    }

    @Override
    NDArray run(
            ConvImplementation implementation,
            NDArray x,
            NDList kernels,
            NDArray bias,
            ConvGeometry g) {
        return runAlongAxes(x, kernels, bias, 1);
    }

    @Override
    ConvCost pipelineCost(ConvImplementation implementation, ConvGeometry geometry) {
        return ConvCost.ttFactorized(geometry, kernelRanks);
    }

    @Override
    List<NDArray> insertMode(List<NDArray> values, int mode, int size) {
        int bond = ranks[mode + 1];
        NDArray v0 = values.get(0);
        // (r, size, r): the identity at the centre position, zero elsewhere
        double[] v = new double[bond * size * bond];
        for (int a = 0; a < bond; a++) {
            v[(a * size + size / 2) * bond + a] = 1;
        }
        NDArray core =
                org.lowrank4j.internal.HostArrays.create(
                        v0.getManager(), v, new Shape(bond, size, bond), v0.getDataType());
        List<NDArray> out = new ArrayList<>();
        for (NDArray c : values) {
            out.add(c.duplicate());
        }
        out.add(mode + 1, core);
        return out;
    }

    @Override
    void configureInserted(FactorizedConvBuilder<?> builder, int mode) {
        int[] r = new int[ranks.length + 1];
        for (int i = 0, j = 0; i < r.length; i++) {
            r[i] = i == mode + 2 ? ranks[mode + 1] : ranks[j++];
        }
        builder.setRank(Rank.of(r));
    }

    @Override
    int insertedParameter(int mode) {
        return mode + 1;
    }

    @Override
    ConvCost reconstructionCost() {
        long macs = 0;
        long left = 1;
        for (int k = 0; k < trainShape.dimension(); k++) {
            macs += left * ranks[k] * trainShape.get(k) * ranks[k + 1];
            left *= trainShape.get(k);
        }
        return ConvCost.reconstruction(macs, numParameters(), trainShape.size(), order + 3);
    }
}
