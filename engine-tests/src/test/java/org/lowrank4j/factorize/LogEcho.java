package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.evaluator.Accuracy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Runs every operation that logs (factorize with calibration, a layer kept dense, save, load,
 * sweep, tune, export) on the tiny ResNet: run in a JVM of its own with the library's loggers at
 * DEBUG, its output shows what a user's log gets.
 */
public final class LogEcho {

    private static final Shape IMAGE = new Shape(2, 3, 8, 8);

    private LogEcho() {}

    /**
     * Runs.
     *
     * @param args ignored
     * @throws Exception if an operation fails
     */
    public static void main(String[] args) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList batch = new NDList(manager.randomNormal(IMAGE));
            Block net = Nets.resnet();
            net.initialize(manager, DataType.FLOAT32, IMAGE);
            Factorizer.builder()
                    .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                    .optCalibration(List.of(batch))
                    .build()
                    .factorize(net);

            Block full = Nets.resnet();
            full.initialize(manager, DataType.FLOAT32, IMAGE);
            // at full rank no layer is cheaper: every one is kept, and said so at INFO
            Factorizer.builder()
                    .setPolicy(FactorizePolicy.builder().setRank(Rank.of(100000)).build())
                    .build()
                    .factorize(full);

            Path dir = Files.createTempDirectory("log-echo");
            try (Model model = Model.newInstance("net")) {
                model.setBlock(net);
                FactorizedModels.save(model, dir);
            }
            try (Model model = Model.newInstance("net")) {
                model.setBlock(Nets.resnet());
                FactorizedModels.load(model, dir);
            }

            Block swept = Nets.resnet();
            swept.initialize(manager, DataType.FLOAT32, IMAGE);
            SensitivitySweep.builder()
                    .setMetric(new Accuracy())
                    .setData(List.of(new NDList(batch.head(), manager.create(new float[] {1, 2}))))
                    .optRankFractions(0.5, 1.0)
                    .build()
                    .sweep(swept);

            Block cp = Nets.resnet();
            cp.initialize(manager, DataType.FLOAT32, IMAGE);
            Factorizer.builder()
                    .setPolicy(
                            FactorizePolicy.builder()
                                    .setRank(Rank.fraction(0.5))
                                    .optConvFactorization(Factorization.CP)
                                    .optOnlyIfCheaper(false)
                                    .build())
                    .build()
                    .factorize(cp);
            FactorizedConv<?> first = (FactorizedConv<?>) cp.getChildren().valueAt(0);
            first.tune(manager, IMAGE, 1, 2);

            Factorizer.toStandardBlocks(net);
        }
    }
}
