package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import java.util.List;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.internal.Workspace;

/**
 * A factorized convolution as ordinary DJL convolutions: the stages of its pipeline, each a {@link
 * Conv1d}, {@link Conv2d} or {@link Conv3d} with the stage's kernel, for export without the library
 * ({@link FactorizedConv#toStandardBlock}); or one dense convolution with the rebuilt kernel
 * ({@link FactorizedConv#toDenseConvolution}).
 */
final class StandardConvs {

    /** How a stage convolves: which stride, padding and dilation it takes. */
    enum Kind {
        /** A 1×…×1 convolution: stride 1, no padding. */
        POINTWISE,
        /** The block's own stride, padding and dilation. */
        SPATIAL,
        /** Along one axis: that axis's stride, padding and dilation, 1 and 0 elsewhere. */
        AXIS
    }

    /** One convolution of a pipeline: its {@code (O, C/groups, k…)} kernel and settings. */
    static final class Stage {
        final NDArray kernel;
        final Kind kind;
        final int axis;
        final int groups;

        private Stage(NDArray kernel, Kind kind, int axis, int groups) {
            this.kernel = kernel;
            this.kind = kind;
            this.axis = axis;
            this.groups = groups;
        }

        static Stage pointwise(NDArray kernel) {
            return new Stage(kernel, Kind.POINTWISE, -1, 1);
        }

        static Stage spatial(NDArray kernel, int groups) {
            return new Stage(kernel, Kind.SPATIAL, -1, groups);
        }

        static Stage along(NDArray kernel, int axis) {
            return new Stage(kernel, Kind.AXIS, axis, 1);
        }
    }

    private StandardConvs() {}

    /**
     * The stages as a sequential block of DJL convolutions, initialised in {@code manager} with the
     * block's input shape (or its smallest input) and given the stages' kernels, the bias on the
     * last one.
     */
    static SequentialBlock of(
            FactorizedConv<?> f, List<Stage> stages, NDArray bias, NDManager manager) {
        int n = f.getOrder();
        SequentialBlock seq = new SequentialBlock();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            Shape k = s.kernel.getShape();
            Shape stride = ConvOps.filled(n, 1);
            Shape padding = ConvOps.filled(n, 0);
            Shape dilation = ConvOps.filled(n, 1);
            if (s.kind == Kind.SPATIAL) {
                stride = f.getStride();
                padding = f.getPadding();
                dilation = f.getDilation();
            } else if (s.kind == Kind.AXIS) {
                stride = ConvOps.only(n, s.axis, f.getStride().get(s.axis), 1);
                padding = ConvOps.only(n, s.axis, f.getPadding().get(s.axis), 0);
                dilation = ConvOps.only(n, s.axis, f.getDilation().get(s.axis), 1);
            }
            boolean last = i == stages.size() - 1;
            seq.add(
                    conv(
                            k.slice(2),
                            Math.toIntExact(k.get(0)),
                            stride,
                            padding,
                            dilation,
                            s.groups,
                            last && bias != null));
        }
        seq.initialize(manager, stages.get(0).kernel.getDataType(), input(f));
        for (int i = 0; i < stages.size(); i++) {
            Convolution c = (Convolution) seq.getChildren().get(i).getValue();
            copy(stages.get(i).kernel, c, "weight");
            if (i == stages.size() - 1 && bias != null) {
                copy(bias, c, "bias");
            }
        }
        return seq;
    }

    /** One DJL convolution with the block's configuration, the kernel and the bias. */
    static Convolution dense(FactorizedConv<?> f, NDArray kernel, NDArray bias) {
        Convolution c =
                conv(
                        f.getKernelShape(),
                        f.getOutChannels(),
                        f.getStride(),
                        f.getPadding(),
                        f.getDilation(),
                        1,
                        bias != null);
        c.initialize(kernel.getManager(), kernel.getDataType(), input(f));
        copy(kernel, c, "weight");
        if (bias != null) {
            copy(bias, c, "bias");
        }
        return c;
    }

    /** The block's own input shape when it knows it, else the smallest input it accepts. */
    private static Shape input(FactorizedConv<?> f) {
        Shape smallest =
                ConvGeometry.smallestInput(f.getInChannels(), f.getKernelShape(), f.getDilation());
        return SourceLayer.inputShapes(f, smallest)[0];
    }

    private static void copy(NDArray value, Convolution c, String parameter) {
        NDArray target = c.getParameters().get(parameter).getArray();
        try (Workspace ws = Workspace.of(target)) {
            ws.borrow(value).toType(target.getDataType(), false).copyTo(target);
        }
    }

    /** A DJL convolution of the kernel's order with these settings. */
    static Convolution conv(
            Shape kernel,
            int filters,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups,
            boolean bias) {
        switch (kernel.dimension()) {
            case 1:
                return set(
                                Conv1d.builder(),
                                kernel,
                                filters,
                                stride,
                                padding,
                                dilation,
                                groups,
                                bias)
                        .build();
            case 2:
                return set(
                                Conv2d.builder(),
                                kernel,
                                filters,
                                stride,
                                padding,
                                dilation,
                                groups,
                                bias)
                        .build();
            default:
                return set(
                                Conv3d.builder(),
                                kernel,
                                filters,
                                stride,
                                padding,
                                dilation,
                                groups,
                                bias)
                        .build();
        }
    }

    private static <B extends Convolution.ConvolutionBuilder<B>> B set(
            B builder,
            Shape kernel,
            int filters,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups,
            boolean bias) {
        return builder.setKernelShape(kernel)
                .setFilters(filters)
                .optStride(stride)
                .optPadding(padding)
                .optDilation(dilation)
                .optGroups(groups)
                .optBias(bias);
    }
}
