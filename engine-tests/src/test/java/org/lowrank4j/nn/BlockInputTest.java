package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Inputs a block cannot take are refused by the block itself, with the value and what is accepted
 * named, before the engine sees them; the block answers correctly afterwards.
 */
public class BlockInputTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT
    };

    private NDArray forward(Block block, NDArray... inputs) {
        return block.forward(new ParameterStore(manager, false), new NDList(inputs), false)
                .singletonOrThrow();
    }

    private FactorizedConv<?> conv(Factorization f, int layers) {
        FactorizedConv<?> conv =
                FactorizedConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optLayers(layers)
                        .optSeed(3)
                        .build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(2, 4, 6, 6));
        return conv;
    }

    /** Runs {@code bad}, expects the refusal, and checks the block still gives its old output. */
    private void refusedThenSound(Block block, NDList good, Runnable bad, String text) {
        NDArray before = forward(block, good.toArray(new NDArray[0]));
        assertRefusedUnchanged(block, bad, text);
        Assert.assertEquals(
                forward(block, good.toArray(new NDArray[0])).toFloatArray(),
                before.toFloatArray(),
                "output changed after a refused input on " + engine());
    }

    @Test
    public void factorizedConvRefusesInputsItCannotTake() {
        for (Factorization f : FORMATS) {
            FactorizedConv<?> conv = conv(f, 1);
            NDList good = new NDList(randn(1, DataType.FLOAT32, 2, 4, 6, 6));
            NDArray x64 = randn(1, DataType.FLOAT64, 2, 4, 6, 6);
            refusedThenSound(conv, good, () -> forward(conv, x64), "float64");
            NDArray xInt = randn(1, DataType.FLOAT32, 2, 4, 6, 6).toType(DataType.INT32, false);
            refusedThenSound(conv, good, () -> forward(conv, xInt), "int32");
            NDArray wrongChannels = randn(2, DataType.FLOAT32, 2, 3, 6, 6);
            refusedThenSound(conv, good, () -> forward(conv, wrongChannels), "(2, 3, 6, 6)");
            NDArray wrongOrder = randn(2, DataType.FLOAT32, 2, 4, 6);
            refusedThenSound(conv, good, () -> forward(conv, wrongOrder), "(2, 4, 6)");
            refusedThenSound(
                    conv,
                    good,
                    () -> conv.getOutputShapes(new Shape[] {new Shape(1, 3)}),
                    "(1, 3)");
            refusedThenSound(
                    conv,
                    good,
                    () -> conv.chooseImplementation(new Shape(0, 4, 6, 6), false),
                    "(0, 4, 6, 6)");
            refusedThenSound(
                    conv,
                    good,
                    () -> forward(conv, good.get(0), manager.create(0L)),
                    "not accepted by a one-layer convolution");
        }
    }

    @Test
    public void layeredConvRefusesFractionalAndOutOfRangeIndices() {
        FactorizedConv<?> conv = conv(Factorization.CP, 3);
        NDArray x = randn(1, DataType.FLOAT32, 2, 4, 6, 6);
        NDList good = new NDList(x, manager.create(new long[] {1}));
        refusedThenSound(
                conv, good, () -> forward(conv, x, manager.create(new float[] {1.7f})), "1.7");
        refusedThenSound(
                conv,
                good,
                () -> forward(conv, x, manager.create(new long[] {3})),
                "layer index 3");
        refusedThenSound(
                conv, good, () -> forward(conv, x, manager.create(new long[] {-1})), "index -1");
        refusedThenSound(conv, good, () -> forward(conv, x), "1 array(s)");
        // a whole number in a float array is a valid index
        Assert.assertEquals(
                forward(conv, x, manager.create(new float[] {1f})).toFloatArray(),
                forward(conv, x, manager.create(new long[] {1})).toFloatArray());
    }

    @Test
    public void uninitialisedBlocksSayWhatToCall() {
        FactorizedConv<?> conv =
                FactorizedConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(Factorization.TUCKER)
                        .setRank(Rank.fraction(0.5))
                        .build();
        NDArray x = randn(1, DataType.FLOAT32, 2, 4, 6, 6);
        assertIllegalState(() -> forward(conv, x), "call initialize");
        FactorizedLinear linear =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(2, 3))
                        .setOutTensorizedFeatures(new Shape(2, 2))
                        .setFactorization(Factorization.TT)
                        .setRank(Rank.same())
                        .build();
        assertIllegalState(
                () -> forward(linear, randn(2, DataType.FLOAT32, 3, 6)), "call initialize");
        FactorizedEmbedding embedding =
                FactorizedEmbedding.builder()
                        .setNumEmbeddings(60)
                        .setEmbeddingDim(12)
                        .setRank(Rank.fraction(0.5))
                        .build();
        assertIllegalState(
                () -> forward(embedding, manager.create(new long[] {1, 2})), "call initialize");
        LowRankLinear lowRank = LowRankLinear.builder().setUnits(4).setRank(2).build();
        assertIllegalState(
                () -> forward(lowRank, randn(3, DataType.FLOAT32, 2, 6)), "call initialize");
    }

    @Test
    public void factorizedLinearRefusesInputsItCannotTake() {
        for (Factorization f : FORMATS) {
            FactorizedLinear linear =
                    FactorizedLinear.builder()
                            .setInTensorizedFeatures(new Shape(2, 3, 2))
                            .setOutTensorizedFeatures(new Shape(2, 2, 2))
                            .setFactorization(f)
                            .setRank(Rank.fraction(0.5))
                            .optLayers(2)
                            .optSeed(4)
                            .build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(3, 12));
            NDArray x = randn(5, DataType.FLOAT32, 3, 12);
            NDList good = new NDList(x, manager.create(new long[] {0}));
            refusedThenSound(
                    linear,
                    good,
                    () -> forward(linear, randn(5, DataType.FLOAT64, 3, 12), good.get(1)),
                    "float64");
            refusedThenSound(
                    linear,
                    good,
                    () -> forward(linear, randn(5, DataType.FLOAT32, 3, 13), good.get(1)),
                    "(3, 13)");
            refusedThenSound(
                    linear,
                    good,
                    () -> forward(linear, x, manager.create(new double[] {0.5})),
                    "0.5");
            refusedThenSound(
                    linear,
                    good,
                    () -> forward(linear, x, manager.create(new long[] {2})),
                    "layer index 2");
            refusedThenSound(linear, good, () -> forward(linear, x), "layer index");
            refusedThenSound(linear, good, () -> linear.chooseImplementation(0, false), "batch 0");
            refusedThenSound(
                    linear,
                    good,
                    () -> linear.getOutputShapes(new Shape[] {new Shape(1, 3)}),
                    "(1, 3)");
        }
    }

    @Test
    public void embeddingRefusesIdsThatAreNotRowsOfTheTable() {
        FactorizedEmbedding embedding =
                FactorizedEmbedding.builder()
                        .setNumEmbeddings(60)
                        .setEmbeddingDim(12)
                        .setRank(Rank.fraction(0.5))
                        .optSeed(5)
                        .build();
        embedding.initialize(manager, DataType.FLOAT32, new Shape(1));
        NDList good = new NDList(manager.create(new long[] {3, 59}));
        refusedThenSound(
                embedding,
                good,
                () -> forward(embedding, manager.create(new float[] {3f, 1.5f})),
                "1.5");
        refusedThenSound(
                embedding, good, () -> forward(embedding, manager.create(new long[] {60})), "60");
        refusedThenSound(
                embedding, good, () -> forward(embedding, manager.create(new int[] {-1})), "-1");
        refusedThenSound(
                embedding,
                good,
                () -> forward(embedding, manager.create(new boolean[] {true})),
                "boolean");
        // whole numbers in a float array are valid ids, as DJL's Embedding takes them
        Assert.assertEquals(
                forward(embedding, manager.create(new float[] {3f, 59f})).toFloatArray(),
                forward(embedding, good.get(0)).toFloatArray());
    }

    @Test
    public void lowRankBlocksRefuseInputsTheyCannotTake() {
        Conv2d dense = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build();
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        LowRankConv conv = LowRankConv.fromConv(dense, null, 2);
        NDList good = new NDList(randn(1, DataType.FLOAT32, 2, 4, 8, 8));
        refusedThenSound(
                conv, good, () -> forward(conv, randn(1, DataType.FLOAT64, 2, 4, 8, 8)), "float64");
        refusedThenSound(
                conv,
                good,
                () -> forward(conv, randn(1, DataType.FLOAT32, 2, 5, 8, 8)),
                "(2, 5, 8, 8)");
        refusedThenSound(
                conv, good, () -> forward(conv, randn(1, DataType.FLOAT32, 2, 4, 8)), "(2, 4, 8)");
        refusedThenSound(
                conv, good, () -> conv.getOutputShapes(new Shape[] {new Shape(1, 3)}), "(1, 3)");

        Linear denseLinear = Linear.builder().setUnits(6).build();
        denseLinear.initialize(manager, DataType.FLOAT32, new Shape(1, 10));
        LowRankLinear linear = LowRankLinear.fromLinear(denseLinear, null, 3);
        NDList goodRows = new NDList(randn(2, DataType.FLOAT32, 4, 10));
        refusedThenSound(
                linear,
                goodRows,
                () -> forward(linear, randn(2, DataType.FLOAT64, 4, 10)),
                "float64");
        refusedThenSound(
                linear,
                goodRows,
                () -> forward(linear, randn(2, DataType.FLOAT32, 4, 9)),
                "(4, 9)");
        refusedThenSound(
                linear,
                goodRows,
                () -> linear.getOutputShapes(new Shape[] {new Shape(1, 7)}),
                "(1, 7)");
    }
}
