package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** DJL integration of FactorizedLinear: gradients, training, save/load, leaks, bad input. */
public class FactorizedLinearTrainingTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT, Factorization.DENSE
    };

    private FactorizedLinear block(Factorization f, int layers, ConvImplementation impl) {
        FactorizedLinear block =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(2, 4))
                        .setOutTensorizedFeatures(new Shape(2, 3))
                        .setFactorization(f)
                        .setRank(Rank.fraction(0.8))
                        .optLayers(layers)
                        .optImplementation(impl)
                        .optSeed(21)
                        .build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 8));
        return block;
    }

    private NDArray run(Block block, NDList inputs) {
        return block.forward(new ParameterStore(manager, false), inputs, false).singletonOrThrow();
    }

    private Map<String, NDArray> gradients(FactorizedLinear block, NDArray x) {
        Map<String, NDArray> grads = new HashMap<>();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.zeroGradients();
            NDArray y =
                    block.forward(new ParameterStore(manager, false), new NDList(x), true)
                            .singletonOrThrow();
            gc.backward(y.square().sum());
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
            grads.put(p.getKey(), p.getValue().getArray().getGradient().duplicate());
        }
        return grads;
    }

    @Test
    public void everyFactorGetsTheSameGradientFromBothImplementations() {
        NDArray x = randn(1, DataType.FLOAT32, 6, 8);
        for (Factorization f : FORMATS) {
            FactorizedLinear block = block(f, 1, ConvImplementation.FACTORIZED);
            block.getParameters().get("bias").getArray().addi(0.2f);
            Map<String, NDArray> factorized = gradients(block, x);
            block.setImplementation(ConvImplementation.RECONSTRUCTED);
            Map<String, NDArray> reconstructed = gradients(block, x);
            Assert.assertEquals(factorized.keySet(), reconstructed.keySet());
            for (String name : factorized.keySet()) {
                NDArray g = factorized.get(name);
                Assert.assertTrue(
                        g.abs().sum().getFloat() > 0, f + " " + name + " has no gradient");
                assertClose(g, reconstructed.get(name), 1e-4);
            }
        }
    }

    private double mse(Trainer trainer, NDArray x, NDArray y) throws Exception {
        NDArray p = trainer.evaluate(new NDList(x)).singletonOrThrow();
        return p.sub(y).square().mean().getFloat();
    }

    @Test
    public void trainsWithTrainer() throws Exception {
        NDArray x = randn(2, DataType.FLOAT32, 128, 8);
        NDArray y = x.matMul(randn(3, DataType.FLOAT32, 8, 6).mul(0.5f)).add(1f);
        for (Factorization f : FORMATS) {
            ConvImplementation impl =
                    f == Factorization.TT ? ConvImplementation.FACTORIZED : ConvImplementation.AUTO;
            FactorizedLinear block =
                    FactorizedLinear.builder()
                            .setInTensorizedFeatures(new Shape(2, 4))
                            .setOutTensorizedFeatures(new Shape(2, 3))
                            .setFactorization(f)
                            .setRank(Rank.same())
                            .optImplementation(impl)
                            .optSeed(4)
                            .build();
            try (Model model = Model.newInstance("factorized-" + f)) {
                model.setBlock(block);
                DefaultTrainingConfig config =
                        new DefaultTrainingConfig(Loss.l2Loss())
                                .optOptimizer(
                                        Optimizer.adam()
                                                .optLearningRateTracker(Tracker.fixed(0.02f))
                                                .build());
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(new Shape(16, 8));
                    ArrayDataset data =
                            new ArrayDataset.Builder()
                                    .setData(x)
                                    .optLabels(y)
                                    .setSampling(16, true)
                                    .build();
                    double before = mse(trainer, x, y);
                    EasyTrain.fit(trainer, 15, data, null);
                    double after = mse(trainer, x, y);
                    Assert.assertTrue(
                            after < 0.3 * before, f + ": loss " + before + " -> " + after);
                }
            }
        }
    }

    @Test
    public void saveAndLoadRoundTripExactly() throws Exception {
        NDArray x = randn(5, DataType.FLOAT32, 3, 8);
        for (Factorization f : FORMATS) {
            for (int layers : new int[] {1, 2}) {
                FactorizedLinear block = block(f, layers, ConvImplementation.FACTORIZED);
                block.getParameters().get("bias").getArray().addi(0.5f);
                NDList in = layers > 1 ? new NDList(x, manager.create(1)) : new NDList(x);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                block.saveParameters(new DataOutputStream(bytes));
                // a block built as the saved one loads it (with AUTO, whichever implementation
                // the saved one ran: it is saved too); another structure is refused
                FactorizedLinear other =
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(new Shape(3))
                                .setOutTensorizedFeatures(new Shape(3))
                                .setFactorization(Factorization.CP)
                                .setRank(Rank.of(1))
                                .build();
                MalformedModelException refused =
                        Assert.expectThrows(
                                MalformedModelException.class,
                                () ->
                                        other.loadParameters(
                                                manager,
                                                new DataInputStream(
                                                        new ByteArrayInputStream(
                                                                bytes.toByteArray()))));
                Assert.assertTrue(
                        refused.getMessage().contains("CP(in=(3), out=(3)"), refused.getMessage());
                FactorizedLinear loaded =
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(new Shape(2, 4))
                                .setOutTensorizedFeatures(new Shape(2, 3))
                                .setFactorization(f)
                                .setRank(Rank.fraction(0.8))
                                .optLayers(layers)
                                .build();
                loaded.loadParameters(
                        manager,
                        new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
                Assert.assertEquals(loaded.getFactorization(), f);
                Assert.assertEquals(loaded.getRank(), block.getRank());
                Assert.assertEquals(loaded.getLayers(), layers);
                Assert.assertEquals(loaded.getInTensorizedFeatures(), new Shape(2, 4));
                assertClose(run(loaded, in), run(block, in), 0);
                Assert.assertEquals(
                        loaded.getOutputShapes(new Shape[] {new Shape(4, 5, 8)})[0],
                        new Shape(4, 5, 6));
            }
        }
    }

    @Test
    public void noArraysLeakOverManyForwards() {
        NDArray x = randn(6, DataType.FLOAT32, 4, 8);
        NDArray index = manager.create(1);
        ParameterStore ps = new ParameterStore(manager, false);
        for (Factorization f : FORMATS) {
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                FactorizedLinear block = block(f, 2, impl);
                NDList in = new NDList(x, index);
                block.forward(ps, in, false).close();
                int before = manager.getManagedArrays().size();
                for (int i = 0; i < 1000; i++) {
                    block.forward(ps, in, false).close();
                }
                Assert.assertEquals(
                        manager.getManagedArrays().size(), before, f + " " + impl + " leaks");
            }
        }
    }

    @Test
    public void badInputIsRejectedAndLeavesTheBlockUnchanged() {
        FactorizedLinear block = block(Factorization.TT, 3, ConvImplementation.AUTO);
        NDArray x = randn(7, DataType.FLOAT32, 2, 8);
        NDList good = new NDList(x, manager.create(2));
        NDArray before = run(block, good);
        assertIllegalArgument(
                () -> run(block, new NDList(randn(8, DataType.FLOAT32, 2, 9), manager.create(0))),
                "input shape (2, 9)");
        assertIllegalArgument(() -> run(block, new NDList(x, manager.create(3))), "layer index 3");
        assertIllegalArgument(
                () -> run(block, new NDList(x, manager.create(-1))), "layer index -1");
        assertIllegalArgument(() -> run(block, new NDList(x)), "layer index");
        assertIllegalArgument(() -> block.getLinear(5), "layer index 5");
        assertIllegalArgument(
                () -> block.setImplementation(ConvImplementation.MOBILENET), "MOBILENET");
        Assert.assertEquals(block.getImplementation(), ConvImplementation.AUTO);
        assertClose(run(block, good), before, 0);

        FactorizedLinearBuilder b =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(2, 4))
                        .setOutTensorizedFeatures(new Shape(2, 3));
        assertIllegalArgument(() -> b.setFactorization(Factorization.CP).build(), "rank");
        assertIllegalArgument(
                () -> b.setRank(Rank.of(2, 3)).setFactorization(Factorization.CP).build(),
                "CP takes a single rank");
        assertIllegalArgument(
                () -> b.setRank(Rank.of(2, 3)).setFactorization(Factorization.TUCKER).build(),
                "Tucker rank");
        assertIllegalArgument(
                () -> b.setRank(Rank.of(2, 3, 4)).setFactorization(Factorization.TT).build(),
                "rank");
        assertIllegalArgument(
                () ->
                        b.setRank(Rank.of(2))
                                .setFactorization(Factorization.TT)
                                .setInTensorizedFeatures(new Shape(8))
                                .build(),
                "same order");
        assertIllegalArgument(() -> b.setInTensorizedFeatures(new Shape(2, 0)).build(), "size 0");
        assertIllegalArgument(
                () ->
                        b.setInTensorizedFeatures(new Shape(2, 4))
                                .optImplementation(ConvImplementation.MOBILENET)
                                .build(),
                "MOBILENET");

        Linear dense = Linear.builder().setUnits(6).build();
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, 8));
        assertIllegalArgument(
                () ->
                        FactorizedLinear.fromLinear(
                                dense,
                                new Shape(3, 3),
                                new Shape(2, 3),
                                Rank.same(),
                                Factorization.TUCKER),
                "tensorized input shape (3, 3)");
        assertIllegalArgument(
                () ->
                        FactorizedLinear.fromLinear(
                                dense, null, new Shape(7), Rank.same(), Factorization.CP),
                "tensorized output shape (7)");
    }
}
