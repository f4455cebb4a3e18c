package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import java.util.Arrays;

/** The convolutions the factorized pipelines are made of, for 1, 2 and 3 spatial dimensions. */
final class ConvOps {

    private ConvOps() {}

    /** An N-D convolution of {@code (B, C, S…)} with a {@code (O, C/groups, k…)} kernel. */
    static NDArray conv(
            NDArray x,
            NDArray weight,
            NDArray bias,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        int n = x.getShape().dimension() - 2;
        NDList out;
        switch (n) {
            case 1:
                out = Conv1d.conv1d(x, weight, bias, stride, padding, dilation, groups);
                break;
            case 2:
                out = Conv2d.conv2d(x, weight, bias, stride, padding, dilation, groups);
                break;
            case 3:
                out = Conv3d.conv3d(x, weight, bias, stride, padding, dilation, groups);
                break;
            default:
                throw new IllegalArgumentException(
                        "input of shape "
                                + x.getShape()
                                + " has "
                                + n
                                + " spatial dimensions; 1, 2 or 3 are accepted");
        }
        return out.singletonOrThrow();
    }

    /** A 1×…×1 convolution with a {@code (out, in)} matrix. */
    static NDArray pointwise(NDArray x, NDArray matrix, NDArray bias) {
        return pointwiseConv(x, pointwiseKernel(matrix, x.getShape().dimension() - 2), bias);
    }

    /** The {@code (out, in, 1, …)} kernel of a 1×…×1 convolution of order {@code n}. */
    static NDArray pointwiseKernel(NDArray matrix, int n) {
        long[] shape = new long[n + 2];
        Arrays.fill(shape, 1);
        shape[0] = matrix.getShape().get(0);
        shape[1] = matrix.getShape().get(1);
        return matrix.reshape(shape);
    }

    /** A 1×…×1 convolution with a {@code (out, in, 1, …)} kernel. */
    static NDArray pointwiseConv(NDArray x, NDArray kernel, NDArray bias) {
        int n = x.getShape().dimension() - 2;
        Shape ones = filled(n, 1);
        return conv(x, kernel, bias, ones, filled(n, 0), ones, 1);
    }

    /**
     * The kernel of a convolution of order {@code n} along one spatial axis only, from {@code (O,
     * C/groups, k)} weights.
     */
    static NDArray axisKernel(NDArray weight3, int axis, int n) {
        long[] shape = new long[n + 2];
        Arrays.fill(shape, 1);
        shape[0] = weight3.getShape().get(0);
        shape[1] = weight3.getShape().get(1);
        shape[2 + axis] = weight3.getShape().get(2);
        return weight3.reshape(shape);
    }

    /**
     * A convolution along one spatial axis only, with an {@link #axisKernel} kernel, applying that
     * axis's stride, padding and dilation.
     */
    static NDArray axisConv(
            NDArray x,
            NDArray kernel,
            int axis,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        int n = x.getShape().dimension() - 2;
        return conv(
                x,
                kernel,
                null,
                only(n, axis, stride.get(axis), 1),
                only(n, axis, padding.get(axis), 0),
                only(n, axis, dilation.get(axis), 1),
                groups);
    }

    /** A shape of {@code n} equal values. */
    static Shape filled(int n, long value) {
        long[] v = new long[n];
        Arrays.fill(v, value);
        return new Shape(v);
    }

    /** A shape of {@code n} values, {@code fill} but {@code value} at {@code axis}. */
    static Shape only(int n, int axis, long value, long fill) {
        long[] v = new long[n];
        Arrays.fill(v, fill);
        v[axis] = value;
        return new Shape(v);
    }
}
