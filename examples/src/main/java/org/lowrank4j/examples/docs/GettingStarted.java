package org.lowrank4j.examples.docs;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import org.lowrank4j.examples.demo.CompactResNet;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.tensor.Rank;

/** The example of the README and of the getting-started page: compress a model in one call. */
public final class GettingStarted {

    private GettingStarted() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("resnet")) {
            Block resnet = CompactResNet.build(16, 10); // a ResNet from the model zoo's units
            resnet.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            model.setBlock(resnet); // in real use: a trained model, e.g. from Model.load

            // snippet:example
            // keep about 30% of the parameters of every convolution but the stem
            FactorizePolicy policy =
                    FactorizePolicy.builder()
                            .optLayerTypes(Conv2d.class)
                            .setRank(Rank.fraction(0.3))
                            .optSkipFirst(true)
                            .build();
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(policy)
                            .build()
                            .factorize(model.getBlock()); // swaps the layers in place

            System.out.printf(
                    "%d layers factorized: %,d -> %,d parameters, %,d -> %,d FLOPs per image%n",
                    report.getSwapped().size(),
                    report.getTotalBefore().getParameters(),
                    report.getTotalAfter().getParameters(),
                    report.getTotalBefore().getFlops(),
                    report.getTotalAfter().getFlops());
            // then fine-tune with a new Trainer, and save with model.save(dir, "resnet")
            // end
        }
    }
}
