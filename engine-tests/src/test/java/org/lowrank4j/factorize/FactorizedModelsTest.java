package org.lowrank4j.factorize;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.modality.cv.translator.ImageClassificationTranslator;
import ai.djl.modality.cv.translator.ImageClassificationTranslatorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** One model directory: saved in one call, loaded in one call or through DJL's Criteria. */
public class FactorizedModelsTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(1, 3, 8, 8);

    private static final List<String> CLASSES =
            List.of(
                    "class0", "class1", "class2", "class3", "class4", "class5", "class6", "class7",
                    "class8", "class9");

    /** DJL's classification translator for the tiny ResNet's ten outputs. */
    private static Translator<Image, Classifications> translator() {
        return ImageClassificationTranslator.builder()
                .addTransform(new ToTensor())
                .optSynset(CLASSES)
                .optApplySoftmax(true)
                .build();
    }

    /** An 8×8 colour image whose channels ramp with the given steps. */
    private static Image image(int red, int green, int blue) {
        int[] pixels = new int[64];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = 0xff000000 | (i * red << 16) | ((255 - i * green) << 8) | (i * blue % 256);
        }
        return ImageFactory.getInstance().fromPixels(pixels, 8, 8);
    }

    /** The two blocks hold the same factorized structure. */
    private static void assertSamePlan(Block actual, Block expected) {
        Assert.assertEquals(Factorizer.plan(actual).toJson(), Factorizer.plan(expected).toJson());
    }

    private Path saveFactorized(Model model) throws Exception {
        Block net = initialised(Nets.resnet(), IMAGE);
        Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(Rank.fraction(0.5))
                                .optConvFactorization(Factorization.TUCKER)
                                // bit-exact after a reload (AUTO may differ in the last bit)
                                .optImplementation(ConvImplementation.FACTORIZED)
                                .optOnlyIfCheaper(false)
                                .build())
                .build()
                .factorize(net);
        model.setBlock(net);
        Path dir = Files.createTempDirectory("factorized-model");
        FactorizedModels.save(model, dir);
        Assert.assertTrue(Files.isRegularFile(dir.resolve(FactorizedModels.PLAN_FILE)));
        return dir;
    }

    @Test
    public void oneCallSavesAndOneCallLoads() throws Exception {
        try (Model model = Model.newInstance("net")) {
            Path dir = saveFactorized(model);
            NDArray x = randn(4, DataType.FLOAT32, IMAGE.getShape());
            float[] expected = infer(model.getBlock(), x).toFloatArray();
            try (Model reloaded = Model.newInstance("net")) {
                reloaded.setBlock(Nets.resnet());
                FactorizedModels.load(reloaded, dir);
                Assert.assertEquals(infer(reloaded.getBlock(), x).toFloatArray(), expected);
            }
        }
    }

    @Test
    public void aDirectoryWithAVersion1PlanStillLoads() throws Exception {
        try (Model model = Model.newInstance("net")) {
            Path dir = saveFactorized(model);
            // the plan as version 1 wrote it: every setting a string
            Path file = dir.resolve(FactorizedModels.PLAN_FILE);
            JsonObject plan = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            Assert.assertEquals(plan.get("version").getAsInt(), 2);
            plan.addProperty("version", 1);
            int numbers = 0;
            for (JsonElement layer : plan.getAsJsonArray("layers")) {
                JsonObject settings = layer.getAsJsonObject().getAsJsonObject("settings");
                for (String key : new ArrayList<>(settings.keySet())) {
                    JsonPrimitive v = settings.getAsJsonPrimitive(key);
                    numbers += v.isNumber() ? 1 : 0;
                    settings.addProperty(key, v.getAsString());
                }
            }
            Assert.assertTrue(numbers > 0, "the plan holds no number");
            Files.writeString(file, plan.toString());
            NDArray x = randn(4, DataType.FLOAT32, IMAGE.getShape());
            float[] expected = infer(model.getBlock(), x).toFloatArray();
            try (Model reloaded = Model.newInstance("net")) {
                reloaded.setBlock(Nets.resnet());
                FactorizedModels.load(reloaded, dir);
                Assert.assertEquals(infer(reloaded.getBlock(), x).toFloatArray(), expected);
                assertSamePlan(reloaded.getBlock(), model.getBlock());
            }
        }
    }

    @Test
    public void aDirectoryWithoutAPlanIsRefusedWithTheFix() throws Exception {
        Path dir = Files.createTempDirectory("plain-model");
        try (Model model = Model.newInstance("net")) {
            model.setBlock(initialised(Nets.resnet(), IMAGE));
            model.save(dir, "net");
            try (Model reloaded = Model.newInstance("net")) {
                reloaded.setBlock(Nets.resnet());
                assertIllegalArgument(
                        () -> {
                            try {
                                FactorizedModels.load(reloaded, dir);
                            } catch (IOException | MalformedModelException e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        "Factorizer.plan(block).save");
            }
        }
    }

    @Test
    public void criteriaLoadsTheDirectoryIntoAPredictor() throws Exception {
        Translator<Image, Classifications> translator = translator();
        Image image = image(4, 3, 7);
        try (Model model = Model.newInstance("net")) {
            Path dir = saveFactorized(model);
            Classifications expected;
            try (Predictor<Image, Classifications> p = model.newPredictor(translator)) {
                expected = p.predict(image);
            }
            Criteria<Image, Classifications> criteria =
                    Criteria.builder()
                            .setTypes(Image.class, Classifications.class)
                            .optModelPath(dir)
                            .optModelName("net")
                            .optEngine(engine())
                            .optTranslator(translator)
                            .optArgument("blockFactory", FactorizedBlockFactory.class.getName())
                            .optArgument(
                                    FactorizedBlockFactory.BASE_ARGUMENT,
                                    TinyResNetFactory.class.getName())
                            .build();
            try (ZooModel<Image, Classifications> zoo = criteria.loadModel();
                    Predictor<Image, Classifications> p = zoo.newPredictor()) {
                Classifications got = p.predict(image);
                Assert.assertEquals(got.getClassNames(), expected.getClassNames());
                Assert.assertEquals(got.getProbabilities(), expected.getProbabilities());
                Assert.assertFalse(Factorizer.plan(zoo.getBlock()).getEntries().isEmpty());
            }
        }
    }

    @Test
    public void servingPropertiesAloneLoadTheDirectoryIntoAPredictor() throws Exception {
        Image image = image(5, 2, 11);
        try (Model model = Model.newInstance("net")) {
            Path saved = saveFactorized(model);
            // a model directory as DJL Serving finds one: named as the model, with its
            // serving.properties and synset
            Path dir = Files.createTempDirectory("served").resolve("net");
            Files.createDirectories(dir);
            try (var files = Files.list(saved)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
            Files.write(dir.resolve("synset.txt"), CLASSES);
            Files.writeString(
                    dir.resolve("serving.properties"),
                    "engine="
                            + engine()
                            + "\nblockFactory="
                            + FactorizedBlockFactory.class.getName()
                            + "\n"
                            + FactorizedBlockFactory.BASE_ARGUMENT
                            + "="
                            + TinyResNetFactory.class.getName()
                            + "\ntranslatorFactory="
                            + ImageClassificationTranslatorFactory.class.getName()
                            + "\napplySoftmax=true\n");
            Classifications expected;
            try (Predictor<Image, Classifications> p = model.newPredictor(translator())) {
                expected = p.predict(image);
            }
            Criteria<Image, Classifications> criteria =
                    Criteria.builder()
                            .setTypes(Image.class, Classifications.class)
                            .optModelPath(dir)
                            .build();
            try (ZooModel<Image, Classifications> zoo = criteria.loadModel();
                    Predictor<Image, Classifications> p = zoo.newPredictor()) {
                Assert.assertEquals(zoo.getNDManager().getEngine().getEngineName(), engine());
                Classifications got = p.predict(image);
                Assert.assertEquals(got.getClassNames(), expected.getClassNames());
                Assert.assertEquals(got.getProbabilities(), expected.getProbabilities());
                assertSamePlan(zoo.getBlock(), model.getBlock());
            }
        }
    }

    @Test
    public void anExportedModelSavesAndLoadsByTheDocumentedRecipe() throws Exception {
        Path dir = Files.createTempDirectory("exported-model");
        NDArray x = randn(6, DataType.FLOAT32, IMAGE.getShape());
        Map<String, Shape[]> inputs = new HashMap<>();
        float[] expected;
        float[] exported;
        FactorizePlan plan;
        try (Model model = Model.newInstance("net")) {
            saveFactorized(model);
            expected = infer(model.getBlock(), x).toFloatArray();
            plan = Factorizer.plan(model.getBlock());
            for (LayerCost c : CostCounter.layers(model.getBlock(), IMAGE)) {
                inputs.put(c.getPath(), c.getInputShapes());
            }
            Factorizer.toStandardBlocks(model.getBlock());
            Assert.assertTrue(Factorizer.plan(model.getBlock()).getEntries().isEmpty());
            NDArray exportedOut = infer(model.getBlock(), x);
            assertClose(exportedOut, manager.create(expected, exportedOut.getShape()), 1e-5);
            exported = exportedOut.toFloatArray();
            // each standard replacement records the input shape the layer really takes
            Map<Block, String> paths = Nets.blocks(model.getBlock());
            for (FactorizePlan.Entry e : plan.getEntries()) {
                Block standard = null;
                for (Map.Entry<Block, String> b : paths.entrySet()) {
                    standard = b.getValue().equals(e.getPath()) ? b.getKey() : standard;
                }
                Assert.assertNotNull(standard, e.getPath());
                Assert.assertEquals(
                        standard.getInputShapes(), inputs.get(e.getPath()), e.getPath());
            }
            model.save(dir, "net");
            plan.save(dir.resolve("structure.json"));
        }
        // the recipe: the architecture, the plan's structure, placeholder weights, the export, then
        // the exported parameters
        try (Model reloaded = Model.newInstance("net")) {
            Block block = Nets.resnet();
            Factorizer.restore(block, FactorizePlan.load(dir.resolve("structure.json")));
            block.initialize(reloaded.getNDManager(), DataType.FLOAT32, IMAGE);
            Factorizer.toStandardBlocks(block);
            reloaded.setBlock(block);
            reloaded.load(dir, "net");
            Assert.assertEquals(infer(block, x).toFloatArray(), exported);
        }
    }

    @Test
    public void aFailedLoadTakesThePlansBlocksOutAgain() throws Exception {
        try (Model model = Model.newInstance("net")) {
            Path dir = saveFactorized(model);
            // a plan of other ranks than the saved parameters have
            Block other = initialised(Nets.resnet(), IMAGE);
            Factorizer.builder()
                    .setPolicy(
                            FactorizePolicy.builder()
                                    .setRank(Rank.fraction(0.2))
                                    .optConvFactorization(Factorization.TUCKER)
                                    .optOnlyIfCheaper(false)
                                    .build())
                    .build()
                    .factorize(other);
            Factorizer.plan(other).save(dir.resolve(FactorizedModels.PLAN_FILE));
            try (Model reloaded = Model.newInstance("net")) {
                Block fresh = Nets.resnet();
                Map<Block, String> before = Nets.blocks(fresh);
                reloaded.setBlock(fresh);
                Assert.expectThrows(
                        MalformedModelException.class, () -> FactorizedModels.load(reloaded, dir));
                Assert.assertEquals(Nets.blocks(fresh), before, "the architecture changed");
                Assert.assertTrue(Factorizer.plan(fresh).getEntries().isEmpty());
            }
        }
    }

    @Test
    public void aLoadThatFailsLateLeavesEveryValueAsItWas() throws Exception {
        try (Model model = Model.newInstance("net")) {
            Path dir = saveFactorized(model);
            // a parameter file cut short: DJL reads every block but the last ones
            Path params;
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                params =
                        files.filter(f -> f.toString().endsWith(".params"))
                                .findFirst()
                                .orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(params);
            Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length - 64));
            try (Model reloaded = Model.newInstance("net")) {
                Block fresh = initialised(Nets.resnet(), IMAGE);
                // values of its own, unlike any the file holds (batch norms start alike)
                for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : fresh.getParameters()) {
                    p.getValue().getArray().addi(0.5f);
                }
                Map<Block, String> before = Nets.blocks(fresh);
                List<double[]> values = parameterValues(fresh);
                reloaded.setBlock(fresh);
                Assert.expectThrows(Exception.class, () -> FactorizedModels.load(reloaded, dir));
                Assert.assertEquals(Nets.blocks(fresh), before, "the architecture changed");
                List<double[]> after = parameterValues(fresh);
                Assert.assertEquals(after.size(), values.size());
                for (int i = 0; i < values.size(); i++) {
                    Assert.assertEquals(after.get(i), values.get(i), "parameter " + i);
                }
            }
        }
    }
}
