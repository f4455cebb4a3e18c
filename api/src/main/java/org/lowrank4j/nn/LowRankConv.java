package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.cost.DescribedBlock;
import org.lowrank4j.fit.InputStatistics;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.linalg.Svd;
import org.lowrank4j.linalg.TruncatedSvd;

/**
 * A 2-D convolution factorized into two: a {@code kh×kw} convolution from {@code C} to {@code rank}
 * channels with the original stride, padding and dilation and no bias, then a 1×1 convolution from
 * {@code rank} to {@code filters} channels with a bias.
 *
 * <p>It costs {@code rank · (C·kh·kw + filters)} multiplications per output pixel instead of {@code
 * filters · C·kh·kw}. Build it from a trained {@link Conv2d} with {@link #fromConv(Conv2d, NDArray,
 * int)}: with calibration inputs the factors minimise the output error on them (see {@link
 * LowRankFit}); without, they are the truncated SVD of the kernel. {@link #setRank(NDArray, int)}
 * lowers the rank later. The block can also be built untrained with {@link #builder()}.
 *
 * <p>Parameters: {@code first_weight (rank, C, kh, kw)}, {@code second_weight (filters, rank, 1,
 * 1)}, {@code bias (filters)}. The input is {@code (N, C, H, W)}.
 */
public class LowRankConv extends AbstractBlock implements CostAware, DescribedBlock {

    private static final byte VERSION = 2;

    private Shape kernelShape;
    private Shape stride;
    private Shape padding;
    private Shape dilation;
    private long filters;
    private int rank;
    private long channels = -1;
    private Parameter first;
    private Parameter second;
    private Parameter bias;

    LowRankConv(Builder builder) {
        super(VERSION);
        kernelShape = builder.kernelShape;
        stride = builder.stride;
        padding = builder.padding;
        dilation = builder.dilation;
        filters = builder.filters;
        rank = builder.rank;
        Parameter[] created = TwoFactorParameters.create(this::addParameter);
        first = created[0];
        second = created[1];
        bias = created[2];
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Factorizes a trained 2-D convolution, keeping its stride, padding and dilation.
     *
     * <p>With calibration inputs the factors and the bias minimise the output error on them (the
     * closed-form optimum of {@link LowRankFit#factorizeConv2d}); without, the factors are the
     * truncated SVD of the kernel reshaped to {@code (filters, C·kh·kw)}, split evenly, and the
     * bias is kept. A convolution without a bias gets a zero one (refitted when calibration inputs
     * are given). The new arrays live in the manager of the convolution's weight.
     *
     * @param conv an initialised convolution with {@code groups == 1}
     * @param input calibration inputs {@code (N, C, H, W)}, or {@code null}
     * @param rank the rank, {@code 1 <= rank <= min(C·kh·kw, filters)}
     * @return the factorized block
     * @throws IllegalArgumentException if the convolution is grouped, the rank is out of range or
     *     the inputs do not match
     */
    public static LowRankConv fromConv(Conv2d conv, NDArray input, int rank) {
        Objects.requireNonNull(conv, "conv must not be null");
        if (conv.getGroups() != 1) {
            throw new IllegalArgumentException(
                    "a convolution with groups "
                            + conv.getGroups()
                            + " cannot be factorized; only groups 1 is accepted");
        }
        Parameter w = conv.getParameters().get("weight");
        if (w == null || !w.isInitialized()) {
            throw new IllegalArgumentException(
                    "the convolution has no initialised weight; an initialised one is accepted");
        }
        NDArray weight = w.getArray(); // (filters, C, kh, kw)
        Shape ws0 = weight.getShape();
        long filters = ws0.get(0);
        long channels = ws0.get(1);
        checkRank(rank, channels * ws0.get(2) * ws0.get(3), filters);
        Parameter b = conv.getParameters().get("bias");
        NDArray oldBias = b == null || !b.isInitialized() ? null : b.getArray();
        Checks.finiteFloat(weight, "weight of the convolution");
        if (oldBias != null) {
            Checks.finiteFloat(oldBias, "bias of the convolution");
        }
        LowRankConv block =
                builder()
                        .setKernelShape(new Shape(ws0.get(2), ws0.get(3)))
                        .setFilters(filters)
                        .setRank(rank)
                        .optStride(conv.getStride())
                        .optPadding(conv.getPadding())
                        .optDilation(conv.getDilation())
                        .build();
        block.channels = channels;
        try (Workspace ws = Workspace.of(weight)) {
            NDArray biasArray =
                    oldBias == null
                            ? ws.manager().zeros(new Shape(filters), weight.getDataType())
                            : ws.adopt(oldBias);
            LowRankSolution s = block.solve(ws, input, ws.adopt(weight), null, biasArray, rank);
            block.install(ws, s);
        }
        SourceLayer.initialize(
                block,
                weight,
                SourceLayer.inputShapes(
                        conv,
                        ConvGeometry.smallestInput(channels, block.kernelShape, block.dilation)));
        return block;
    }

    /**
     * Computes the factorization of the current layer at another rank without changing the block.
     *
     * @param input calibration inputs {@code (N, C, H, W)}, or {@code null} for the truncated SVD
     *     of the current kernel product
     * @param newRank the rank, {@code 1 <= newRank <= min(C·kh·kw, filters)}
     * @return the solution: {@code Wa (newRank, C, kh, kw)}, {@code Wb (filters, newRank, 1, 1)},
     *     bias {@code (filters)}, in the manager of the current weights
     * @throws IllegalStateException if the block has no weights yet
     * @throws IllegalArgumentException if the rank is out of range or the inputs do not match
     */
    public LowRankSolution solutionForRank(NDArray input, int newRank) {
        TwoFactorParameters.requireWeights("fromConv", first, second, bias);
        checkRank(newRank, fanIn(), filters);
        NDArray w1 = first.getArray();
        try (Workspace ws = Workspace.of(w1)) {
            LowRankSolution s =
                    solve(
                            ws,
                            input,
                            ws.adopt(w1),
                            ws.adopt(second.getArray()),
                            ws.adopt(bias.getArray()),
                            newRank);
            ws.keep(s.getWa());
            ws.keep(s.getWb());
            ws.keep(s.getBias());
            return s;
        }
    }

    /**
     * Lowers the rank, refitting the factors to calibration inputs (or to the current weights when
     * {@code input} is {@code null}). A {@link ai.djl.training.Trainer} made before must be made
     * anew.
     *
     * @param input calibration inputs {@code (N, C, H, W)}, or {@code null}
     * @param newRank the new rank, {@code 1 <= newRank <= getRank()}
     * @throws IllegalArgumentException if the rank is above the current one or below 1; the block
     *     is then unchanged
     * @throws IllegalStateException if the block has no weights yet
     */
    public void setRank(NDArray input, int newRank) {
        TwoFactorParameters.requireWeights("fromConv", first, second, bias);
        if (newRank < 1 || newRank > rank) {
            throw new IllegalArgumentException(
                    "rank "
                            + newRank
                            + " is not accepted; setRank only lowers the rank, to 1.."
                            + rank);
        }
        try (Workspace ws = Workspace.of(first.getArray())) {
            LowRankSolution s = solutionForRank(input, newRank);
            s.getWa().attach(ws.manager());
            s.getWb().attach(ws.manager());
            s.getBias().attach(ws.manager());
            NDArray oldFirst = first.getArray();
            NDArray oldSecond = second.getArray();
            NDArray oldBias = bias.getArray();
            install(ws, s);
            oldFirst.close();
            oldSecond.close();
            oldBias.close();
        }
    }

    /**
     * Returns the largest rank at which this layer is cheaper than the dense convolution.
     *
     * @return the rank, 0 if none is
     * @throws IllegalStateException if the number of input channels is not known yet
     */
    public int maxRankWithSpeedup() {
        if (channels < 0) {
            throw new IllegalStateException(
                    "the input channels are not known before the block is initialised");
        }
        return LowRankFit.maxRankWithSpeedup(fanIn(), filters);
    }

    /**
     * Returns the rank.
     *
     * @return the number of channels between the two convolutions
     */
    public int getRank() {
        return rank;
    }

    /**
     * Returns the number of output channels.
     *
     * @return the filters
     */
    public long getFilters() {
        return filters;
    }

    /**
     * Returns the kernel shape {@code (kh, kw)} of the first convolution.
     *
     * @return the kernel shape
     */
    public Shape getKernelShape() {
        return kernelShape;
    }

    /**
     * Returns the stride of the first convolution.
     *
     * @return the stride
     */
    public Shape getStride() {
        return stride;
    }

    /**
     * Returns the zero padding of the first convolution.
     *
     * @return the padding
     */
    public Shape getPadding() {
        return padding;
    }

    /**
     * Returns the dilation of the first convolution.
     *
     * @return the dilation
     */
    public Shape getDilation() {
        return dilation;
    }

    /**
     * Builds the block from a factorization computed elsewhere, for example by {@link
     * LowRankFit#fitConv2d(InputStatistics, NDArray, NDArray, int)} from calibration statistics.
     * The parameters are copies in the manager of the solution's first kernel; the solution stays
     * the caller's.
     *
     * @param solution a factorized solution: {@code Wa (rank, C, kh, kw)}, {@code Wb (filters,
     *     rank, 1, 1)} and a bias {@code (filters)}
     * @param stride the stride of the first convolution, two values at least 1
     * @param padding the zero padding of the first convolution, two values at least 0
     * @param dilation the dilation of the first convolution, two values at least 1
     * @return the block
     * @throws IllegalArgumentException if the solution is not factorized, has no bias or its
     *     kernels do not have these shapes
     */
    public static LowRankConv fromSolution(
            LowRankSolution solution, Shape stride, Shape padding, Shape dilation) {
        if (!solution.isFactorized() || solution.getBias() == null) {
            throw new IllegalArgumentException(
                    "solution "
                            + solution
                            + " is not accepted; a factorized solution with a bias is");
        }
        Shape a = solution.getWa().getShape();
        Shape b = solution.getWb().getShape();
        if (a.dimension() != 4
                || b.dimension() != 4
                || b.get(1) != a.get(0)
                || b.get(2) != 1
                || b.get(3) != 1) {
            throw new IllegalArgumentException(
                    "kernels of shapes "
                            + a
                            + " and "
                            + b
                            + " are not accepted; (rank, C, kh, kw) and (filters, rank, 1, 1) are");
        }
        LowRankConv block =
                builder()
                        .setKernelShape(new Shape(a.get(2), a.get(3)))
                        .setFilters(b.get(0))
                        .setRank(solution.getRank())
                        .optStride(stride)
                        .optPadding(padding)
                        .optDilation(dilation)
                        .build();
        block.channels = a.get(1);
        checkFinite(solution);
        try (Workspace ws = Workspace.of(solution.getWa())) {
            ws.adopt(solution.getWa());
            ws.adopt(solution.getWb());
            ws.adopt(solution.getBias());
            block.install(ws, solution);
        }
        SourceLayer.initialize(
                block,
                solution.getWa(),
                ConvGeometry.smallestInput(block.channels, block.kernelShape, block.dilation));
        return block;
    }

    static void checkFinite(LowRankSolution solution) {
        Checks.finiteFloat(solution.getWa(), "first factor of the solution");
        Checks.finiteFloat(solution.getWb(), "second factor of the solution");
        Checks.finiteFloat(solution.getBias(), "bias of the solution");
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        ForwardChecks.check("LowRankConv", Arrays.asList(first, second, bias), x);
        checkInput(x.getShape());
        NDArray w1 = parameterStore.getValue(first, x.getDevice(), training);
        NDArray w2 = parameterStore.getValue(second, x.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, x.getDevice(), training);
        NDArray hidden =
                Conv2d.conv2d(x, w1, null, stride, padding, dilation, 1).singletonOrThrow();
        NDList out = Conv2d.conv2d(hidden, w2, b);
        hidden.close();
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes.length == 0 ? null : inputShapes[0];
        checkInput(in);
        long[] out = new long[] {in.get(0), filters, 0, 0};
        for (int i = 0; i < 2; i++) {
            long span = dilation.get(i) * (kernelShape.get(i) - 1) + 1;
            out[2 + i] = (in.get(2 + i) + 2 * padding.get(i) - span) / stride.get(i) + 1;
        }
        return new Shape[] {new Shape(out)};
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LowRankConv(filters="
                + getFilters()
                + ", kernel="
                + getKernelShape()
                + ", stride="
                + getStride()
                + ", padding="
                + getPadding()
                + ", dilation="
                + getDilation()
                + ", rank="
                + getRank()
                + ")";
    }

    /**
     * {@inheritDoc}
     *
     * <p>Both factors and the bias: {@code r·C·k + O·r + O} parameters, as many
     * multiply-accumulates per output position.
     */
    @Override
    public BlockCost cost(Shape... inputShapes) {
        long fanIn = inputShapes[0].get(1) * getKernelShape().size();
        long filters = getFilters();
        long positions = getOutputShapes(inputShapes)[0].size() / filters;
        long params = getRank() * fanIn + filters * getRank() + filters;
        return BlockCost.of(params, positions * params);
    }

    /** {@inheritDoc} */
    @Override
    public void describeConfiguration(StringBuilder b, Shape[] inputShapes) {
        b.append("kernel=").append(getKernelShape());
        b.append(",stride=").append(getStride());
        b.append(",padding=").append(getPadding());
        b.append(",dilation=").append(getDilation()).append(',');
    }

    /** {@inheritDoc} */
    @Override
    protected void beforeInitialize(Shape... inputShapes) {
        checkInput(inputShapes.length == 0 ? null : inputShapes[0]);
        super.beforeInitialize(inputShapes);
        channels = inputShapes[0].get(1);
    }

    private void checkInput(Shape in) {
        if (in == null
                || in.dimension() != 4
                || in.get(1) < 1
                || (channels >= 0 && in.get(1) != channels)) {
            throw new IllegalArgumentException(
                    "input of shape "
                            + in
                            + " is not accepted; LowRankConv takes (N, "
                            + (channels >= 0 ? String.valueOf(channels) : "C")
                            + ", H, W)");
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        if (!first.isInitialized()) {
            first.setShape(new Shape(rank, channels, kernelShape.get(0), kernelShape.get(1)));
        }
        if (!second.isInitialized()) {
            second.setShape(new Shape(filters, rank, 1, 1));
        }
        if (!bias.isInitialized()) {
            bias.setShape(new Shape(filters));
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        BlockMetadata.write(os, inputShapes, configuration());
        os.writeLong(channels);
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        Shape[] shapes =
                BlockMetadata.read("LowRankConv", loadVersion, VERSION, is, configuration());
        long saved = is.readLong();
        if (saved < 1 || (channels >= 0 && saved != channels)) {
            throw new MalformedModelException(
                    "the saved LowRankConv has "
                            + saved
                            + " input channels; this block "
                            + (channels >= 0 ? "takes " + channels : "takes at least 1"));
        }
        channels = saved;
        if (inputShapes == null) {
            inputShapes = shapes;
        }
    }

    /** The line that the saved metadata must repeat (the input channels are checked apart). */
    private String configuration() {
        return "LowRankConv(filters="
                + filters
                + ", kernel="
                + kernelShape
                + ", stride="
                + stride
                + ", padding="
                + padding
                + ", dilation="
                + dilation
                + ", rank="
                + rank
                + ")";
    }

    // ------------------------------------------------------------------------------------------

    private long fanIn() {
        return channels * kernelShape.get(0) * kernelShape.get(1);
    }

    private LowRankSolution solve(
            Workspace ws, NDArray input, NDArray wa, NDArray wb, NDArray b, int r) {
        long d = fanIn();
        if (input == null) {
            long r0 = wa.getShape().get(0);
            NDArray product = wa.reshape(r0, d); // (r0, D)
            if (wb != null) {
                product = wb.reshape(filters, r0).matMul(product); // (filters, D)
            }
            Svd svd = TruncatedSvd.leading(product, r);
            NDArray root = svd.getS().sqrt();
            NDArray a =
                    svd.getVt()
                            .mul(root.reshape(r, 1))
                            .reshape(r, channels, kernelShape.get(0), kernelShape.get(1));
            NDArray bb = svd.getU().mul(root.reshape(1, r)).reshape(filters, r, 1, 1);
            return LowRankSolution.factorized(a, bb, b.duplicate(), r, Double.NaN);
        }
        Shape in = input.getShape();
        if (in.dimension() != 4 || in.get(1) != channels) {
            throw new IllegalArgumentException(
                    "calibration input of shape "
                            + in
                            + " is not accepted; (N, "
                            + channels
                            + ", H, W) is");
        }
        LowRankFit fit = LowRankFit.builder().optRequireSpeedup(false).build();
        if (wb == null) {
            return fit.fitConv2d(
                    ws.adopt(input), wa, null, b, null, r, stride, padding, dilation, 1);
        }
        return fit.fitConv2d(ws.adopt(input), wa, wb, null, b, r, stride, padding, dilation, 1);
    }

    /** Puts a solution's kernels into the parameters, in the workspace's target. */
    private void install(Workspace ws, LowRankSolution s) {
        DataType type = s.getWa().getDataType();
        first = TwoFactorParameters.replace(parameters, first, s.getWa(), type);
        second = TwoFactorParameters.replace(parameters, second, s.getWb(), type);
        bias = TwoFactorParameters.replace(parameters, bias, s.getBias(), type);
        ws.keep(first.getArray());
        ws.keep(second.getArray());
        ws.keep(bias.getArray());
        rank = s.getRank();
    }

    private static void checkRank(int rank, long fanIn, long filters) {
        long max = Math.min(fanIn, filters);
        if (rank < 1 || rank > max) {
            throw new IllegalArgumentException(
                    "rank "
                            + rank
                            + " is not accepted for a kernel with fan-in "
                            + fanIn
                            + " and "
                            + filters
                            + " filters; accepted are 1.."
                            + max);
        }
    }

    /** Builds a {@link LowRankConv}. */
    public static final class Builder {

        private Shape kernelShape;
        private Shape stride = new Shape(1, 1);
        private Shape padding = new Shape(0, 0);
        private Shape dilation = new Shape(1, 1);
        private long filters;
        private int rank;

        Builder() {}

        /**
         * Sets the kernel shape {@code (kh, kw)} (required).
         *
         * @param kernelShape two values at least 1
         * @return this builder
         */
        public Builder setKernelShape(Shape kernelShape) {
            this.kernelShape = kernelShape;
            return this;
        }

        /**
         * Sets the number of output channels (required).
         *
         * @param filters at least 1
         * @return this builder
         */
        public Builder setFilters(long filters) {
            this.filters = filters;
            return this;
        }

        /**
         * Sets the rank (required).
         *
         * @param rank at least 1
         * @return this builder
         */
        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets the stride of the first convolution (default {@code (1, 1)}).
         *
         * @param stride two values at least 1
         * @return this builder
         */
        public Builder optStride(Shape stride) {
            this.stride = stride;
            return this;
        }

        /**
         * Sets the zero padding of the first convolution (default {@code (0, 0)}).
         *
         * @param padding two values at least 0
         * @return this builder
         */
        public Builder optPadding(Shape padding) {
            this.padding = padding;
            return this;
        }

        /**
         * Sets the dilation of the first convolution (default {@code (1, 1)}).
         *
         * @param dilation two values at least 1
         * @return this builder
         */
        public Builder optDilation(Shape dilation) {
            this.dilation = dilation;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException if a required value is missing or a value is out of
         *     range
         */
        public LowRankConv build() {
            check(kernelShape, "kernel shape", 1);
            check(stride, "stride", 1);
            check(padding, "padding", 0);
            check(dilation, "dilation", 1);
            if (filters < 1) {
                throw new IllegalArgumentException(
                        "filters " + filters + " is not accepted; set it to a value >= 1");
            }
            if (rank < 1) {
                throw new IllegalArgumentException(
                        "rank " + rank + " is not accepted; set it to a value >= 1");
            }
            return new LowRankConv(this);
        }

        private static void check(Shape s, String name, long min) {
            if (s == null || s.dimension() != 2) {
                throw new IllegalArgumentException(
                        name + " " + s + " is not accepted; two values (height, width) are");
            }
            for (long v : s.getShape()) {
                if (v < min) {
                    throw new IllegalArgumentException(
                            name + " " + s + " is not accepted; every value must be >= " + min);
                }
            }
        }
    }
}
