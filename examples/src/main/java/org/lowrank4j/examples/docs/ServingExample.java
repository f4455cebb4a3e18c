package org.lowrank4j.examples.docs;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.modality.cv.translator.ImageClassificationTranslator;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.lowrank4j.examples.demo.CompactResNet;
import org.lowrank4j.examples.demo.CompactResNetFactory;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizedBlockFactory;
import org.lowrank4j.factorize.FactorizedModels;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.tensor.Rank;

/** The example of the factorizer guide's "Serve" section: one directory, loaded by Criteria. */
public final class ServingExample {

    private ServingExample() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     * @throws Exception if the model cannot be saved or loaded
     */
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("resnet");
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("resnet")) {
            Block resnet = CompactResNet.build(16, 10);
            resnet.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            model.setBlock(resnet); // in real use: trained, factorized and fine-tuned
            Factorizer.builder()
                    .setPolicy(
                            FactorizePolicy.builder()
                                    .optLayerTypes(Conv2d.class)
                                    .setRank(Rank.fraction(0.3))
                                    .optSkipFirst(true)
                                    .build())
                    .build()
                    .factorize(model.getBlock());
            // snippet:save-dir
            FactorizedModels.save(model, dir); // resnet-0000.params and lowrank4j-plan.json
            // end
        }

        // snippet:criteria
        Translator<Image, Classifications> translator =
                ImageClassificationTranslator.builder()
                        .optFlag(Image.Flag.GRAYSCALE) // one channel, as the model was trained
                        .addTransform(new ToTensor())
                        .optSynset(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
                        .optApplySoftmax(true)
                        .build();
        Criteria<Image, Classifications> criteria =
                Criteria.builder()
                        .setTypes(Image.class, Classifications.class)
                        .optModelPath(dir)
                        .optModelName("resnet")
                        .optTranslator(translator)
                        .optArgument("blockFactory", FactorizedBlockFactory.class.getName())
                        .optArgument("baseBlockFactory", CompactResNetFactory.class.getName())
                        .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Image digit = ImageFactory.getInstance().fromPixels(new int[28 * 28], 28, 28);
            System.out.println(predictor.predict(digit).best());
        }
        // end
    }
}
