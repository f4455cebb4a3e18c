package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Several convolutions parametrised by one factorized tensor. */
public class LayersTest extends EngineTestBase {

    private ParameterStore store() {
        return new ParameterStore(manager, false);
    }

    @Test
    public void everyLayerIsTheConvolutionOfItsKernelSlice() {
        for (Factorization f : FactorizedConvTest.FORMATS) {
            for (int order = 1; order <= 2; order++) {
                FactorizedConv<?> conv =
                        FactorizedConvTest.anisotropic(f, order).optLayers(3).build();
                Shape in = FactorizedConvTest.input(order);
                conv.initialize(manager, DataType.FLOAT32, in);
                Assert.assertEquals(conv.getLayers(), 3);
                NDArray bias = randn(9, DataType.FLOAT32, 3, 5);
                FactorizedConvTest.setBias(conv, bias);
                NDArray kernels = conv.reconstructKernel();
                Assert.assertEquals(kernels.getShape().get(0), 3);
                NDArray x = randn(2, DataType.FLOAT32, in.getShape());
                for (int layer = 0; layer < 3; layer++) {
                    NDArray expected =
                            ConvOps.conv(
                                    x,
                                    kernels.get(layer),
                                    bias.get(layer),
                                    conv.getStride(),
                                    conv.getPadding(),
                                    conv.getDilation(),
                                    1);
                    NDArray index = manager.create(layer);
                    for (ConvImplementation impl : ConvImplementation.values()) {
                        if (impl == ConvImplementation.MOBILENET && f != Factorization.CP) {
                            continue;
                        }
                        conv.setImplementation(impl);
                        NDArray y = conv.forward(store(), new NDList(x, index), false).head();
                        assertClose(y, expected, 1e-5);
                    }
                    // an int64 index stays the caller's
                    NDArray longIndex = manager.create((long) layer);
                    conv.forward(store(), new NDList(x, longIndex), false).close();
                    Assert.assertEquals(longIndex.toLongArray()[0], layer);
                    LayerConv view = conv.getConv(layer);
                    assertClose(view.forward(store(), new NDList(x), false).head(), expected, 1e-5);
                    Assert.assertEquals(
                            view.getOutputShapes(new Shape[] {in})[0], expected.getShape());
                }
                assertIllegalArgument(() -> conv.getConv(3), "layer index 3 is out of range");
                assertIllegalArgument(
                        () -> conv.forward(store(), new NDList(x, manager.create(-1)), false),
                        "layer index -1");
                assertIllegalArgument(
                        () -> conv.forward(store(), new NDList(x), false), "layer index array");
            }
        }
    }

    @Test
    public void viewsOfOneBlockTrainTogether() throws Exception {
        FactorizedConv<?> shared =
                FactorizedConv.builder()
                        .setInChannels(3)
                        .setOutChannels(3)
                        .setKernelSize(3)
                        .setOrder(2)
                        .setFactorization(Factorization.CP)
                        .setRank(Rank.of(6))
                        .optPadding(new Shape(1, 1))
                        .optLayers(2)
                        .optSeed(2)
                        .build();
        ai.djl.nn.SequentialBlock net =
                new ai.djl.nn.SequentialBlock().add(shared.getConv(0)).add(shared.getConv(1));
        try (ai.djl.Model model = ai.djl.Model.newInstance("views")) {
            model.setBlock(net);
            NDArray x = model.getNDManager().randomNormal(new Shape(16, 3, 6, 6));
            NDArray y = x.mul(0.5);
            ai.djl.training.DefaultTrainingConfig config =
                    new ai.djl.training.DefaultTrainingConfig(ai.djl.training.loss.Loss.l2Loss())
                            .optOptimizer(
                                    ai.djl.training.optimizer.Optimizer.adam()
                                            .optLearningRateTracker(
                                                    ai.djl.training.tracker.Tracker.fixed(0.02f))
                                            .build());
            try (ai.djl.training.Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(16, 3, 6, 6));
                double first = 0;
                double last = 0;
                for (int step = 0; step < 40; step++) {
                    try (ai.djl.training.GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray pred = trainer.forward(new NDList(x)).head();
                        NDArray loss =
                                ai.djl.training.loss.Loss.l2Loss()
                                        .evaluate(new NDList(y), new NDList(pred));
                        gc.backward(loss);
                        if (step == 0) {
                            first = loss.getFloat();
                        }
                        last = loss.getFloat();
                    }
                    trainer.step();
                }
                Assert.assertTrue(
                        last < 0.5 * first, "loss " + first + " -> " + last + " on " + engine());
            }
        }
    }

    @Test
    public void fromConvListFactorizesJointlyAndSavesTheLayerCount()
            throws IOException, MalformedModelException {
        List<Conv2d> convs = new ArrayList<>();
        Shape in = new Shape(2, 4, 9, 7);
        for (int i = 0; i < 3; i++) {
            Conv2d c =
                    Conv2d.builder()
                            .setKernelShape(new Shape(3, 2))
                            .setFilters(5)
                            .optStride(new Shape(2, 1))
                            .optPadding(new Shape(1, 0))
                            .optDilation(new Shape(2, 1))
                            .build();
            c.initialize(manager, DataType.FLOAT32, in);
            c.getParameters().get("bias").getArray().addi(i + 1);
            convs.add(c);
        }
        NDArray x = randn(4, DataType.FLOAT32, in.getShape());
        FactorizedConv<?> joint =
                FactorizedConv.fromConvList(
                        convs,
                        Rank.of(1000),
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        true);
        Assert.assertEquals(joint.getLayers(), 3);
        for (int i = 0; i < 3; i++) {
            NDArray expected = convs.get(i).forward(store(), new NDList(x), false).head();
            assertClose(
                    joint.getConv(i).forward(store(), new NDList(x), false).head(), expected, 1e-4);
        }
        // a block set up by initFromTensor alone saves and loads too
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        joint.saveParameters(new DataOutputStream(bytes));
        FactorizedConv<?> reloaded =
                FactorizedConv.fromConvList(
                        convs,
                        Rank.of(1000),
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        false);
        reloaded.loadParameters(
                manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        NDArray index = manager.create(2);
        Assert.assertEquals(
                reloaded.forward(store(), new NDList(x, index), false).head().toFloatArray(),
                joint.forward(store(), new NDList(x, index), false).head().toFloatArray());
        FactorizedConv<?> one =
                FactorizedConv.fromConv(
                        convs.get(0),
                        Rank.of(1000),
                        Factorization.TUCKER,
                        ConvImplementation.FACTORIZED,
                        false);
        MalformedModelException e =
                Assert.expectThrows(
                        MalformedModelException.class,
                        () ->
                                one.loadParameters(
                                        manager,
                                        new DataInputStream(
                                                new ByteArrayInputStream(bytes.toByteArray()))));
        Assert.assertTrue(e.getMessage().contains("layers=3"), e.getMessage());

        Conv2d other = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(5).build();
        other.initialize(manager, DataType.FLOAT32, in);
        convs.add(other);
        assertIllegalArgument(
                () ->
                        FactorizedConv.fromConvList(
                                convs,
                                Rank.same(),
                                Factorization.CP,
                                ConvImplementation.FACTORIZED,
                                true),
                "convolution 3");
        assertIllegalArgument(
                () ->
                        FactorizedConv.fromConvList(
                                new ArrayList<Conv2d>(),
                                Rank.same(),
                                Factorization.CP,
                                ConvImplementation.FACTORIZED,
                                true),
                "at least one");
        assertIllegalArgument(
                () -> FactorizedConvTest.anisotropic(Factorization.CP, 2).optLayers(0).build(),
                "layers 0");
    }
}
