package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.lowrank4j.decompose.Parafac;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * NaN or infinite values in weights, biases, calibration data or options are refused with where
 * they are named, and nothing is changed.
 */
public class NonFiniteValuesTest extends EngineTestBase {

    private NDArray poisoned(NDArray a, float value) {
        NDArray copy = a.duplicate();
        copy.set(new NDIndex("0"), value);
        return copy;
    }

    private FactorizedConv<?> conv(Factorization f) {
        FactorizedConv<?> conv =
                FactorizedConv.builder()
                        .setInChannels(4)
                        .setOutChannels(5)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optSeed(3)
                        .build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(2, 4, 6, 6));
        return conv;
    }

    private <T extends FactorizedTensor> void refusesPoisonedDecomposition(FactorizedConv<T> conv) {
        T copy = conv.getDecomposition();
        copy.getArrays().get(0).muli(Float.NaN);
        assertRefusedUnchanged(conv, () -> conv.initFromDecomposition(copy, null), "factor 0");
    }

    @Test
    public void factorizedConvRefusesNonFiniteKernelsBiasesAndStd() {
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            FactorizedConv<?> conv = conv(f);
            NDArray kernel = randn(1, DataType.FLOAT32, 5, 4, 3, 3);
            NDArray bias = randn(2, DataType.FLOAT32, 5);
            assertRefusedUnchanged(
                    conv,
                    () -> conv.initFromTensor(poisoned(kernel, Float.NaN), bias),
                    "kernel of shape (5, 4, 3, 3) holds NaN or infinite values");
            assertRefusedUnchanged(
                    conv,
                    () -> conv.initFromTensor(poisoned(kernel, Float.POSITIVE_INFINITY), bias),
                    "kernel");
            assertRefusedUnchanged(
                    conv,
                    () -> conv.initFromTensor(kernel, poisoned(bias, Float.NaN)),
                    "bias of shape (5) holds NaN");
            assertRefusedUnchanged(
                    conv,
                    () -> conv.initFromTensor(kernel, poisoned(bias, Float.NEGATIVE_INFINITY)),
                    "bias");
            refusesPoisonedDecomposition(conv);
            assertRefusedUnchanged(conv, () -> conv.initFromRandom(false, Double.NaN), "std NaN");
            assertRefusedUnchanged(
                    conv,
                    () -> conv.initFromRandom(true, Double.POSITIVE_INFINITY),
                    "std Infinity");
        }
    }

    @Test
    public void blocksBuiltFromTrainedLayersRefuseNonFiniteWeights() {
        Conv2d dense = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build();
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        NDArray weight = dense.getParameters().get("weight").getArray();
        weight.set(new NDIndex("1, 2"), Float.NaN);
        assertRefusedUnchanged(
                dense,
                () ->
                        FactorizedConv.fromConv(
                                dense,
                                Rank.fraction(0.5),
                                Factorization.CP,
                                ConvImplementation.AUTO,
                                true),
                "kernel");
        assertRefusedUnchanged(
                dense, () -> LowRankConv.fromConv(dense, null, 2), "weight of the convolution");

        Conv2d withBadBias = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build();
        withBadBias.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        withBadBias.getParameters().get("bias").getArray().addi(Float.POSITIVE_INFINITY);
        assertRefusedUnchanged(
                withBadBias,
                () ->
                        FactorizedConv.fromConv(
                                withBadBias,
                                Rank.fraction(0.5),
                                Factorization.TT,
                                ConvImplementation.AUTO,
                                true),
                "bias");
        assertRefusedUnchanged(
                withBadBias,
                () -> LowRankConv.fromConv(withBadBias, null, 2),
                "bias of the convolution");

        Linear linear = Linear.builder().setUnits(6).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
        linear.getParameters().get("weight").getArray().muli(Float.NaN);
        assertRefusedUnchanged(
                linear,
                () -> FactorizedLinear.fromLinear(linear, Rank.same(), Factorization.TUCKER),
                "weight of linear layer 0");
        assertRefusedUnchanged(
                linear, () -> LowRankLinear.fromLinear(linear, null, 2), "weight of the linear");

        Linear badBias = Linear.builder().setUnits(6).build();
        badBias.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
        badBias.getParameters().get("bias").getArray().addi(Float.NaN);
        assertRefusedUnchanged(
                badBias,
                () -> FactorizedLinear.fromLinear(badBias, Rank.same(), Factorization.CP),
                "bias of linear layer 0");
        assertRefusedUnchanged(
                badBias, () -> LowRankLinear.fromLinear(badBias, null, 2), "bias of the linear");

        NDArray table = randn(3, DataType.FLOAT32, 20, 6);
        table.set(new NDIndex("3, 4"), Float.NaN);
        assertIllegalArgument(
                () ->
                        FactorizedEmbedding.fromTable(
                                table, null, null, Rank.fraction(0.5), Factorization.TT),
                "embedding table of shape (20, 6) holds NaN");
    }

    @Test
    public void optionsAndCalibrationDataMustBeFinite() {
        assertIllegalArgument(
                () -> FactorizedLinear.builder().optInitStd(Double.NaN), "init std NaN");
        assertIllegalArgument(
                () -> FactorizedLinear.builder().optInitStd(Double.POSITIVE_INFINITY),
                "init std Infinity");
        assertIllegalArgument(
                () ->
                        FactorizedEmbedding.builder()
                                .setNumEmbeddings(20)
                                .setEmbeddingDim(6)
                                .setRank(Rank.fraction(0.5))
                                .optInitStd(Double.NaN)
                                .build(),
                "init std NaN");

        Linear linear = Linear.builder().setUnits(6).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
        NDArray x = randn(4, DataType.FLOAT32, 32, 12);
        x.set(new NDIndex("5, 7"), Float.NaN);
        assertRefusedUnchanged(
                linear, () -> LowRankLinear.fromLinear(linear, x, 3), "holds NaN or infinite");

        Conv2d dense = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build();
        dense.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        NDArray images = randn(5, DataType.FLOAT32, 3, 4, 8, 8);
        images.set(new NDIndex("0, 0, 0, 0"), Float.POSITIVE_INFINITY);
        assertRefusedUnchanged(
                dense, () -> LowRankConv.fromConv(dense, images, 2), "holds NaN or infinite");

        NDArray w = randn(6, DataType.FLOAT32, 12, 6);
        NDArray y = randn(7, DataType.FLOAT32, 32, 6);
        NDArray clean = randn(8, DataType.FLOAT32, 32, 12);
        assertIllegalArgument(
                () -> LowRankFit.factorizeMatrix(clean, y, poisoned(w, Float.NaN), null, null, 2),
                "Wa of shape (12, 6) holds NaN");

        NDArray tensor = randn(9, DataType.FLOAT32, 4, 5, 6);
        tensor.set(new NDIndex("1, 1, 1"), Float.NaN);
        assertIllegalArgument(
                () -> Parafac.builder().setRank(3).build().fit(tensor),
                "tensor of shape (4, 5, 6)");

        // calibration batches through the factorizer: refused, the model unchanged
        SequentialBlock mlp = new SequentialBlock();
        mlp.add(Linear.builder().setUnits(16).build());
        mlp.add(Linear.builder().setUnits(16).build());
        mlp.initialize(manager, DataType.FLOAT32, new Shape(4, 12));
        NDArray bad = randn(10, DataType.FLOAT32, 8, 12);
        bad.set(new NDIndex("2, 3"), Float.NaN);
        List<Block> children = mlp.getChildren().values();
        assertRefusedUnchanged(
                mlp,
                () ->
                        Factorizer.builder()
                                .setPolicy(
                                        FactorizePolicy.builder()
                                                .setRank(Rank.fraction(0.5))
                                                .optOnlyIfCheaper(false)
                                                .build())
                                .optCalibration(List.of(new NDList(bad)))
                                .build()
                                .factorize(mlp),
                "calibration input");
        Assert.assertEquals(mlp.getChildren().values(), children, "layers swapped");
    }
}
