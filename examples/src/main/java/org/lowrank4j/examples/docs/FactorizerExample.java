package org.lowrank4j.examples.docs;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
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
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.util.ProgressBar;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.factorize.FactorizePlan;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.factorize.ProgressiveCompression;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * The examples of the factorizer guide: compress, report, fine-tune, save and reload, export,
 * tensorized linear layers and tensor-format convolutions.
 */
public final class FactorizerExample {

    private FactorizerExample() {}

    /** A small ResNet from the model zoo's residual units, for 3×16×16 images. */
    static SequentialBlock resnet() {
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(16)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(BatchNorm.builder().build());
        net.add(Activation.reluBlock());
        net.add(ResNetV1.residualUnit(16, new Shape(1, 1), true, false, 0.9f));
        net.add(ResNetV1.residualUnit(32, new Shape(2, 2), false, false, 0.9f));
        net.add(ResNetV1.residualUnit(32, new Shape(1, 1), true, false, 0.9f));
        net.add(Pool.globalAvgPool2dBlock());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(10).build());
        return net;
    }

    /**
     * Runs the examples.
     *
     * @param args ignored
     * @throws Exception if the model cannot be saved or loaded
     */
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("factorizer-example");
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("resnet")) {
            Block block = resnet();
            block.initialize(manager, DataType.FLOAT32, new Shape(8, 3, 16, 16));
            model.setBlock(block); // stands for a trained model
            NDArray images = manager.randomNormal(new Shape(8, 3, 16, 16));
            NDArray labels = manager.randomInteger(0, 10, new Shape(8), DataType.INT32);
            List<NDList> calibrationBatches = List.of(new NDList(images));

            // snippet:compress
            FactorizePolicy policy =
                    FactorizePolicy.builder()
                            .setRank(Rank.fraction(0.3)) // about 30% of each layer's parameters
                            .optSkipFirst(true) // keep the 3-channel stem convolution
                            .build();
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(policy)
                            .optCalibration(calibrationBatches) // optional: fit to the data
                            .build()
                            .factorize(model.getBlock());
            System.out.println(report);
            // end

            // snippet:report
            for (FactorizeReport.Layer layer : report.getLayers()) {
                if (layer.isSwapped()) {
                    System.out.printf(
                            "%s: rank %d, %d -> %d FLOPs, output nmse %.3g%n",
                            layer.getPath(),
                            layer.getRanks()[0],
                            layer.getBefore().getFlops(),
                            layer.getAfter().getFlops(),
                            layer.getOutputNmse());
                } else {
                    System.out.println(layer.getPath() + " kept: " + layer.getReason());
                }
            }
            Files.writeString(dir.resolve("report.csv"), report.toCsv());
            Files.writeString(dir.resolve("report.json"), report.toJson());
            // end

            // snippet:progress
            Block another = resnet();
            another.initialize(manager, DataType.FLOAT32, new Shape(8, 3, 16, 16));
            Factorizer.builder()
                    .setPolicy(policy)
                    .optCalibration(calibrationBatches)
                    .optProgress(new ProgressBar()) // DJL's console bar: batches, then layers
                    .build()
                    .factorize(another);
            // end

            // snippet:finetune
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss());
            try (Trainer trainer = model.newTrainer(config)) { // a new Trainer after the swap
                for (int step = 0; step < 3; step++) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList predictions = trainer.forward(new NDList(images));
                        NDArray loss = trainer.getLoss().evaluate(new NDList(labels), predictions);
                        collector.backward(loss);
                    }
                    trainer.step();
                }
            }
            // end

            // snippet:save
            model.save(dir, "resnet");
            report.getPlan().save(dir.resolve("resnet-plan.json"));
            // end

            // snippet:reload
            Block fresh = resnet(); // built as the original was
            Factorizer.restore(fresh, FactorizePlan.load(dir.resolve("resnet-plan.json")));
            try (Model reloaded = Model.newInstance("resnet")) {
                reloaded.setBlock(fresh);
                reloaded.load(dir, "resnet");
                // ... the fine-tuned factorized model, ready to use
            }
            // end

            // snippet:export
            Block standard = Factorizer.toStandardBlocks(model.getBlock());
            // every factorized layer is now a SequentialBlock of plain convolutions or linears
            // end
            NDArray out =
                    standard.forward(new ParameterStore(manager, false), new NDList(images), false)
                            .singletonOrThrow();
            System.out.println("exported model output " + out.getShape());
            Path exportDir = dir.resolve("exported");
            Files.createDirectories(exportDir);
            model.save(exportDir, "resnet");
            FactorizePlan plan = report.getPlan();
            Shape inputShape = new Shape(8, 3, 16, 16);

            // snippet:load-exported
            Block plain = resnet(); // built as the original was
            Factorizer.restore(plain, plan); // the factorized structure
            plain.initialize(manager, DataType.FLOAT32, inputShape); // placeholder weights
            Factorizer.toStandardBlocks(plain); // the plain structure
            try (Model exported = Model.newInstance("resnet")) {
                exported.setBlock(plain);
                exported.load(exportDir, "resnet"); // the exported parameters
            }
            // end

            Block trainedMlp = new Mlp(256, 10, new int[] {256, 128});
            trainedMlp.initialize(manager, DataType.FLOAT32, new Shape(32, 256));
            // snippet:tensorized
            FactorizeReport tensorized =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(Rank.fraction(0.1))
                                            .optLinearFactorization(Factorization.TUCKER)
                                            .optImplementation(ConvImplementation.FACTORIZED)
                                            .build())
                            .build()
                            .factorize(trainedMlp);
            for (FactorizeReport.Layer layer : tensorized.getSwapped()) {
                System.out.println(
                        layer.getPath()
                                + ": ranks "
                                + Arrays.toString(layer.getRanks())
                                + ", weight error "
                                + layer.getWeightError()
                                + ", "
                                + layer.getBefore()
                                + " -> "
                                + layer.getAfter());
            }
            // end

            Block trainedResnet = resnet();
            trainedResnet.initialize(manager, DataType.FLOAT32, new Shape(8, 3, 16, 16));
            // snippet:convolutions
            FactorizeReport tucker2 =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(Rank.fraction(0.3))
                                            .optLayerTypes(Conv2d.class)
                                            .optConvFactorization(Factorization.TUCKER)
                                            .build())
                            .build()
                            .factorize(trainedResnet);
            System.out.println(tucker2);
            // end
            Block trainedCp = resnet();
            trainedCp.initialize(manager, DataType.FLOAT32, new Shape(8, 3, 16, 16));
            // snippet:cp
            FactorizeReport cp =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(Rank.fraction(0.3))
                                            .optLayerTypes(Conv2d.class)
                                            .optConvFactorization(Factorization.CP)
                                            .optImplementation(ConvImplementation.MOBILENET)
                                            .optOnlyIfCheaper(false)
                                            .build())
                            .build()
                            .factorize(trainedCp);
            Block deployable = Factorizer.toStandardBlocks(trainedCp);
            // each CPConv is now 1x1 conv -> depthwise conv (groups = rank) -> 1x1 conv
            // end
            System.out.println(cp.getSwapped().size() + " CP convolutions, exported " + deployable);

            // snippet:transformer
            Block encoder = new TransformerEncoderBlock(64, 4, 256, 0.1f, Activation::gelu);
            encoder.initialize(manager, DataType.FLOAT32, new Shape(2, 10, 64));
            FactorizeReport attention =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(Rank.fraction(0.5))
                                            .optLayerTypes(Linear.class)
                                            .optOnlyIfCheaper(false)
                                            .build())
                            .build()
                            .factorize(encoder);
            // the key, query, value and result projections and both feed-forward layers
            System.out.println(attention.getSwapped().size() + " layers swapped");
            // end
            if (attention.getSwapped().size() != 6) {
                throw new IllegalStateException("expected 6 swapped layers: " + attention);
            }

            try (Model progressive = Model.newInstance("progressive")) {
                Block dense = resnet();
                dense.initialize(manager, DataType.FLOAT32, new Shape(8, 3, 16, 16));
                progressive.setBlock(dense); // stands for a trained model
                // snippet:progressive
                Dataset data =
                        new ArrayDataset.Builder()
                                .setData(images)
                                .optLabels(labels)
                                .setSampling(4, true)
                                .build();
                List<FactorizeReport> steps =
                        ProgressiveCompression.builder()
                                .setSchedule(0.7, 0.5, 0.3)
                                .setFactorizer(
                                        fraction ->
                                                Factorizer.builder()
                                                        .setPolicy(
                                                                FactorizePolicy.builder()
                                                                        .setRank(
                                                                                Rank.fraction(
                                                                                        fraction))
                                                                        .optSkipFirst(true)
                                                                        .build())
                                                        .build())
                                .setFineTuning(
                                        (step, fraction, stepReport) -> {
                                            // a new Trainer after every step
                                            try (Trainer trainer = progressive.newTrainer(config)) {
                                                EasyTrain.fit(trainer, 1, data, null);
                                            } catch (IOException | TranslateException e) {
                                                throw new IllegalStateException(e);
                                            }
                                        })
                                .build()
                                .compress(progressive.getBlock());
                // the last step has the ranks and FLOPs of one factorization at 0.3
                System.out.println(steps.get(2).getTotalAfter());
                // end
                if (steps.size() != 3 || steps.get(2).getSwapped().isEmpty()) {
                    throw new IllegalStateException("expected three steps: " + steps);
                }
            }
        } finally {
            deleteAll(dir);
        }
    }

    private static void deleteAll(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
