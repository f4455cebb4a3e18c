package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Blocks built from trained layers are initialised and save at once; loading checks that the saved
 * structure is the loading block's and bounds every count the file states.
 */
public class SavedStructureTest extends EngineTestBase {

    private Conv2d denseConv() {
        Conv2d conv =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .optPadding(new Shape(1, 1))
                        .build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(2, 6, 10, 10));
        return conv;
    }

    private Linear denseLinear() {
        Linear linear = Linear.builder().setUnits(8).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(3, 12));
        return linear;
    }

    private NDArray run(Block block, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow();
    }

    /**
     * Saves a block built from a trained layer at once, loads it into a fresh block built by {@code
     * fresh}, and checks the input shapes and outputs.
     */
    private void savesAtOnce(Block built, Shape inputShape, Supplier<Block> fresh, NDArray x)
            throws IOException, MalformedModelException {
        Assert.assertTrue(built.isInitialized(), built + " is not initialised");
        Assert.assertEquals(built.getInputShapes()[0], inputShape, built.toString());
        Path dir = Files.createTempDirectory("saved-structure");
        try (Model model = Model.newInstance("m")) {
            model.setBlock(built);
            model.save(dir, "m");
        }
        try (Model model = Model.newInstance("m")) {
            Block loaded = fresh.get();
            model.setBlock(loaded);
            model.load(dir, "m");
            Assert.assertEquals(loaded.getInputShapes()[0], inputShape);
            Assert.assertEquals(run(loaded, x).toFloatArray(), run(built, x).toFloatArray());
        }
    }

    /** Saves {@code built} and expects loading into {@code other} to be refused naming both. */
    private void refusedOnLoad(Block built, Block other, String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        built.saveParameters(new DataOutputStream(bytes));
        MalformedModelException e =
                Assert.expectThrows(
                        MalformedModelException.class,
                        () ->
                                other.loadParameters(
                                        manager,
                                        new DataInputStream(
                                                new ByteArrayInputStream(bytes.toByteArray()))));
        Assert.assertTrue(e.getMessage().contains(text), e.getMessage());
        Assert.assertTrue(e.getMessage().contains("restore the plan"), e.getMessage());
    }

    @Test
    public void convolutionsBuiltFromTrainedLayersSaveAtOnce() throws Exception {
        Conv2d dense = denseConv();
        NDArray x = randn(1, DataType.FLOAT32, 2, 6, 10, 10);
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            FactorizedConv<?> built =
                    FactorizedConv.fromConv(dense, Rank.of(4), f, ConvImplementation.AUTO, true);
            savesAtOnce(
                    built,
                    new Shape(2, 6, 10, 10),
                    () ->
                            FactorizedConv.builder()
                                    .setInChannels(6)
                                    .setOutChannels(8)
                                    .setKernelShape(new Shape(3, 3))
                                    .setFactorization(f)
                                    .setRank(Rank.of(4))
                                    .optPadding(new Shape(1, 1))
                                    .build(),
                    x);
        }
        LowRankConv lowRank = LowRankConv.fromConv(dense, null, 3);
        savesAtOnce(
                lowRank,
                new Shape(2, 6, 10, 10),
                () ->
                        LowRankConv.builder()
                                .setKernelShape(new Shape(3, 3))
                                .setFilters(8)
                                .setRank(3)
                                .optPadding(new Shape(1, 1))
                                .build(),
                x);
    }

    @Test
    public void linearLayersAndEmbeddingsBuiltFromTrainedOnesSaveAtOnce() throws Exception {
        Linear dense = denseLinear();
        NDArray x = randn(2, DataType.FLOAT32, 3, 12);
        FactorizedLinear built =
                FactorizedLinear.fromLinear(
                        dense, new Shape(3, 4), new Shape(2, 4), Rank.of(3), Factorization.CP);
        savesAtOnce(
                built,
                new Shape(3, 12),
                () ->
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(new Shape(3, 4))
                                .setOutTensorizedFeatures(new Shape(2, 4))
                                .setFactorization(Factorization.CP)
                                .setRank(Rank.of(3))
                                .build(),
                x);
        LowRankLinear lowRank = LowRankLinear.fromLinear(dense, null, 2);
        savesAtOnce(
                lowRank,
                new Shape(3, 12),
                () -> LowRankLinear.builder().setUnits(8).setRank(2).build(),
                x);

        TrainableWordEmbedding embedding =
                new TrainableWordEmbedding(
                        new DefaultVocabulary(List.of("a", "b", "c", "d", "e", "f", "g")), 6);
        embedding.initialize(manager, DataType.FLOAT32, new Shape(4));
        long rows = embedding.getParameters().get("embedding").getArray().getShape().get(0);
        FactorizedEmbedding table =
                FactorizedEmbedding.fromEmbedding(
                        embedding, null, null, Rank.same(), Factorization.TT);
        Assert.assertEquals(table.getInputShapes()[0], new Shape(4));
        NDArray ids = manager.create(new long[] {0, rows - 1});
        savesAtOnce(
                table,
                new Shape(4),
                () ->
                        FactorizedEmbedding.builder()
                                .setNumEmbeddings(rows)
                                .setEmbeddingDim(6)
                                .optFactorization(Factorization.TT)
                                .setRank(Rank.same())
                                .build(),
                ids);
    }

    @Test
    public void loadingIntoAnotherStructureIsRefusedNamingBoth() throws IOException {
        Conv2d dense = denseConv();
        FactorizedConv<?> cp =
                FactorizedConv.fromConv(
                        dense, Rank.of(4), Factorization.CP, ConvImplementation.AUTO, true);
        FactorizedConv<?> otherRank =
                FactorizedConv.builder()
                        .setInChannels(6)
                        .setOutChannels(8)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(5))
                        .optPadding(new Shape(1, 1))
                        .build();
        refusedOnLoad(cp, otherRank, "rank=[5]");
        FactorizedConv<?> otherFormat =
                FactorizedConv.builder()
                        .setInChannels(6)
                        .setOutChannels(8)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(Factorization.TUCKER)
                        .setRank(Rank.of(4))
                        .optPadding(new Shape(1, 1))
                        .build();
        refusedOnLoad(cp, otherFormat, "TUCKER(in=6");

        FactorizedLinear linear =
                FactorizedLinear.fromLinear(
                        denseLinear(),
                        new Shape(3, 4),
                        new Shape(2, 4),
                        Rank.of(3),
                        Factorization.CP);
        refusedOnLoad(
                linear,
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(3, 4))
                        .setOutTensorizedFeatures(new Shape(2, 4))
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(2))
                        .build(),
                "rank=[2]");
        refusedOnLoad(
                LowRankConv.fromConv(dense, null, 3),
                LowRankConv.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .setRank(2)
                        .optPadding(new Shape(1, 1))
                        .build(),
                "rank=2");
        refusedOnLoad(
                LowRankLinear.fromLinear(denseLinear(), null, 2),
                LowRankLinear.builder().setUnits(8).setRank(4).build(),
                "rank=4");
    }

    @Test
    public void damagedMetadataIsRefusedBeforeAllocating() throws IOException {
        FactorizedConv<?> block =
                FactorizedConv.builder()
                        .setInChannels(6)
                        .setOutChannels(8)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(4))
                        .build();
        long start = System.nanoTime();
        assertDamaged(block, 2_000_000_000, -1, "2000000000 input shapes");
        assertDamaged(block, 1, 1_500_000_000, "1500000000 dimensions");
        assertDamaged(
                LowRankLinear.builder().setUnits(8).setRank(4).build(),
                Integer.MAX_VALUE,
                -1,
                "input shapes");
        Assert.assertTrue(System.nanoTime() - start < 1_000_000_000L, "refusal took over 1 s");
    }

    private void assertDamaged(Block block, int shapes, int dims, String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream os = new DataOutputStream(bytes);
        os.writeByte(2);
        os.writeInt(shapes);
        if (dims >= 0) {
            os.writeInt(dims);
        }
        MalformedModelException e =
                Assert.expectThrows(
                        MalformedModelException.class,
                        () ->
                                block.loadParameters(
                                        manager,
                                        new DataInputStream(
                                                new ByteArrayInputStream(bytes.toByteArray()))));
        Assert.assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
