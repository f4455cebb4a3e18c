package org.lowrank4j.nn;

import ai.djl.Model;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FactorizedEmbeddingTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.TT, Factorization.CP, Factorization.TUCKER, Factorization.DENSE
    };

    private NDArray run(Block block, NDArray ids) {
        return block.forward(new ParameterStore(manager, false), new NDList(ids), false)
                .singletonOrThrow();
    }

    private FactorizedEmbedding embedding(Factorization f) {
        FactorizedEmbedding block =
                FactorizedEmbedding.builder()
                        .setNumEmbeddings(60)
                        .setEmbeddingDim(12)
                        .optFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optSeed(3)
                        .build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1));
        return block;
    }

    @Test
    public void lookupMatchesTheReconstructedTable() {
        NDArray ids = manager.create(new long[] {0, 59, 7, 7, 31, 12}, new Shape(2, 3));
        for (Factorization f : FORMATS) {
            FactorizedEmbedding block = embedding(f);
            Assert.assertEquals(block.getVocabularyShape(), new Shape(3, 4, 5));
            Assert.assertEquals(block.getEmbeddingShape(), new Shape(2, 2, 3));
            NDArray table = block.reconstructTable();
            NDArray rows = run(block, ids);
            Assert.assertEquals(rows.getShape(), new Shape(2, 3, 12));
            long[] flat = ids.toLongArray();
            for (int i = 0; i < flat.length; i++) {
                assertClose(rows.reshape(6, 12).get(i), table.get(flat[i]), 1e-5);
            }
            double rms = Math.sqrt(table.square().mean().getFloat());
            Assert.assertEquals(rms, 1.0, f == Factorization.DENSE ? 0.15 : 1e-3, f + " std");
        }
    }

    @Test
    public void replacesATrainableWordEmbedding() {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            words.add("w" + i);
        }
        TrainableWordEmbedding djl = new TrainableWordEmbedding(new DefaultVocabulary(words), 8);
        djl.initialize(manager, DataType.FLOAT32, new Shape(1));
        long rows = djl.getParameters().get("embedding").getArray().getShape().get(0);
        long[] idValues = {djl.embed("w3"), djl.embed("w17"), djl.embed("w0"), djl.embed("w22")};
        NDArray ids = manager.create(idValues);
        NDArray expected = run(djl, ids);
        for (Factorization f : new Factorization[] {Factorization.TT, Factorization.TUCKER}) {
            FactorizedEmbedding block =
                    FactorizedEmbedding.fromEmbedding(djl, null, null, Rank.of(1000), f);
            Assert.assertEquals(block.getNumEmbeddings(), rows);
            assertClose(run(block, ids), expected, 1e-4);
        }
    }

    @Test
    public void trainsSavesAndLoads() throws Exception {
        long[] idValues = new long[64];
        for (int i = 0; i < idValues.length; i++) {
            idValues[i] = (i * 37) % 60;
        }
        NDArray ids = manager.create(idValues);
        NDArray target = randn(4, DataType.FLOAT32, 60, 12).get(ids);
        FactorizedEmbedding block =
                FactorizedEmbedding.builder()
                        .setNumEmbeddings(60)
                        .setEmbeddingDim(12)
                        .setRank(Rank.same())
                        .optSeed(5)
                        .build();
        try (Model model = Model.newInstance("embedding")) {
            model.setBlock(block);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optOptimizer(
                                    Optimizer.adam()
                                            .optLearningRateTracker(Tracker.fixed(0.05f))
                                            .build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(16));
                ArrayDataset data =
                        new ArrayDataset.Builder()
                                .setData(ids)
                                .optLabels(target)
                                .setSampling(16, true)
                                .build();
                double before =
                        trainer.evaluate(new NDList(ids))
                                .singletonOrThrow()
                                .sub(target)
                                .square()
                                .mean()
                                .getFloat();
                EasyTrain.fit(trainer, 20, data, null);
                double after =
                        trainer.evaluate(new NDList(ids))
                                .singletonOrThrow()
                                .sub(target)
                                .square()
                                .mean()
                                .getFloat();
                Assert.assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            block.saveParameters(new DataOutputStream(bytes));
            FactorizedEmbedding loaded =
                    FactorizedEmbedding.builder()
                            .setNumEmbeddings(60)
                            .setEmbeddingDim(12)
                            .setRank(Rank.same())
                            .build();
            loaded.loadParameters(
                    manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            Assert.assertEquals(loaded.getFactorization(), Factorization.TT);
            assertClose(run(loaded, ids), run(block, ids), 0);
        }
    }

    @Test
    public void noLeaksAndBadIdsAreRejected() {
        FactorizedEmbedding block = embedding(Factorization.TT);
        NDArray ids = manager.create(new long[] {1, 2, 3});
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray before = run(block, ids);
        int count = manager.getManagedArrays().size();
        for (int i = 0; i < 1000; i++) {
            block.forward(ps, new NDList(ids), false).close();
        }
        Assert.assertEquals(manager.getManagedArrays().size(), count);
        assertIllegalArgument(() -> run(block, manager.create(new long[] {60})), "id 60");
        assertIllegalArgument(() -> run(block, manager.create(new long[] {-1})), "id -1");
        assertClose(run(block, ids), before, 0);
        assertIllegalArgument(
                () ->
                        FactorizedEmbedding.builder()
                                .setNumEmbeddings(60)
                                .setEmbeddingDim(12)
                                .optTensorizedShapes(new Shape(7, 8), null)
                                .setRank(Rank.of(2))
                                .build(),
                "vocabulary shape (7, 8)");
    }
}
