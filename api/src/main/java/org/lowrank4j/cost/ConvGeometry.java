package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One convolution applied to one input shape: channels, kernel, stride, padding, dilation and the
 * input's batch and spatial sizes.
 *
 * <p>Output sizes follow DJL and PyTorch: {@code (S + 2p − d(k − 1) − 1) / s + 1}, rounded down.
 */
public final class ConvGeometry {

    private final long inChannels;
    private final long outChannels;
    private final long[] kernel;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long batch;
    private final long[] input;
    private final long[] output;

    private ConvGeometry(
            long inChannels,
            long outChannels,
            long[] kernel,
            long[] stride,
            long[] padding,
            long[] dilation,
            long batch,
            long[] input) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.batch = batch;
        this.input = input;
        this.output = new long[input.length];
        for (int i = 0; i < input.length; i++) {
            output[i] = outputSize(input[i], kernel[i], stride[i], padding[i], dilation[i]);
        }
    }

    /**
     * Describes a convolution applied to an input.
     *
     * @param inChannels the input channels {@code C}
     * @param outChannels the output channels {@code O}
     * @param kernel the spatial kernel shape {@code (k_1, …, k_N)}
     * @param stride the stride, one value per spatial dimension
     * @param padding the zero padding on each side, one value per spatial dimension
     * @param dilation the dilation, one value per spatial dimension
     * @param inputShape the input shape {@code (B, C, S_1, …, S_N)}
     * @return the geometry
     * @throws IllegalArgumentException if the lengths disagree or the input is too small
     */
    public static ConvGeometry of(
            long inChannels,
            long outChannels,
            Shape kernel,
            Shape stride,
            Shape padding,
            Shape dilation,
            Shape inputShape) {
        int n = kernel.dimension();
        if (stride.dimension() != n
                || padding.dimension() != n
                || dilation.dimension() != n
                || inputShape.dimension() != n + 2) {
            throw new IllegalArgumentException(
                    "kernel "
                            + kernel
                            + ", stride "
                            + stride
                            + ", padding "
                            + padding
                            + ", dilation "
                            + dilation
                            + " and input "
                            + inputShape
                            + " disagree; "
                            + n
                            + " values each and an input (B, C, S_1..S_"
                            + n
                            + ") are accepted");
        }
        long[] spatial = Arrays.copyOfRange(inputShape.getShape(), 2, n + 2);
        for (int i = 0; i < n; i++) {
            if (outputSize(
                            spatial[i],
                            kernel.get(i),
                            stride.get(i),
                            padding.get(i),
                            dilation.get(i))
                    < 1) {
                throw new IllegalArgumentException(
                        "input "
                                + inputShape
                                + " is too small along spatial dimension "
                                + i
                                + " for kernel "
                                + kernel
                                + " with padding "
                                + padding
                                + " and dilation "
                                + dilation);
            }
        }
        return new ConvGeometry(
                inChannels,
                outChannels,
                kernel.getShape(),
                stride.getShape(),
                padding.getShape(),
                dilation.getShape(),
                inputShape.get(0),
                spatial);
    }

    /**
     * The smallest input a convolution takes, {@code (1, C, s_1, …, s_N)}: one position per spatial
     * axis of its dilated kernel, {@code s_i = d_i·(k_i − 1) + 1}.
     *
     * @param channels the input channels {@code C}
     * @param kernel the kernel shape
     * @param dilation the dilation
     * @return the shape
     */
    public static Shape smallestInput(long channels, Shape kernel, Shape dilation) {
        long[] dims = new long[kernel.dimension() + 2];
        dims[0] = 1;
        dims[1] = channels;
        for (int i = 0; i < kernel.dimension(); i++) {
            dims[2 + i] = dilation.get(i) * (kernel.get(i) - 1) + 1;
        }
        return new Shape(dims);
    }

    /**
     * The output size along one dimension.
     *
     * @param size the input size
     * @param kernel the kernel size
     * @param stride the stride
     * @param padding the padding on each side
     * @param dilation the dilation
     * @return {@code (size + 2·padding − dilation·(kernel − 1) − 1) / stride + 1}, rounded down (0
     *     or less when the kernel does not fit)
     */
    public static long outputSize(
            long size, long kernel, long stride, long padding, long dilation) {
        long span = size + 2 * padding - dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    /**
     * Returns the number of spatial dimensions {@code N}.
     *
     * @return the order of the convolution
     */
    public int order() {
        return kernel.length;
    }

    /**
     * Returns the input channels.
     *
     * @return {@code C}
     */
    public long inChannels() {
        return inChannels;
    }

    /**
     * Returns the output channels.
     *
     * @return {@code O}
     */
    public long outChannels() {
        return outChannels;
    }

    /**
     * Returns the batch size.
     *
     * @return {@code B}
     */
    public long batch() {
        return batch;
    }

    /**
     * Returns the kernel size along one spatial dimension.
     *
     * @param dim the spatial dimension, {@code 0 <= dim < N}
     * @return {@code k_dim}
     */
    public long kernel(int dim) {
        return kernel[dim];
    }

    /**
     * Returns the number of kernel positions.
     *
     * @return {@code ∏ k_i}
     */
    public long kernelVolume() {
        long v = 1;
        for (long k : kernel) {
            v *= k;
        }
        return v;
    }

    /**
     * Returns the input's spatial size, one value per dimension.
     *
     * @return {@code (S_1, …, S_N)} (a copy)
     */
    public long[] inputSpatial() {
        return input.clone();
    }

    /**
     * Returns the output's spatial size, one value per dimension.
     *
     * @return the output spatial sizes (a copy)
     */
    public long[] outputSpatial() {
        return output.clone();
    }

    /**
     * Returns the output shape.
     *
     * @return {@code (B, O, S'_1, …, S'_N)}
     */
    public Shape outputShape() {
        long[] s = new long[output.length + 2];
        s[0] = batch;
        s[1] = outChannels;
        System.arraycopy(output, 0, s, 2, output.length);
        return new Shape(s);
    }

    /**
     * Returns the number of spatial positions of the input.
     *
     * @return {@code ∏ S_i}
     */
    public long inputVolume() {
        return volume(input);
    }

    /**
     * Returns the number of spatial positions of the output.
     *
     * @return {@code ∏ S'_i}
     */
    public long outputVolume() {
        return volume(output);
    }

    /**
     * Returns the number of spatial positions after the dimensions {@code 0..dims-1} have been
     * convolved (output sizes) and the others not yet (input sizes), as in a separable pipeline
     * that convolves one dimension at a time.
     *
     * @param dims how many leading spatial dimensions are already convolved, {@code 0..N}
     * @return the number of positions
     */
    public long partialVolume(int dims) {
        long v = 1;
        for (int i = 0; i < input.length; i++) {
            v *= i < dims ? output[i] : input[i];
        }
        return v;
    }

    /**
     * Returns the number of values of the dense kernel.
     *
     * @return {@code O · C · ∏ k_i}
     */
    public long denseParameters() {
        return outChannels * inChannels * kernelVolume();
    }

    private static long volume(long[] dims) {
        long v = 1;
        for (long d : dims) {
            v *= d;
        }
        return v;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ConvGeometry(in="
                + inChannels
                + ", out="
                + outChannels
                + ", kernel="
                + Arrays.toString(kernel)
                + ", stride="
                + Arrays.toString(stride)
                + ", padding="
                + Arrays.toString(padding)
                + ", dilation="
                + Arrays.toString(dilation)
                + ", batch="
                + batch
                + ", input="
                + Arrays.toString(input)
                + ")";
    }
}
