package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;

/**
 * Second-order statistics of the inputs a layer sees, accumulated batch by batch: {@code Σ xᵀx},
 * {@code Σ x} and the number of rows, in double precision on the engine.
 *
 * <p>For a linear layer a row is one input vector; for a 2-D convolution it is one patch of the
 * input that a kernel position sees (with the layer's stride, padding and dilation), extracted in
 * chunks so that the im2col matrix is never built whole. Memory stays bounded by {@code D²} for
 * {@code D} features ({@code C·kh·kw} for a convolution), however many batches are added. {@link
 * LowRankFit#fitMatrix(InputStatistics, NDArray, NDArray, int)} and {@link
 * LowRankFit#fitConv2d(InputStatistics, NDArray, NDArray, int)} fit a layer from them.
 *
 * <pre>{@code
 * try (InputStatistics stats = InputStatistics.forMatrix(manager, 64)) {
 *     for (NDArray batch : batches) {
 *         stats.add(batch);
 *     }
 *     LowRankSolution s = LowRankFit.builder().build().fitMatrix(stats, w, b, 16);
 * }
 * }</pre>
 */
public final class InputStatistics implements AutoCloseable {

    private static final long CHUNK = 1L << 22;

    private final NDManager manager;
    private final GramStats stats;
    private final long features;
    private final long channels;
    private final Shape kernelShape;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation;
    private NDArray patchKernel;

    private InputStatistics(
            NDManager parent,
            long features,
            long channels,
            Shape kernelShape,
            Shape stride,
            Shape padding,
            Shape dilation) {
        this.manager = parent.newSubManager();
        this.stats = new GramStats(manager, false);
        this.features = features;
        this.channels = channels;
        this.kernelShape = kernelShape;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
    }

    /**
     * Returns empty statistics of the inputs of a linear layer.
     *
     * @param manager the parent of the manager that holds the statistics
     * @param features the number of input features {@code D}, at least 1
     * @return the statistics
     * @throws IllegalArgumentException if {@code features} is below 1
     */
    public static InputStatistics forMatrix(NDManager manager, long features) {
        if (features < 1) {
            throw new IllegalArgumentException(
                    "features " + features + " is not accepted; it must be >= 1");
        }
        return new InputStatistics(manager, features, -1, null, null, null, null);
    }

    /**
     * Returns empty statistics of the input patches of a 2-D convolution.
     *
     * @param manager the parent of the manager that holds the statistics
     * @param channels the number of input channels {@code C}, at least 1
     * @param kernelShape the kernel shape {@code (kh, kw)}
     * @param stride the stride, two values at least 1
     * @param padding the zero padding, two values at least 0
     * @param dilation the dilation, two values at least 1
     * @return the statistics
     * @throws IllegalArgumentException if a setting is out of range
     */
    public static InputStatistics forConv2d(
            NDManager manager,
            long channels,
            Shape kernelShape,
            Shape stride,
            Shape padding,
            Shape dilation) {
        if (channels < 1) {
            throw new IllegalArgumentException(
                    "channels " + channels + " is not accepted; it must be >= 1");
        }
        FitChecks.checkSetting(kernelShape, "kernel shape", 1);
        FitChecks.checkSetting(stride, "stride", 1);
        FitChecks.checkSetting(padding, "padding", 0);
        FitChecks.checkSetting(dilation, "dilation", 1);
        return new InputStatistics(
                manager,
                channels * kernelShape.get(0) * kernelShape.get(1),
                channels,
                kernelShape,
                stride,
                padding,
                dilation);
    }

    /**
     * Adds a batch of inputs. The batch is left unchanged.
     *
     * @param input {@code (..., D)} for a linear layer, {@code (N, C, H, W)} for a convolution
     * @throws IllegalArgumentException if the shape does not match or the values are not finite
     */
    public void add(NDArray input) {
        Checks.floatType(input, "calibration input");
        Shape s = input.getShape();
        if (!isConv2d()) {
            if (s.dimension() < 1 || s.get(s.dimension() - 1) != features) {
                throw new IllegalArgumentException(
                        "calibration input of shape "
                                + s
                                + " does not match the layer's "
                                + features
                                + " input features; inputs (..., "
                                + features
                                + ") are accepted");
            }
            try (Workspace ws = Workspace.of(manager)) {
                NDArray x = ws.adopt(input).reshape(-1, features);
                Checks.finiteFloat(x, "calibration input");
                long n = x.getShape().get(0);
                long rowsPerChunk = Math.max(1, CHUNK / features);
                for (long start = 0; start < n; start += rowsPerChunk) {
                    long end = Math.min(n, start + rowsPerChunk);
                    NDArray chunk = x.get(new NDIndex("{}:{}", start, end));
                    stats.add(GramStats.f64(chunk), null);
                }
            }
            return;
        }
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException(
                    "calibration input of shape "
                            + s
                            + " is not accepted; (N, "
                            + channels
                            + ", H, W) is");
        }
        long ho = outSize(s.get(2), 0);
        long wo = outSize(s.get(3), 1);
        if (ho < 1 || wo < 1) {
            throw new IllegalArgumentException(
                    "calibration input of shape "
                            + s
                            + " is too small for a "
                            + kernelShape
                            + " kernel with padding "
                            + padding
                            + " and dilation "
                            + dilation);
        }
        try (Workspace ws = Workspace.of(manager)) {
            NDArray x = ws.adopt(input);
            Checks.finiteFloat(x, "calibration input");
            if (patchKernel == null || patchKernel.getDataType() != x.getDataType()) {
                if (patchKernel != null) {
                    patchKernel.close();
                }
                patchKernel =
                        ws.keep(
                                Patches.kernel(
                                        manager,
                                        (int) channels,
                                        (int) kernelShape.get(0),
                                        (int) kernelShape.get(1),
                                        x.getDataType()));
            }
            Patches.accumulate(stats, x, patchKernel, stride, padding, dilation, ho * wo, CHUNK);
        }
    }

    /**
     * Returns the number of rows (input vectors or patches) accumulated.
     *
     * @return the number of rows
     */
    public long getRows() {
        return stats.rows();
    }

    /**
     * Returns the number of features {@code D} of a row.
     *
     * @return {@code D}
     */
    public long getFeatures() {
        return features;
    }

    /**
     * Returns whether these are statistics of convolution patches.
     *
     * @return whether they were made by {@link #forConv2d}
     */
    public boolean isConv2d() {
        return kernelShape != null;
    }

    /**
     * Returns the number of input channels of the convolution.
     *
     * @return the channels, -1 for a linear layer
     */
    public long getChannels() {
        return channels;
    }

    /**
     * Returns the kernel shape of the convolution.
     *
     * @return the kernel shape, {@code null} for a linear layer
     */
    public Shape getKernelShape() {
        return kernelShape;
    }

    /**
     * Returns the stride of the convolution.
     *
     * @return the stride, {@code null} for a linear layer
     */
    public Shape getStride() {
        return stride;
    }

    /**
     * Returns the padding of the convolution.
     *
     * @return the padding, {@code null} for a linear layer
     */
    public Shape getPadding() {
        return padding;
    }

    /**
     * Returns the dilation of the convolution.
     *
     * @return the dilation, {@code null} for a linear layer
     */
    public Shape getDilation() {
        return dilation;
    }

    GramStats gram() {
        if (stats.rows() == 0) {
            throw new IllegalStateException(
                    "no calibration input was added; add at least one batch before fitting");
        }
        return stats;
    }

    /** Frees the statistics. */
    @Override
    public void close() {
        manager.close();
    }

    private long outSize(long in, int axis) {
        return Patches.outSize(
                in, kernelShape.get(axis), stride.get(axis), padding.get(axis), dilation.get(axis));
    }
}
