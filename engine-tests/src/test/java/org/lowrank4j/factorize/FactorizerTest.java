package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.nn.LowRankConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FactorizerTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(2, 3, 8, 8);

    // ---------------------------------------------------------------------------------------
    // networks

    /** Parameter arrays by identity. */
    private static List<NDArray> arrays(Block block) {
        List<NDArray> out = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.add(p.getValue().getArray());
        }
        return out;
    }

    private static long parameterCount(Block block) {
        long total = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            total += p.getValue().getArray().size();
        }
        return total;
    }

    private static int countLayers(Block block) {
        int n = 0;
        for (Block b : Nets.blocks(block).keySet()) {
            if (b instanceof Convolution || b instanceof Linear) {
                n++;
            }
        }
        return n;
    }

    private static FactorizePolicy fullRank() {
        return FactorizePolicy.builder().setRank(Rank.of(100000)).optOnlyIfCheaper(false).build();
    }

    // ---------------------------------------------------------------------------------------
    // tests

    @Test
    public void resnetAtFullRankSwapsEveryLayerAndKeepsEverythingElse() {
        Block net = initialised(Nets.resnet(), IMAGE);
        NDArray x = randn(1, DataType.FLOAT32, IMAGE.getShape());
        NDArray expected = infer(net, x);
        Map<Block, String> before = Nets.blocks(net);
        int layers = countLayers(net);
        List<NDArray> others = new ArrayList<>();
        for (Block b : before.keySet()) {
            if (!(b instanceof Convolution || b instanceof Linear) && b.getChildren().isEmpty()) {
                others.addAll(arrays(b));
            }
        }

        FactorizeReport report = Factorizer.builder().setPolicy(fullRank()).build().factorize(net);

        Assert.assertEquals(report.getSwapped().size(), layers, report.toString());
        Assert.assertEquals(countLayers(net), 0, "a dense layer is left");
        Map<Block, String> after = Nets.blocks(net);
        for (Map.Entry<Block, String> e : before.entrySet()) {
            Block b = e.getKey();
            boolean layer = b instanceof Convolution || b instanceof Linear;
            Assert.assertEquals(
                    after.containsKey(b), !layer, "block " + e.getValue() + " was changed");
        }
        for (Block b : after.keySet()) {
            if (!before.containsKey(b)) {
                Assert.assertTrue(b instanceof LowRankConv || b instanceof LowRankLinear);
            }
        }
        // the other blocks keep the very same parameter arrays
        List<NDArray> kept = new ArrayList<>();
        for (Block b : before.keySet()) { // same iteration order as 'others'
            if (!(b instanceof Convolution || b instanceof Linear)
                    && after.containsKey(b)
                    && b.getChildren().isEmpty()) {
                kept.addAll(arrays(b));
            }
        }
        Assert.assertEquals(kept.size(), others.size());
        for (int i = 0; i < kept.size(); i++) {
            Assert.assertSame(kept.get(i), others.get(i));
        }
        assertClose(infer(net, x), expected, 1e-4);
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertTrue(l.getWeightError() < 1e-4, l.getPath() + " " + l.getWeightError());
            Assert.assertTrue(Double.isNaN(l.getOutputNmse()));
        }
    }

    @Test
    public void reportCountsMatchAnIndependentCount() {
        Block net = initialised(Nets.resnet(), IMAGE);
        long paramsBefore = parameterCount(net);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getTotalBefore().getParameters(), paramsBefore);
        Assert.assertEquals(report.getTotalAfter().getParameters(), parameterCount(net));
        Assert.assertTrue(report.getTotalAfter().getFlops() < report.getTotalBefore().getFlops());
        int swapped = 0;
        for (FactorizeReport.Layer l : report.getLayers()) {
            if (!l.isSwapped()) {
                // kept only because the rank saves nothing
                Assert.assertTrue(l.getReason().startsWith("not cheaper"), l.getReason());
                continue;
            }
            swapped++;
            Block b =
                    Nets.blocks(net).entrySet().stream()
                            .filter(e -> e.getValue().equals(l.getPath()))
                            .findFirst()
                            .orElseThrow()
                            .getKey();
            Assert.assertEquals(l.getAfter().getParameters(), parameterCount(b));
            long r = l.getRanks()[0];
            long out = b.getParameters().get("bias").getArray().size();
            long fanIn = b.getParameters().get("first_weight").getArray().size() / r;
            Assert.assertEquals(l.getAfter().getParameters(), r * (fanIn + out) + out);
            // resolved as about half the dense parameters
            Assert.assertEquals(
                    r, (long) Math.rint(0.5 * fanIn * out / (fanIn + out)), l.getPath());
            // FLOPs: every output position pays the parameters once, before and after
            Assert.assertEquals(l.getBefore().getFlops() % l.getBefore().getParameters(), 0);
            long positions = l.getBefore().getFlops() / l.getBefore().getParameters();
            Assert.assertEquals(l.getAfter().getFlops(), positions * (r * (fanIn + out) + out));
            Assert.assertTrue(l.getAfter().isCheaperThan(l.getBefore()));
        }
        Assert.assertTrue(swapped >= 4, report.toString());
        String csv = report.toCsv();
        Assert.assertEquals(csv.split("\n").length, report.getLayers().size() + 2);
        String json = report.toJson();
        Assert.assertTrue(com.google.gson.JsonParser.parseString(json).isJsonObject());
        Assert.assertTrue(report.toString().contains("total"));
    }

    @Test
    public void mlpWithCalibrationFitsTheData() {
        Mlp mlp = new Mlp(12, 4, new int[] {16, 16});
        initialised(mlp, new Shape(4, 12));
        // inputs on a 3-dimensional subspace: a rank-3 first layer is exact on them when fitted
        // to the data, though far from the weight
        NDArray basis = randn(5, DataType.FLOAT32, 3, 12);
        List<NDList> batches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batches.add(new NDList(randn(10 + i, DataType.FLOAT32, 32, 3).matMul(basis)));
        }
        NDArray x = randn(20, DataType.FLOAT32, 16, 3).matMul(basis);
        NDArray expected = infer(mlp, x);
        String first = firstLinear(mlp, "");
        FactorizePolicy policy =
                FactorizePolicy.builder()
                        .setRank(Rank.of(100000))
                        .optLayerRank(first, Rank.of(3))
                        .optOnlyIfCheaper(false)
                        .build();
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(policy)
                        .optCalibration(batches)
                        .build()
                        .factorize(mlp);
        Assert.assertEquals(report.getSwapped().size(), 3);
        FactorizeReport.Layer l = report.getLayer(first);
        Assert.assertEquals(l.getRanks()[0], 3);
        Assert.assertTrue(l.getOutputNmse() >= 0 && l.getOutputNmse() < 1e-6, report.toString());
        Assert.assertTrue(l.getWeightError() > 0.1, report.toString());
        assertClose(infer(mlp, x), expected, 1e-4);
        // the batches are left as they were
        Assert.assertEquals(batches.get(0).head().getShape(), new Shape(32, 12));
    }

    private static String firstLinear(Block block, String path) {
        if (block instanceof Linear) {
            return path;
        }
        PairList<String, Block> children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String name = children.keyAt(i);
            String found =
                    firstLinear(children.valueAt(i), path.isEmpty() ? name : path + "/" + name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    @Test
    public void calibrationFromADatasetAtFullRankMatches() throws Exception {
        Block net = initialised(Nets.resnet(), IMAGE);
        NDArray data = randn(7, DataType.FLOAT32, 6, 3, 8, 8);
        ArrayDataset dataset =
                new ArrayDataset.Builder()
                        .setData(data)
                        .optLabels(manager.zeros(new Shape(6)))
                        .setSampling(3, false)
                        .build();
        NDArray x = randn(1, DataType.FLOAT32, IMAGE.getShape());
        NDArray expected = infer(net, x);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(fullRank())
                        .optCalibration(dataset, 2)
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 7);
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Assert.assertTrue(l.getOutputNmse() < 1e-6, l.getPath() + " " + l.getOutputNmse());
        }
        assertClose(infer(net, x), expected, 1e-4);
        Assert.assertFalse(
                Nets.blocks(net).keySet().stream().anyMatch(b -> b instanceof RecordingBlock),
                "a recording block was left in the model");
    }

    @Test
    public void compressedNetworkTrainsSavesRestoresAndExports() throws Exception {
        Block net = initialised(Nets.resnet(), IMAGE);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                        .build()
                        .factorize(net);
        Path dir = Files.createTempDirectory("factorized");
        NDArray x = randn(3, DataType.FLOAT32, 8, 3, 8, 8);
        NDArray y = manager.create(new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (Model model = Model.newInstance("net")) {
            model.setBlock(net);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(
                                    Optimizer.sgd()
                                            .setLearningRateTracker(Tracker.fixed(0.05f))
                                            .build());
            float first = 0;
            float last = 0;
            try (Trainer trainer = model.newTrainer(config)) {
                for (int step = 0; step < 15; step++) {
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray pred = trainer.forward(new NDList(x)).singletonOrThrow();
                        NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(pred));
                        gc.backward(loss);
                        float v = loss.getFloat();
                        first = step == 0 ? v : first;
                        last = v;
                    }
                    trainer.step();
                }
            }
            Assert.assertTrue(last < first * 0.9, "loss " + first + " -> " + last);
            model.save(dir, "net");
        }
        NDArray expected = infer(net, x);

        Path planFile = dir.resolve("plan.json");
        report.getPlan().save(planFile);
        Assert.assertEquals(
                Factorizer.plan(net).toJson(), report.getPlan().toJson(), "plan of the model");
        Block fresh = Nets.resnet();
        Factorizer.restore(fresh, FactorizePlan.load(planFile));
        try (Model model = Model.newInstance("net")) {
            model.setBlock(fresh);
            model.load(dir, "net");
            NDArray reloaded = infer(fresh, x);
            Assert.assertEquals(reloaded.toFloatArray(), expected.toFloatArray());
        }

        Block standard = Factorizer.toStandardBlocks(net);
        Assert.assertSame(standard, net);
        Assert.assertFalse(
                Nets.blocks(net).keySet().stream()
                        .anyMatch(b -> b instanceof LowRankConv || b instanceof LowRankLinear));
        assertClose(infer(net, x), expected, 1e-5);
    }

    @Test
    public void mobileNetSkipsGroupedConvolutionsWithAReason() {
        Block net =
                MobileNetV2.builder()
                        .setOutSize(10)
                        .optFilters(new int[] {8, 8, 8, 8, 8, 8, 8, 8, 16})
                        .optRepeatTimes(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1})
                        .build();
        initialised(net, new Shape(2, 3, 16, 16));
        NDArray x = randn(1, DataType.FLOAT32, 2, 3, 16, 16);
        NDArray expected = infer(net, x);
        FactorizeReport report = Factorizer.builder().setPolicy(fullRank()).build().factorize(net);
        int grouped = 0;
        for (FactorizeReport.Layer l : report.getLayers()) {
            if (!l.isSwapped()) {
                Assert.assertTrue(l.getReason().contains("grouped convolution"), l.getReason());
                grouped++;
            }
        }
        Assert.assertTrue(grouped > 0 && report.getSwapped().size() > 0, report.toString());
        Assert.assertTrue(
                report.getRefusedBlocks().isEmpty(), report.getRefusedBlocks().toString());
        assertClose(infer(net, x), expected, 1e-4);
    }

    @Test
    public void badInputIsAClearErrorAndLeavesTheModelUnchanged() {
        Block net = initialised(Nets.resnet(), IMAGE);
        NDArray x = randn(1, DataType.FLOAT32, IMAGE.getShape());
        NDArray expected = infer(net, x);
        Map<Block, String> before = Nets.blocks(net);

        FactorizePolicy none =
                FactorizePolicy.builder()
                        .setRank(Rank.of(2))
                        .optPathFilter(p -> p.startsWith("no such"))
                        .build();
        assertIllegalArgument(
                () -> Factorizer.builder().setPolicy(none).build().factorize(net),
                "selects no layer");
        FactorizePolicy unknown =
                FactorizePolicy.builder()
                        .setRank(Rank.of(2))
                        .optLayerRank("99Conv2d", Rank.of(1))
                        .build();
        assertIllegalArgument(
                () -> Factorizer.builder().setPolicy(unknown).build().factorize(net), "99Conv2d");
        List<NDList> wrong = List.of(new NDList(randn(2, DataType.FLOAT32, 2, 3, 9, 9)));
        assertIllegalArgument(
                () ->
                        Factorizer.builder()
                                .setPolicy(fullRank())
                                .optCalibration(wrong)
                                .build()
                                .factorize(net),
                "calibration batch 0 has shapes");
        assertIllegalArgument(
                () -> FactorizePolicy.builder().optConvFactorization(Factorization.DENSE),
                "DENSE is no factorization");
        assertIllegalArgument(
                () -> FactorizePolicy.builder().optLinearFactorization(Factorization.DENSE),
                "DENSE is no factorization");
        Assert.assertEquals(Nets.blocks(net), before, "the model was changed");
        assertClose(infer(net, x), expected, 0);

        // a plan that does not fit the block
        FactorizeReport report = Factorizer.builder().setPolicy(fullRank()).build().factorize(net);
        Block other = new SequentialBlock().add(Linear.builder().setUnits(3).build());
        Map<Block, String> otherBefore = Nets.blocks(other);
        assertIllegalArgument(
                () -> Factorizer.restore(other, report.getPlan()), "does not fit the block");
        Assert.assertEquals(Nets.blocks(other), otherBefore);
        SequentialBlock changed = Nets.resnet();
        SequentialBlock modified = new SequentialBlock();
        modified.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(4)
                        .optPadding(new Shape(1, 1))
                        .build());
        for (int i = 1; i < changed.getChildren().size(); i++) {
            modified.add(changed.getChildren().valueAt(i));
        }
        Map<Block, String> modifiedBefore = Nets.blocks(modified);
        assertIllegalArgument(() -> Factorizer.restore(modified, report.getPlan()), "4 filters");
        Assert.assertEquals(Nets.blocks(modified), modifiedBefore);
        assertIllegalArgument(
                () -> FactorizePlan.fromJson("{\"format\": \"something else\"}"),
                "not a factorization plan");
    }

    @Test
    public void blocksThatForwardThroughFieldsAreRefused() {
        SequentialBlock net = new SequentialBlock();
        net.add(new FieldBlock());
        net.add(Linear.builder().setUnits(4).build());
        initialised(net, new Shape(2, 6));
        NDArray x = randn(1, DataType.FLOAT32, 2, 6);
        NDArray expected = infer(net, x);
        FactorizeReport report = Factorizer.builder().setPolicy(fullRank()).build().factorize(net);
        Assert.assertEquals(report.getRefusedBlocks().size(), 1, report.toString());
        Assert.assertTrue(report.getRefusedBlocks().get(0).contains("FieldBlock"));
        Assert.assertEquals(report.getSwapped().size(), 1);
        Assert.assertEquals(report.getSwapped().get(0).getPath(), "02Linear");
        Assert.assertTrue(
                report.getLayer("01FieldBlock/01inner").getReason().contains("forwards through"));
        assertClose(infer(net, x), expected, 1e-4);
        Assert.assertEquals(
                report.getTotalAfter().getParameters(), parameterCount(net), report.toString());
        Assert.assertTrue(report.getTotalBefore() instanceof BlockCost);
    }

    /** A block that keeps its child in a field and forwards through it. */
    private static final class FieldBlock extends AbstractBlock {
        private final Block inner;

        FieldBlock() {
            inner = addChildBlock("inner", Linear.builder().setUnits(6).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
            return inner.forward(ps, inputs, training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inner.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(
                ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
            inner.initialize(manager, dataType, inputShapes);
        }
    }
}
