package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.FactorizedTensor;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Gradients, training, saving and loading, output shapes and array bookkeeping in DJL. */
public class FactorizedConvDjlTest extends EngineTestBase {

    private static FactorizedConvBuilder<?> tiny(Factorization f) {
        return FactorizedConv.builder()
                .setInChannels(2)
                .setOutChannels(3)
                .setKernelShape(new Shape(3, 2))
                .setFactorization(f)
                .setRank(Rank.of(2))
                .optStride(new Shape(2, 1))
                .optPadding(new Shape(1, 0))
                .optDilation(new Shape(2, 1))
                .optSeed(5);
    }

    private static NDArray forward(
            FactorizedConv<?> conv, NDManager m, NDArray x, boolean training) {
        return conv.forward(new ParameterStore(m, false), new NDList(x), training).head();
    }

    /** Loss {@code sum(y ∘ g)}: its gradient wrt the output is {@code g}. */
    private double loss(FactorizedConv<?> conv, NDArray x, NDArray g) {
        try (NDArray y = forward(conv, manager, x, false);
                NDArray p = y.mul(g);
                NDArray s = p.sum()) {
            return s.getDouble();
        }
    }

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    public void gradientsMatchFiniteDifferences() {
        Shape in = new Shape(2, 2, 6, 5);
        for (Factorization f : FactorizedConvTest.FORMATS) {
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                FactorizedConv conv = tiny(f).optImplementation(impl).build();
                conv.initialize(manager, DataType.FLOAT64, in);
                NDArray x = randn(1, DataType.FLOAT64, in.getShape());
                NDArray g =
                        randn(
                                2,
                                DataType.FLOAT64,
                                conv.getOutputShapes(new Shape[] {in})[0].getShape());
                List<double[]> analytic = new ArrayList<>();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = forward(conv, manager, x, true);
                    gc.backward(y.mul(g).sum());
                }
                List<Parameter> params = new ArrayList<>(conv.getParameters().values());
                for (Parameter p : params) {
                    analytic.add(p.getArray().getGradient().toDoubleArray());
                }
                // central differences on entries of every factor (and the bias)
                double h = 1e-6;
                NDArray bias = conv.getBias();
                FactorizedTensor base = conv.getDecomposition();
                List<NDArray> arrays = new ArrayList<>(base.getArrays());
                for (int i = 0; i < params.size(); i++) {
                    boolean isBias = i == arrays.size();
                    NDArray target = isBias ? bias : arrays.get(i);
                    double[] values = target.toDoubleArray();
                    double[] expected = analytic.get(i);
                    // four entries spread over each array keep the test fast
                    int step = Math.max(1, values.length / 4);
                    for (int j = 0; j < values.length; j += step) {
                        double[] plus = values.clone();
                        plus[j] += h;
                        double[] minus = values.clone();
                        minus[j] -= h;
                        double lp = perturbed(conv, base, bias, i, plus, x, g);
                        double lm = perturbed(conv, base, bias, i, minus, x, g);
                        double numeric = (lp - lm) / (2 * h);
                        Assert.assertEquals(
                                expected[j],
                                numeric,
                                1e-6 * (1 + Math.abs(numeric)),
                                f
                                        + " "
                                        + impl
                                        + " "
                                        + params.get(i).getName()
                                        + "["
                                        + j
                                        + "] on "
                                        + engine());
                    }
                }
            }
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private double perturbed(
            FactorizedConv conv,
            FactorizedTensor base,
            NDArray bias,
            int index,
            double[] values,
            NDArray x,
            NDArray g) {
        List<NDArray> arrays = new ArrayList<>(base.getArrays());
        NDArray b = bias;
        NDArray replaced;
        if (index == arrays.size()) {
            replaced = manager.create(values, bias.getShape());
            b = replaced;
        } else {
            replaced = manager.create(values, arrays.get(index).getShape());
            arrays.set(index, replaced);
        }
        FactorizedTensor t = rewrap(base, arrays);
        conv.initFromDecomposition(t, b);
        double l = loss(conv, x, g);
        replaced.close();
        conv.initFromDecomposition(base, bias);
        return l;
    }

    private static FactorizedTensor rewrap(FactorizedTensor like, List<NDArray> arrays) {
        if (like instanceof org.lowrank4j.tensor.CPTensor) {
            return new org.lowrank4j.tensor.CPTensor(
                    arrays.get(0), arrays.subList(1, arrays.size()));
        }
        if (like instanceof org.lowrank4j.tensor.TTTensor) {
            return new org.lowrank4j.tensor.TTTensor(arrays);
        }
        org.lowrank4j.tensor.TuckerTensor t = (org.lowrank4j.tensor.TuckerTensor) like;
        List<NDArray> factors = new ArrayList<>();
        int next = 1;
        for (NDArray factor : t.getFactors()) {
            factors.add(factor == null ? null : arrays.get(next++));
        }
        return new org.lowrank4j.tensor.TuckerTensor(arrays.get(0), factors);
    }

    @Test
    public void trainsInSequentialBlock() throws Exception {
        for (Factorization f : FactorizedConvTest.FORMATS) {
            try (Model model = Model.newInstance("factorized-" + f)) {
                FactorizedConv<?> conv =
                        FactorizedConv.builder()
                                .setInChannels(3)
                                .setOutChannels(4)
                                .setKernelSize(3)
                                .setOrder(2)
                                .setFactorization(f)
                                .setRank(Rank.fraction(0.8))
                                .optPadding(new Shape(1, 1))
                                .optSeed(1)
                                .build();
                SequentialBlock net = new SequentialBlock().add(conv);
                model.setBlock(net);
                NDManager m = model.getNDManager();
                // targets from a fixed dense convolution of random inputs
                NDArray x = m.randomNormal(new Shape(32, 3, 6, 6));
                NDArray teacher = m.randomNormal(0, 0.3f, new Shape(4, 3, 3, 3), DataType.FLOAT32);
                NDArray y =
                        ConvOps.conv(
                                x,
                                teacher,
                                null,
                                new Shape(1, 1),
                                new Shape(1, 1),
                                new Shape(1, 1),
                                1);
                ArrayDataset data =
                        new ArrayDataset.Builder()
                                .setData(x)
                                .optLabels(y)
                                .setSampling(8, false)
                                .build();
                DefaultTrainingConfig config =
                        new DefaultTrainingConfig(Loss.l2Loss())
                                .optOptimizer(
                                        Optimizer.adam()
                                                .optLearningRateTracker(Tracker.fixed(0.02f))
                                                .build());
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(new Shape(8, 3, 6, 6));
                    double first = fullLoss(trainer, x, y);
                    for (int epoch = 0; epoch < 25; epoch++) {
                        for (Batch batch : trainer.iterateDataset(data)) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                            batch.close();
                        }
                    }
                    double last = fullLoss(trainer, x, y);
                    Assert.assertTrue(
                            last < 0.5 * first,
                            f + " loss " + first + " -> " + last + " on " + engine());
                }
            }
        }
    }

    private static double fullLoss(Trainer trainer, NDArray x, NDArray y) {
        try (NDList pred = trainer.evaluate(new NDList(x));
                NDArray loss = Loss.l2Loss().evaluate(new NDList(y), pred)) {
            return loss.getFloat();
        }
    }

    @Test
    public void cachedKernelFollowsTrainingUpdates() {
        Shape in = new Shape(4, 2, 6, 5);
        for (Factorization f : FactorizedConvTest.FORMATS) {
            FactorizedConv<?> conv =
                    tiny(f).optImplementation(ConvImplementation.RECONSTRUCTED).build();
            conv.initialize(manager, DataType.FLOAT32, in);
            NDArray x = randn(1, DataType.FLOAT32, in.getShape());
            NDArray before = forward(conv, manager, x, false);
            // fill the cache of the factorized pipeline's operands too
            conv.setImplementation(ConvImplementation.FACTORIZED);
            assertClose(forward(conv, manager, x, false), before, 1e-5);
            conv.setImplementation(ConvImplementation.RECONSTRUCTED);
            // a plain SGD step on every parameter, in place, as DJL's optimizers do
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(forward(conv, manager, x, true).sum());
            }
            for (Parameter p : conv.getParameters().values()) {
                p.getArray().subi(p.getArray().getGradient().mul(0.1));
            }
            NDArray after = forward(conv, manager, x, false);
            conv.setImplementation(ConvImplementation.FACTORIZED);
            NDArray factorized = forward(conv, manager, x, false);
            assertClose(after, factorized, 1e-5);
            Assert.assertTrue(relError(after, before) > 1e-3, f + " did not change");
        }
    }

    @Test
    public void saveAndLoadRoundTripExactly() throws IOException, MalformedModelException {
        Shape in = new Shape(2, 2, 6, 5);
        for (Factorization f : FactorizedConvTest.FORMATS) {
            FactorizedConv<?> conv =
                    tiny(f).optImplementation(ConvImplementation.RECONSTRUCTED).build();
            conv.initialize(manager, DataType.FLOAT32, in);
            conv.initFromRandom(false, 1.0);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            conv.saveParameters(new DataOutputStream(bytes));

            FactorizedConv<?> loaded = tiny(f).optSeed(99).build();
            loaded.loadParameters(
                    manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            Assert.assertEquals(loaded.getImplementation(), ConvImplementation.RECONSTRUCTED);
            NDArray x = randn(3, DataType.FLOAT32, in.getShape());
            Assert.assertEquals(
                    forward(loaded, manager, x, false).toFloatArray(),
                    forward(conv, manager, x, false).toFloatArray());

            // another configuration is refused with a message naming both
            FactorizedConv<?> other = tiny(f).optPadding(new Shape(0, 0)).build();
            MalformedModelException e =
                    Assert.expectThrows(
                            MalformedModelException.class,
                            () ->
                                    other.loadParameters(
                                            manager,
                                            new DataInputStream(
                                                    new ByteArrayInputStream(
                                                            bytes.toByteArray()))));
            Assert.assertTrue(e.getMessage().contains("padding=(1, 0)"), e.getMessage());
            // a corrupt version byte is refused
            byte[] corrupt = bytes.toByteArray();
            corrupt[0] = 42;
            Assert.expectThrows(
                    MalformedModelException.class,
                    () ->
                            other.loadParameters(
                                    manager,
                                    new DataInputStream(new ByteArrayInputStream(corrupt))));
        }
    }

    @Test
    public void modelSaveAndLoadRoundTrip() throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("lowrank4j-conv");
        Shape in = new Shape(1, 2, 6, 5);
        NDArray x = randn(3, DataType.FLOAT32, in.getShape());
        float[] expected;
        try (Model model = Model.newInstance("tt-conv")) {
            FactorizedConv<?> conv = tiny(Factorization.TT).build();
            model.setBlock(new SequentialBlock().add(conv));
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, in);
            expected = forward(conv, manager, x, false).toFloatArray();
            model.save(dir, "tt-conv");
        }
        try (Model model = Model.newInstance("tt-conv")) {
            FactorizedConv<?> conv = tiny(Factorization.TT).optSeed(1234).build();
            model.setBlock(new SequentialBlock().add(conv));
            model.load(dir, "tt-conv");
            Assert.assertEquals(forward(conv, manager, x, false).toFloatArray(), expected);
        }
    }

    @Test
    public void outputShapesMatchForwardForEveryConfiguration() {
        long[][] strides = {{1}, {2}, {3}};
        for (Factorization f : FactorizedConvTest.FORMATS) {
            for (int order = 1; order <= 3; order++) {
                for (long[] s : strides) {
                    for (long p = 0; p <= 2; p++) {
                        FactorizedConv<?> conv =
                                FactorizedConvTest.anisotropic(f, order)
                                        .optStride(FactorizedConvTest.per(order, s[0], 1))
                                        .optPadding(FactorizedConvTest.per(order, p, 1))
                                        .optBias(p != 1)
                                        .build();
                        Shape in = FactorizedConvTest.input(order);
                        conv.initialize(manager, DataType.FLOAT32, in);
                        NDArray x = manager.ones(in);
                        for (ConvImplementation impl : ConvImplementation.values()) {
                            if (impl == ConvImplementation.MOBILENET && f != Factorization.CP) {
                                continue;
                            }
                            conv.setImplementation(impl);
                            try (NDArray y = forward(conv, manager, x, false)) {
                                Assert.assertEquals(
                                        y.getShape(),
                                        conv.getOutputShapes(new Shape[] {in})[0],
                                        f + " order " + order + " " + impl);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    public void thousandForwardsLeaveNoArrays() {
        Shape in = new Shape(1, 2, 6, 5);
        for (Factorization f : FactorizedConvTest.FORMATS) {
            FactorizedConv<?> conv = tiny(f).build();
            conv.initialize(manager, DataType.FLOAT32, in);
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.ones(in);
                ParameterStore ps = new ParameterStore(batch, false);
                for (ConvImplementation impl : ConvImplementation.values()) {
                    if (impl == ConvImplementation.MOBILENET && f != Factorization.CP) {
                        continue;
                    }
                    conv.setImplementation(impl);
                    // first pass fills the cache of the reconstructed kernel
                    conv.forward(ps, new NDList(x), false).close();
                    int before = manager.getManagedArrays().size();
                    for (int i = 0; i < 1000; i++) {
                        conv.forward(ps, new NDList(x), false).close();
                    }
                    Assert.assertEquals(
                            manager.getManagedArrays().size(),
                            before,
                            f + " " + impl + " on " + engine());
                }
            }
        }
    }
}
