package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * DJL's transformer blocks keep their layers in fields: the factorizer rewrites the field and the
 * child together for the DJL types it knows, keeps tied layers one block, and still refuses
 * containers it does not know.
 */
public class TransformerBlocksTest extends EngineTestBase {

    private static final Shape SEQUENCE = new Shape(2, 5, 32);

    private static final String ATTENTION = "01selfAttention";

    private Block encoder() {
        return initialised(new TransformerEncoderBlock(32, 4, 64, 0f, Activation::gelu), SEQUENCE);
    }

    private static FactorizeReport factorize(Block block, LayerMethod method, Rank rank) {
        return Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(rank)
                                .optLinearMethod(method)
                                .optOnlyIfCheaper(false)
                                .build())
                .build()
                .factorize(block);
    }

    private static NDList run(Block block, NDList inputs) {
        return block.forward(new ParameterStore(inputs.head().getManager(), false), inputs, false);
    }

    /** Every block of a tree, depth first. */
    private static List<Block> all(Block root) {
        List<Block> out = new ArrayList<>();
        out.add(root);
        for (Block child : root.getChildren().values()) {
            out.addAll(all(child));
        }
        return out;
    }

    private static byte[] saved(Block block) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        block.saveParameters(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private void load(Block block, byte[] bytes) throws Exception {
        block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(bytes)));
    }

    @Test
    public void everyLinearOfAnEncoderBlockIsSwappedAndFullRankKeepsItsOutputs() {
        LayerMethod[] methods = {
            LayerMethods.lowRank(),
            LayerMethods.forLinear(Factorization.TUCKER),
            LayerMethods.forLinear(Factorization.TT)
        };
        for (LayerMethod method : methods) {
            Block block = encoder();
            NDArray x = randn(3, DataType.FLOAT32, SEQUENCE.getShape());
            NDArray expected = infer(block, x);
            FactorizeReport report = factorize(block, method, Rank.of(100000));
            Assert.assertEquals(report.getSwapped().size(), 6, method + "\n" + report);
            Assert.assertTrue(report.getRefusedBlocks().isEmpty(), report.toString());
            assertClose(infer(block, x), expected, 1e-5);
            ScaledDotProductAttentionBlock attention =
                    (ScaledDotProductAttentionBlock) block.getChildren().get(ATTENTION);
            // the fields the attention block computes with point at the factorized layers
            for (Linear field :
                    List.of(
                            attention.getKeyProjection(),
                            attention.getQueryProjection(),
                            attention.getValueProjection(),
                            attention.getResultProjection())) {
                Assert.assertNotEquals(field.getClass(), Linear.class, method.getName());
                Assert.assertTrue(field.getDirectParameters().isEmpty(), method.getName());
            }
            for (Block b : all(block)) {
                Assert.assertNotEquals(b.getClass(), Linear.class, method + ": a dense layer left");
            }
        }
    }

    @Test
    public void theLayersInsideAnEncoderBlockAreCountedWithTheirInputShapes() {
        Block block = encoder();
        LayerCost key = null;
        LayerCost hidden = null;
        for (LayerCost c : CostCounter.layers(block, SEQUENCE)) {
            if (c.getPath().equals(ATTENTION + "/01keyProjection")) {
                key = c;
            } else if (c.getPath().equals("03outputBlock/01Linear")) {
                hidden = c;
            }
        }
        Assert.assertNotNull(key);
        Assert.assertNotNull(hidden);
        Assert.assertEquals(key.getInputShapes()[0], SEQUENCE);
        Assert.assertEquals(key.getCost().getParameters(), 32 * 32 + 32);
        Assert.assertEquals(key.getCost().getFlops(), 10 * (32 * 32 + 32));
        Assert.assertEquals(hidden.getOutputShapes()[0], new Shape(2, 5, 64));
        long params = 0;
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : block.getParameters()) {
            params += p.getValue().getArray().size();
        }
        Assert.assertEquals(CostCounter.count(block, SEQUENCE).getParameters(), params);
    }

    @Test
    public void aFactorizedEncoderRestoresLoadsAndExports() throws Exception {
        Block block = encoder();
        NDArray x = randn(4, DataType.FLOAT32, SEQUENCE.getShape());
        FactorizeReport report = factorize(block, LayerMethods.lowRank(), Rank.fraction(0.3));
        Assert.assertEquals(report.getSwapped().size(), 6, report.toString());
        NDArray factorized = infer(block, x);
        byte[] parameters = saved(block);

        // a fresh encoder, the plan restored, the parameters loaded: the same outputs exactly
        Block fresh = new TransformerEncoderBlock(32, 4, 64, 0f, Activation::gelu);
        Factorizer.restore(fresh, report.getPlan());
        load(fresh, parameters);
        Assert.assertEquals(
                infer(fresh, x).toFloatArray(),
                factorized.toFloatArray(),
                "restored on " + engine());
        Assert.assertEquals(Factorizer.plan(fresh).toJson(), report.getPlan().toJson());

        // exported: plain DJL layers only, Linear fields hold a Linear of the same function
        Factorizer.toStandardBlocks(block);
        for (Block b : all(block)) {
            Assert.assertFalse(b instanceof LowRankLinear, "a factorized layer left: " + b);
            Assert.assertTrue(
                    !(b instanceof Linear) || b.getClass() == Linear.class,
                    "a slot left: " + b.getClass());
        }
        ScaledDotProductAttentionBlock attention =
                (ScaledDotProductAttentionBlock) block.getChildren().get(ATTENTION);
        Assert.assertSame(
                attention.getKeyProjection(), attention.getChildren().get("01keyProjection"));
        assertClose(infer(block, x), factorized, 1e-5);
    }

    @Test
    public void aSmallBertBlockIsFactorizedAndRestored() throws Exception {
        BertBlock bert =
                BertBlock.builder()
                        .setTokenDictionarySize(40)
                        .optTypeDictionarySize(2)
                        .optEmbeddingSize(32)
                        .optTransformerBlockCount(2)
                        .optAttentionHeadCount(4)
                        .optHiddenSize(64)
                        .optMaxSequenceLength(6)
                        .build();
        Shape ids = new Shape(2, 6);
        bert.initialize(manager, DataType.FLOAT32, ids, ids, ids);
        NDList inputs =
                new NDList(
                        manager.arange(12f).reshape(2, 6).mul(3f),
                        manager.zeros(ids),
                        manager.ones(ids));
        NDList expected = run(bert, inputs);
        FactorizeReport report = factorize(bert, LayerMethods.lowRank(), Rank.of(100000));
        // six layers in each of two encoder blocks, and the pooling projection
        Assert.assertEquals(report.getSwapped().size(), 13, report.toString());
        NDList actual = run(bert, inputs);
        assertClose(actual.get(0), expected.get(0), 1e-5);
        assertClose(actual.get(1), expected.get(1), 1e-5);

        BertBlock fresh =
                BertBlock.builder()
                        .setTokenDictionarySize(40)
                        .optTypeDictionarySize(2)
                        .optEmbeddingSize(32)
                        .optTransformerBlockCount(2)
                        .optAttentionHeadCount(4)
                        .optHiddenSize(64)
                        .optMaxSequenceLength(6)
                        .build();
        Factorizer.restore(fresh, report.getPlan());
        load(fresh, saved(bert));
        Assert.assertEquals(run(fresh, inputs).get(1).toFloatArray(), actual.get(1).toFloatArray());
    }

    @Test
    public void aLayerUsedTwiceStaysOneBlock() throws Exception {
        Linear shared = Linear.builder().setUnits(24).build();
        Block net =
                initialised(
                        new SequentialBlock()
                                .add(shared)
                                .add(Activation.reluBlock())
                                .add(shared)
                                .add(Linear.builder().setUnits(5).build()),
                        new Shape(3, 24));
        NDArray x = randn(5, DataType.FLOAT32, 3, 24);
        NDArray expected = infer(net, x);
        for (LayerMethod method :
                List.of(LayerMethods.lowRank(), LayerMethods.forLinear(Factorization.TUCKER))) {
            Block block = initialisedCopy(net, new Shape(3, 24));
            FactorizeReport report = factorize(block, method, Rank.of(100000));
            Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
            PairList<String, Block> children = block.getChildren();
            Assert.assertSame(children.valueAt(0), children.valueAt(2), "the tie is lost");
            Assert.assertTrue(
                    children.valueAt(0) instanceof LowRankLinear
                            || children.valueAt(0) instanceof FactorizedLinear);
            assertClose(infer(block, x), expected, 1e-5);
            Assert.assertEquals(report.getPlan().getEntries().size(), 2);

            Block fresh = tiedNet();
            Factorizer.restore(fresh, report.getPlan());
            Assert.assertSame(fresh.getChildren().valueAt(0), fresh.getChildren().valueAt(2));
            load(fresh, saved(block));
            Assert.assertEquals(infer(fresh, x).toFloatArray(), infer(block, x).toFloatArray());

            Factorizer.toStandardBlocks(block);
            Assert.assertSame(block.getChildren().valueAt(0), block.getChildren().valueAt(2));
        }
    }

    private static Block tiedNet() {
        Linear shared = Linear.builder().setUnits(24).build();
        return new SequentialBlock()
                .add(shared)
                .add(Activation.reluBlock())
                .add(shared)
                .add(Linear.builder().setUnits(5).build());
    }

    /** A tied net with the parameters of another one. */
    private Block initialisedCopy(Block source, Shape input) throws Exception {
        Block copy = tiedNet();
        copy.initialize(manager, DataType.FLOAT32, input);
        load(copy, saved(source));
        return copy;
    }

    @Test
    public void aPlanNamingATiedLayerTwiceIsRefused() {
        Block net = tiedNet();
        net.initialize(manager, DataType.FLOAT32, new Shape(3, 24));
        FactorizePlan plan = factorize(net, LayerMethods.lowRank(), Rank.of(4)).getPlan();
        String json = plan.toJson();
        String twice = json.replace("\"01Linear\"", "\"03Linear\"");
        Assert.assertNotEquals(twice, json);
        Block fresh = tiedNet();
        assertIllegalArgument(
                () -> Factorizer.restore(fresh, FactorizePlan.fromJson(twice)),
                "'03Linear' is the block at '01Linear'");
        Assert.assertEquals(fresh.getChildren().valueAt(0).getClass(), Linear.class);
    }

    /** A container that computes with a layer it keeps in a field: not known, so refused. */
    private static final class FieldBlock extends AbstractBlock {
        private final Linear inner;

        FieldBlock() {
            inner = addChildBlock("inner", Linear.builder().setUnits(16).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
            return new NDList(inner.forward(ps, inputs, training).head().mul(2));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inner.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(
                ai.djl.ndarray.NDManager m, DataType type, Shape... shapes) {
            inner.initialize(m, type, shapes);
        }
    }

    @Test
    public void unknownContainersThatForwardThroughFieldsStayRefused() {
        Block net =
                initialised(
                        new SequentialBlock()
                                .add(new FieldBlock())
                                .add(Linear.builder().setUnits(16).build()),
                        new Shape(2, 16));
        FactorizeReport report = factorize(net, LayerMethods.lowRank(), Rank.of(4));
        Assert.assertEquals(report.getSwapped().size(), 1, report.toString());
        Assert.assertEquals(report.getSwapped().get(0).getPath(), "02Linear");
        Assert.assertEquals(report.getRefusedBlocks().size(), 1, report.toString());
        Assert.assertTrue(
                report.getRefusedBlocks().get(0).contains("01FieldBlock (FieldBlock)"),
                report.getRefusedBlocks().toString());

        // a subclass of a known DJL block may forward another way: refused too
        Block sub =
                initialised(
                        new TransformerEncoderBlock(32, 4, 64, 0f, Activation::gelu) {}, SEQUENCE);
        assertIllegalArgument(
                () -> factorize(sub, LayerMethods.lowRank(), Rank.of(4)),
                "forwards through fields and cannot be rewritten");
    }
}
