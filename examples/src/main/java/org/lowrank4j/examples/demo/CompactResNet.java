package org.lowrank4j.examples.demo;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/**
 * A compact ResNet for 1×28×28 digits, built from the model zoo's {@link ResNetV1#residualUnit
 * residual units}: a 3×3 stem, then two stages of two units each (the first unit of a stage halves
 * the resolution and doubles the channels), global average pooling and a linear classifier.
 *
 * <p>With a stem of {@code w} channels the stages have {@code 2w} channels at 14×14 and {@code 4w}
 * at 7×7. ResNetV1 with 20 layers would take minutes per epoch on two CPU cores; this network
 * trains in seconds per epoch while most of its operations are 3×3 convolutions, the layers
 * factorization compresses.
 */
public final class CompactResNet {

    private static final float BATCH_NORM_MOMENTUM = 0.9f;

    private CompactResNet() {}

    /**
     * Builds the network.
     *
     * @param stemChannels the channels of the stem convolution, at least 1
     * @param classes the number of classes, at least 2
     * @return the uninitialised network
     * @throws IllegalArgumentException if a size is not accepted
     */
    public static SequentialBlock build(int stemChannels, int classes) {
        if (stemChannels < 1 || classes < 2) {
            throw new IllegalArgumentException(
                    "stem channels "
                            + stemChannels
                            + " and classes "
                            + classes
                            + " are not accepted; at least 1 channel and 2 classes are");
        }
        int w = stemChannels;
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(w)
                        .optPadding(new Shape(1, 1))
                        .optBias(false)
                        .build());
        net.add(BatchNorm.builder().optMomentum(BATCH_NORM_MOMENTUM).build());
        net.add(Activation.reluBlock());
        net.add(unit(2 * w, 2, false));
        net.add(unit(2 * w, 1, true));
        net.add(unit(4 * w, 2, false));
        net.add(unit(4 * w, 1, true));
        net.add(Pool.globalAvgPool2dBlock());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(classes).build());
        return net;
    }

    private static Block unit(int channels, int stride, boolean dimMatch) {
        return ResNetV1.residualUnit(
                channels, new Shape(stride, stride), dimMatch, false, BATCH_NORM_MOMENTUM);
    }
}
