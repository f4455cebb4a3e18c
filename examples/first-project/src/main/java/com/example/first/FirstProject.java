package com.example.first;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.tensor.Rank;

/**
 * A first program with Lowrank4J: build a small convolutional network with DJL, factorize its
 * convolutions and compare the outputs before and after.
 */
public final class FirstProject {

    private FirstProject() {}

    /**
     * Runs the program.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        Engine.getInstance().setRandomSeed(42);
        try (NDManager manager = NDManager.newBaseManager()) {
            // a small network for 3x32x32 images; in real use, a trained model
            Block net =
                    new SequentialBlock()
                            .add(conv(32))
                            .add(Activation.reluBlock())
                            .add(conv(64))
                            .add(Activation.reluBlock())
                            .add(conv(64))
                            .add(Activation.reluBlock())
                            .add(Pool.globalAvgPool2dBlock())
                            .add(Blocks.batchFlattenBlock())
                            .add(Linear.builder().setUnits(10).build());
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            NDArray images = manager.randomNormal(new Shape(8, 3, 32, 32));
            NDArray before = predict(net, manager, images);

            // factorize every convolution but the first, keeping about 30% of the parameters
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .optLayerTypes(Conv2d.class)
                                            .setRank(Rank.fraction(0.3))
                                            .optSkipFirst(true)
                                            .build())
                            .build()
                            .factorize(net); // swaps the layers in place
            System.out.println(report);

            // random weights are far from low rank, so the outputs move a lot; with a trained
            // model, pass calibration data (optCalibration) and fine-tune after the swap
            NDArray after = predict(net, manager, images);
            float change = after.sub(before).norm().getFloat() / before.norm().getFloat();
            System.out.printf(
                    "%d of %d convolutions factorized; the network: %,d -> %,d parameters, "
                            + "%,d -> %,d FLOPs per image; outputs changed by %.1f%%%n",
                    report.getSwapped().size(),
                    report.getLayers().size(),
                    report.getTotalBefore().getParameters(),
                    report.getTotalAfter().getParameters(),
                    report.getTotalBefore().getFlops(),
                    report.getTotalAfter().getFlops(),
                    100 * change);
        }
    }

    private static Block conv(int filters) {
        return Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .setFilters(filters)
                .optPadding(new Shape(1, 1))
                .build();
    }

    private static NDArray predict(Block net, NDManager manager, NDArray images) {
        return net.forward(new ParameterStore(manager, false), new NDList(images), false)
                .singletonOrThrow();
    }
}
