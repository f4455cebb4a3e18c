package org.lowrank4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lowrank4j.nn.CPConv;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.TuckerConv;
import org.lowrank4j.tensor.CPTensor;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * The code of {@code docs/factorized-convolutions.md}: factorized convolutions from random factors,
 * from an existing DJL convolution, as a MobileNet-v2 block and as a ResNet bottleneck.
 */
public final class FactorizedConvExample {

    private FactorizedConvExample() {}

    /**
     * Runs every snippet of the guide and prints what it shows.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        Engine engine = Engine.getInstance();
        // seeds the engine's generator and DJL's RandomUtils, so every block below is reproducible
        engine.setRandomSeed(42);
        System.out.println("Factorized convolutions on " + engine.getEngineName());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = randomData(manager);
            Conv2d conv = denseConv(manager, x);
            fromRandom(manager, x);
            fromConv(manager, conv, x);
            mobilenetBlock(manager, x);
            bottleneckBlock(manager, x);
            transduction(manager, x);
            sharedLayers(manager, x);
        }
    }

    private static NDArray forward(Block block, NDManager manager, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    // snippet:random-data
    static NDArray randomData(NDManager manager) {
        // a batch of 8 images with 16 channels, 24 × 24 pixels
        NDArray x = manager.randomNormal(new Shape(8, 16, 24, 24));
        System.out.println("input " + x.getShape());
        return x;
    }

    // end

    // snippet:dense-conv
    static Conv2d denseConv(NDManager manager, NDArray x) {
        Conv2d conv =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(32)
                        .optPadding(new Shape(1, 1))
                        .build();
        conv.initialize(manager, DataType.FLOAT32, x.getShape());
        System.out.println("dense Conv2d: " + conv.getParameters().get("weight").getShape());
        return conv;
    }

    // end

    // snippet:from-random
    static void fromRandom(NDManager manager, NDArray x) {
        // CPConv.builder() builds CP and returns a CPConv; FactorizedConv.builder() builds any
        // format chosen by setFactorization
        CPConv conv =
                CPConv.builder()
                        .setInChannels(16)
                        .setOutChannels(32)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setRank(Rank.fraction(0.5))
                        .optPadding(new Shape(1, 1))
                        .build();
        // draws the factors so that the rebuilt kernel has std sqrt(2 / (16 · 3 · 3))
        conv.initialize(manager, DataType.FLOAT32, x.getShape());
        NDArray y = forward(conv, manager, x);
        System.out.printf(
                Locale.ROOT,
                "CP conv, rank %s: %d parameters instead of %d, output %s%n",
                java.util.Arrays.toString(conv.getRank()),
                conv.numParameters(),
                conv.numDenseParameters(),
                y.getShape());
        // the factors, typed by the format
        try (CPTensor kernel = conv.getDecomposition()) {
            System.out.println("its kernel: " + kernel);
        }
    }

    // end

    // snippet:from-conv
    static void fromConv(NDManager manager, Conv2d dense, NDArray x) {
        NDArray expected = forward(dense, manager, x);
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            // decompose the trained kernel; stride, padding, dilation and bias are copied
            FactorizedConv<?> conv =
                    FactorizedConv.fromConv(
                            dense, Rank.fraction(0.5), f, ConvImplementation.FACTORIZED, true);
            NDArray y = forward(conv, manager, x);
            double error = y.sub(expected).norm().getFloat() / expected.norm().getFloat();
            System.out.printf(
                    Locale.ROOT,
                    "%-6s rank %-22s %6d parameters, relative output error %.3f%n",
                    f,
                    java.util.Arrays.toString(conv.getRank()),
                    conv.numParameters(),
                    error);
        }
        // at full rank, Tucker reproduces the convolution
        FactorizedConv<?> full =
                FactorizedConv.fromConv(
                        dense,
                        Rank.of(32, 16, 3, 3),
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        true);
        NDArray y = forward(full, manager, x);
        System.out.printf(
                Locale.ROOT,
                "full-rank Tucker: relative output error %.1e%n",
                y.sub(expected).norm().getFloat() / expected.norm().getFloat());
    }

    // end

    // snippet:mobilenet
    static void mobilenetBlock(NDManager manager, NDArray x) {
        // CP as 1×1 (16 → R), one depthwise 3×3 (R groups), 1×1 (R → 32): a MobileNet-v2 block
        FactorizedConv<?> conv =
                FactorizedConv.builder()
                        .setInChannels(16)
                        .setOutChannels(32)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(64))
                        .optImplementation(ConvImplementation.MOBILENET)
                        .optPadding(new Shape(1, 1))
                        .build();
        SequentialBlock block =
                new SequentialBlock()
                        .add(conv)
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock());
        block.initialize(manager, DataType.FLOAT32, x.getShape());
        System.out.println("MobileNet-style block output " + forward(block, manager, x).getShape());
    }

    // end

    // snippet:bottleneck
    static void bottleneckBlock(NDManager manager, NDArray x) {
        // Tucker-2: spatial modes kept, so 1×1 (16 → r_in), 3×3 core (r_in → r_out), 1×1 (r_out →
        // 32):
        // the bottleneck of a ResNet block
        TuckerConv conv =
                TuckerConv.builder()
                        .setInChannels(16)
                        .setOutChannels(32)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setRank(Rank.fraction(0.25))
                        .optFixedRankModes("spatial")
                        .optPadding(new Shape(1, 1))
                        .optImplementation(ConvImplementation.AUTO)
                        .build();
        conv.initialize(manager, DataType.FLOAT32, x.getShape());
        System.out.println(
                "Tucker-2 core "
                        + java.util.Arrays.toString(conv.getRank())
                        + ", AUTO runs "
                        + conv.chooseImplementation(x.getShape(), false));
        // measure instead of model: AUTO then runs the fastest for this input shape
        Map<ConvImplementation, Double> ms = conv.tune(manager, x.getShape(), 2, 5);
        System.out.println(
                "measured ms "
                        + ms
                        + ", AUTO runs "
                        + conv.chooseImplementation(x.getShape(), false));
    }

    // end

    // snippet:transduction
    static void transduction(NDManager manager, NDArray x) {
        FactorizedConv<?> image =
                FactorizedConv.builder()
                        .setInChannels(16)
                        .setOutChannels(32)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(24))
                        .optPadding(new Shape(1, 1))
                        .build();
        image.initialize(manager, DataType.FLOAT32, x.getShape());
        // a new time dimension in front (mode 0), kernel 3, padding 1: a video convolution that
        // starts as the image convolution applied to every frame; only the time factor trains
        FactorizedConv<?> video = image.transduct(3, 0, 1, 1, 1, true);
        NDArray clip = manager.randomNormal(new Shape(2, 16, 5, 24, 24)); // (B, C, T, H, W)
        NDArray y = forward(video, manager, clip);
        NDArray frame = forward(image, manager, clip.get(":, :, 2"));
        System.out.printf(
                Locale.ROOT,
                "video conv kernel %s, output %s, frame 2 differs by %.1e%n",
                video.getKernelShape(),
                y.getShape(),
                y.get(":, :, 2").sub(frame).abs().max().getFloat());
    }

    // end

    // snippet:layers
    static void sharedLayers(NDManager manager, NDArray x) {
        // three convolutions of the same shape, factorized jointly: one tensor (3, 32, 16, 3, 3)
        List<Conv2d> convs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Conv2d c =
                    Conv2d.builder()
                            .setKernelShape(new Shape(3, 3))
                            .setFilters(16)
                            .optPadding(new Shape(1, 1))
                            .build();
            c.initialize(manager, DataType.FLOAT32, x.getShape());
            convs.add(c);
        }
        FactorizedConv<?> shared =
                FactorizedConv.fromConvList(
                        convs,
                        Rank.fraction(0.5),
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        true);
        // each layer as a block of its own, all backed by the shared tensor
        SequentialBlock stack = new SequentialBlock();
        for (int i = 0; i < shared.getLayers(); i++) {
            stack.add(shared.getConv(i)).add(Activation.reluBlock());
        }
        System.out.printf(
                Locale.ROOT,
                "3 convolutions in %d parameters instead of %d; stack output %s%n",
                shared.numParameters(),
                shared.numDenseParameters(),
                forward(stack, manager, x).getShape());
    }
    // end
}
