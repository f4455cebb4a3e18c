package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.TuckerConv;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.lowrank4j.testing.Timers;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The factorizer with tensor-format convolutions (CP, Tucker-2, TT). */
public class TensorConvFactorizerTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT
    };
    private static final Shape IMAGE = new Shape(2, 3, 8, 8);

    // ---------------------------------------------------------------------------------------
    // networks and helpers

    private static int count(Block root, Class<?> type) {
        int n = 0;
        for (Block b : Nets.blocks(root).keySet()) {
            if (type.isInstance(b)) {
                n++;
            }
        }
        return n;
    }

    private static long parameterCount(Block block) {
        long total = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            total += p.getValue().getArray().size();
        }
        return total;
    }

    private static FactorizePolicy policy(
            Factorization f, Rank rank, ConvImplementation impl, boolean onlyIfCheaper) {
        return FactorizePolicy.builder()
                .setRank(rank)
                .optLayerTypes(Conv1d.class, Conv2d.class, Conv3d.class)
                .optConvFactorization(f)
                .optImplementation(impl)
                .optOnlyIfCheaper(onlyIfCheaper)
                .build();
    }

    private static String methodName(Factorization f) {
        return "factorized-conv-" + f.name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------------------------------
    // tests

    @Test
    public void resnetSwapsEveryConvolutionAndNothingElse() {
        for (Factorization f : FORMATS) {
            Block net = initialised(Nets.resnet(), IMAGE);
            Map<Block, String> before = Nets.blocks(net);
            int convs = count(net, Convolution.class);
            List<NDArray> others = new ArrayList<>();
            for (Block b : before.keySet()) {
                if (!(b instanceof Convolution) && b.getChildren().isEmpty()) {
                    for (Pair<String, Parameter> p : b.getParameters()) {
                        others.add(p.getValue().getArray());
                    }
                }
            }
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(
                                    policy(f, Rank.fraction(0.5), ConvImplementation.AUTO, false))
                            .build()
                            .factorize(net);
            Assert.assertEquals(report.getSwapped().size(), convs, f + "\n" + report);
            Assert.assertEquals(count(net, Convolution.class), 0, f + ": a dense conv is left");
            Map<Block, String> after = Nets.blocks(net);
            for (Map.Entry<Block, String> e : before.entrySet()) {
                boolean conv = e.getKey() instanceof Convolution;
                Assert.assertEquals(
                        after.containsKey(e.getKey()), !conv, f + ": " + e.getValue() + " changed");
            }
            for (Block b : after.keySet()) {
                if (!before.containsKey(b)) {
                    Assert.assertTrue(b instanceof FactorizedConv, b.toString());
                    FactorizedConv<?> fc = (FactorizedConv<?>) b;
                    Assert.assertEquals(fc.getFactorization(), f);
                    Assert.assertEquals(fc.getImplementation(), ConvImplementation.AUTO);
                    if (f == Factorization.TUCKER) {
                        Assert.assertEquals(
                                ((TuckerConv) fc).getFixedRankModes(), new int[] {2, 3});
                    }
                }
            }
            List<NDArray> kept = new ArrayList<>();
            for (Block b : before.keySet()) {
                if (!(b instanceof Convolution) && b.getChildren().isEmpty()) {
                    for (Pair<String, Parameter> p : b.getParameters()) {
                        kept.add(p.getValue().getArray());
                    }
                }
            }
            Assert.assertEquals(kept.size(), others.size());
            for (int i = 0; i < kept.size(); i++) {
                Assert.assertSame(kept.get(i), others.get(i));
            }
            for (FactorizeReport.Layer l : report.getSwapped()) {
                Assert.assertEquals(l.getMethod(), methodName(f));
                FactorizedConv<?> fc = (FactorizedConv<?>) Nets.at(net, l.getPath());
                Assert.assertEquals(l.getRanks(), fc.getRank());
                Assert.assertTrue(l.getImplementation().startsWith("auto: "), l.toString());
                Assert.assertTrue(l.getWeightError() >= 0 && l.getWeightError() < 1, l.toString());
                Assert.assertTrue(Double.isNaN(l.getOutputNmse()));
            }
        }
    }

    @Test
    public void modelZooResNetIsCompressedEndToEnd() {
        // the model zoo's own ResNetV1 builder: residual ParallelBlocks at several depths
        Block net =
                ResNetV1.builder()
                        .setImageShape(new Shape(1, 12, 12))
                        .setNumLayers(20)
                        .setOutSize(10)
                        .build();
        Shape input = new Shape(2, 1, 12, 12);
        initialised(net, input);
        int convs = count(net, Conv2d.class);
        Assert.assertTrue(convs >= 19, convs + " convolutions in a 20-layer ResNet");
        NDArray x = randn(7, DataType.FLOAT32, input.getShape());
        NDArray expected = infer(net, x);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                policy(
                                        Factorization.TUCKER,
                                        Rank.of(100000),
                                        ConvImplementation.FACTORIZED,
                                        false))
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), convs, report.toString());
        Assert.assertEquals(count(net, Conv2d.class), 0, "a dense convolution is left");
        Assert.assertTrue(report.getRefusedBlocks().isEmpty(), report.toString());
        assertClose(infer(net, x), expected, 1e-4);
    }

    @Test
    public void fullRankTuckerReproducesTheOutputs() {
        Block net = initialised(Nets.resnet(), IMAGE);
        NDArray x = randn(1, DataType.FLOAT32, IMAGE.getShape());
        NDArray expected = infer(net, x);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                policy(
                                        Factorization.TUCKER,
                                        Rank.of(100000),
                                        ConvImplementation.FACTORIZED,
                                        false))
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 6, report.toString());
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Assert.assertEquals(l.getImplementation(), "factorized");
            Assert.assertTrue(l.getWeightError() < 1e-5, l.getPath() + " " + l.getWeightError());
        }
        assertClose(infer(net, x), expected, 1e-4);
    }

    @Test
    public void reportCountsMatchAnIndependentCount() {
        long batch = IMAGE.get(0);
        for (Factorization f : FORMATS) {
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                Block net = initialised(Nets.resnet(), IMAGE);
                long paramsBefore = parameterCount(net);
                FactorizeReport report =
                        Factorizer.builder()
                                .setPolicy(policy(f, Rank.fraction(0.5), impl, false))
                                .build()
                                .factorize(net);
                String what = f + " " + impl + ": ";
                Assert.assertEquals(report.getTotalBefore().getParameters(), paramsBefore);
                Assert.assertEquals(
                        report.getTotalAfter().getParameters(), parameterCount(net), what);
                long flopsAfter = report.getTotalBefore().getFlops();
                for (FactorizeReport.Layer l : report.getLayers()) {
                    FactorizedConv<?> b = (FactorizedConv<?>) Nets.at(net, l.getPath());
                    long o = b.getOutChannels();
                    long c = b.getInChannels();
                    long kv = b.getKernelShape().size();
                    long sum = 0;
                    for (long k : b.getKernelShape().getShape()) {
                        sum += k;
                    }
                    int[] r = b.getRank();
                    long params = parameterCount(b);
                    Assert.assertEquals(l.getAfter().getParameters(), params, what + l.getPath());
                    long closed;
                    if (f == Factorization.CP) {
                        closed = r[0] * (1 + o + c + sum);
                    } else if (f == Factorization.TUCKER) {
                        closed = (long) r[0] * r[1] * kv + o * r[0] + c * r[1];
                    } else {
                        closed = c * r[1] + (long) r[3] * o;
                        closed += (long) r[1] * b.getKernelShape().get(0) * r[2];
                        closed += (long) r[2] * b.getKernelShape().get(1) * r[3];
                    }
                    long bias = b.hasBias() ? o : 0;
                    Assert.assertEquals(params, closed + bias, what + l.getPath());
                    // output positions per sample, from the dense layer's cost: every output
                    // element pays the dense parameters once
                    Assert.assertEquals(
                            l.getBefore().getFlops() % l.getBefore().getParameters(), 0);
                    long outVolume =
                            l.getBefore().getFlops() / l.getBefore().getParameters() / batch;
                    long inVolume = outVolume * b.getStride().size();
                    long flops = l.getAfter().getFlops();
                    long biasAdds = batch * bias * outVolume;
                    if (impl == ConvImplementation.RECONSTRUCTED) {
                        Assert.assertEquals(flops, l.getBefore().getFlops(), what + l.getPath());
                    } else if (f == Factorization.TUCKER) {
                        long macs =
                                batch * c * r[1] * inVolume
                                        + batch * r[0] * r[1] * kv * outVolume
                                        + batch * r[0] * o * outVolume;
                        Assert.assertEquals(flops, macs + biasAdds, what + l.getPath());
                    } else if (f == Factorization.CP) {
                        // 1x1 in, one depthwise 1-D conv per axis, folding, 1x1 out
                        long rows = outVolume * b.getStride().get(1);
                        long macs =
                                batch * c * r[0] * inVolume
                                        + batch * r[0] * b.getKernelShape().get(0) * rows
                                        + batch * r[0] * b.getKernelShape().get(1) * outVolume
                                        + o * r[0]
                                        + batch * r[0] * o * outVolume;
                        Assert.assertEquals(flops, macs + biasAdds, what + l.getPath());
                    } else {
                        long rows = outVolume * b.getStride().get(1);
                        long macs =
                                batch * c * r[1] * inVolume
                                        + batch * r[1] * r[2] * b.getKernelShape().get(0) * rows
                                        + batch
                                                * r[2]
                                                * r[3]
                                                * b.getKernelShape().get(1)
                                                * outVolume
                                        + batch * r[3] * o * outVolume;
                        Assert.assertEquals(flops, macs + biasAdds, what + l.getPath());
                    }
                    flopsAfter += flops - l.getBefore().getFlops();
                }
                Assert.assertEquals(report.getTotalAfter().getFlops(), flopsAfter, what);
                Assert.assertEquals(
                        report.getTotalAfter(), CostCounter.count(net, IMAGE), what + "recount");
            }
        }
    }

    @Test
    public void compressedNetworkTrainsSavesRestoresAndExports() throws Exception {
        for (Factorization f : FORMATS) {
            Block net = initialised(Nets.resnet(), IMAGE);
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(
                                    policy(f, Rank.fraction(0.5), ConvImplementation.AUTO, false))
                            .build()
                            .factorize(net);
            Assert.assertEquals(report.getSwapped().size(), 6, report.toString());
            Path dir = Files.createTempDirectory("factorized-conv");
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
                            NDArray loss =
                                    trainer.getLoss().evaluate(new NDList(y), new NDList(pred));
                            gc.backward(loss);
                            float v = loss.getFloat();
                            first = step == 0 ? v : first;
                            last = v;
                        }
                        trainer.step();
                    }
                }
                Assert.assertTrue(last < first * 0.9, f + ": loss " + first + " -> " + last);
                model.save(dir, "net");
            }
            // the trainer attached gradients to the parameters; with them PyTorch may take
            // another convolution path whose results differ in the last bit, so the reference
            // output is computed as a freshly loaded model computes it: without gradients
            for (Pair<String, Parameter> p : net.getParameters()) {
                p.getValue().getArray().setRequiresGradient(false);
            }
            NDArray expected = infer(net, x);

            Path planFile = dir.resolve("plan.json");
            report.getPlan().save(planFile);
            Assert.assertEquals(Factorizer.plan(net).toJson(), report.getPlan().toJson());
            Block fresh = Nets.resnet();
            Factorizer.restore(fresh, FactorizePlan.load(planFile));
            Assert.assertEquals(count(fresh, FactorizedConv.class), 6);
            try (Model model = Model.newInstance("net")) {
                model.setBlock(fresh);
                model.load(dir, "net");
                for (int q = 0; q < net.getParameters().size(); q++) {
                    Assert.assertEquals(
                            fresh.getParameters().valueAt(q).getArray().toFloatArray(),
                            net.getParameters().valueAt(q).getArray().toFloatArray(),
                            f + " " + net.getParameters().keyAt(q));
                }
                Assert.assertEquals(
                        infer(fresh, x).toFloatArray(), expected.toFloatArray(), f + "");
            }
            Assert.assertEquals(Factorizer.plan(fresh).toJson(), report.getPlan().toJson());

            Block standard = Factorizer.toStandardBlocks(net);
            Assert.assertSame(standard, net);
            Assert.assertEquals(count(net, FactorizedConv.class), 0);
            double err = relError(infer(net, x), expected);
            Assert.assertTrue(err < 1e-5, f + " export: " + err + " on " + engine());
        }
    }

    @Test
    public void everyOrderAndGeometryExportsExactly() {
        // anisotropic stride, padding and dilation, biases, orders 1 to 3
        Convolution[] templates = {
            Conv1d.builder()
                    .setKernelShape(new Shape(3))
                    .setFilters(6)
                    .optStride(new Shape(2))
                    .optPadding(new Shape(1))
                    .optDilation(new Shape(2))
                    .build(),
            Conv2d.builder()
                    .setKernelShape(new Shape(3, 2))
                    .setFilters(6)
                    .optStride(new Shape(2, 1))
                    .optPadding(new Shape(1, 0))
                    .optDilation(new Shape(2, 1))
                    .build(),
            Conv3d.builder()
                    .setKernelShape(new Shape(3, 1, 2))
                    .setFilters(6)
                    .optStride(new Shape(1, 2, 1))
                    .optPadding(new Shape(1, 0, 1))
                    .optBias(false)
                    .build()
        };
        Shape[] inputs = {new Shape(2, 5, 11), new Shape(2, 5, 9, 7), new Shape(2, 5, 5, 4, 4)};
        for (int i = 0; i < templates.length; i++) {
            for (Factorization f : FORMATS) {
                ConvImplementation[] impls =
                        f == Factorization.CP
                                ? new ConvImplementation[] {
                                    ConvImplementation.FACTORIZED, ConvImplementation.MOBILENET
                                }
                                : new ConvImplementation[] {ConvImplementation.FACTORIZED};
                for (ConvImplementation impl : impls) {
                    SequentialBlock net = new SequentialBlock();
                    net.add(copyOf(templates[i]));
                    net.add(Activation.reluBlock());
                    initialised(net, inputs[i]);
                    NDArray x = randn(7 + i, DataType.FLOAT32, inputs[i].getShape());
                    FactorizeReport report =
                            Factorizer.builder()
                                    .setPolicy(policy(f, Rank.fraction(0.6), impl, false))
                                    .build()
                                    .factorize(net);
                    String what = f + " " + impl + " order " + (i + 1);
                    Assert.assertEquals(report.getSwapped().size(), 1, what + "\n" + report);
                    Assert.assertEquals(
                            report.getSwapped().get(0).getImplementation(),
                            impl.name().toLowerCase(Locale.ROOT));
                    NDArray expected = infer(net, x);
                    Factorizer.toStandardBlocks(net);
                    Block exported = net.getChildren().valueAt(0);
                    Assert.assertTrue(exported instanceof SequentialBlock, what);
                    Assert.assertEquals(count(exported, FactorizedConv.class), 0, what);
                    double err = relError(infer(net, x), expected);
                    Assert.assertTrue(err < 1e-5, what + ": " + err + " on " + engine());
                }
            }
        }
    }

    private static Convolution copyOf(Convolution c) {
        switch (c.getKernelShape().dimension()) {
            case 1:
                return Conv1d.builder()
                        .setKernelShape(c.getKernelShape())
                        .setFilters(c.getFilters())
                        .optStride(c.getStride())
                        .optPadding(c.getPadding())
                        .optDilation(c.getDilation())
                        .optBias(c.isIncludeBias())
                        .build();
            case 2:
                return Conv2d.builder()
                        .setKernelShape(c.getKernelShape())
                        .setFilters(c.getFilters())
                        .optStride(c.getStride())
                        .optPadding(c.getPadding())
                        .optDilation(c.getDilation())
                        .optBias(c.isIncludeBias())
                        .build();
            default:
                return Conv3d.builder()
                        .setKernelShape(c.getKernelShape())
                        .setFilters(c.getFilters())
                        .optStride(c.getStride())
                        .optPadding(c.getPadding())
                        .optDilation(c.getDilation())
                        .optBias(c.isIncludeBias())
                        .build();
        }
    }

    @Test
    public void groupedConvolutionsAreKeptWithAReason() {
        SequentialBlock net = new SequentialBlock();
        net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build());
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .optGroups(8)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(1, 1))
                        .setFilters(8)
                        .optGroups(2)
                        .build());
        initialised(net, new Shape(2, 4, 8, 8));
        Block depthwise = net.getChildren().valueAt(1);
        Block grouped = net.getChildren().valueAt(2);
        NDArray x = randn(2, DataType.FLOAT32, 2, 4, 8, 8);
        NDArray expected = infer(net, x);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                policy(
                                        Factorization.TUCKER,
                                        Rank.of(100000),
                                        ConvImplementation.FACTORIZED,
                                        false))
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 1, report.toString());
        for (int i = 1; i < 3; i++) {
            FactorizeReport.Layer l = report.getLayers().get(i);
            Assert.assertFalse(l.isSwapped());
            Assert.assertTrue(l.getReason().contains("grouped convolution"), l.getReason());
        }
        Assert.assertSame(net.getChildren().valueAt(1), depthwise);
        Assert.assertSame(net.getChildren().valueAt(2), grouped);
        assertClose(infer(net, x), expected, 1e-4);
    }

    @Test
    public void onlyIfCheaperAndLatencyKeysSeeTheImplementation() {
        Block net = initialised(Nets.resnet(), IMAGE);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                policy(
                                        Factorization.TUCKER,
                                        Rank.fraction(0.3),
                                        ConvImplementation.FACTORIZED,
                                        true))
                        .build()
                        .factorize(net);
        Assert.assertFalse(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getLayers()) {
            if (l.isSwapped()) {
                Assert.assertTrue(l.getAfter().isCheaperThan(l.getBefore()), l.toString());
                Assert.assertTrue(l.getAfter().getFlops() > 0);
            } else {
                Assert.assertTrue(l.getReason().startsWith("not cheaper"), l.getReason());
            }
        }
        FactorizedConv<?> fc =
                (FactorizedConv<?>) Nets.at(net, report.getSwapped().get(0).getPath());
        Shape in = new Shape(1, fc.getInChannels(), 8, 8);
        String factorized = LatencyMeter.signature(fc, in);
        fc.setImplementation(ConvImplementation.RECONSTRUCTED);
        String reconstructed = LatencyMeter.signature(fc, in);
        fc.setImplementation(ConvImplementation.AUTO);
        String auto = LatencyMeter.signature(fc, in);
        Assert.assertNotEquals(factorized, reconstructed);
        Assert.assertNotEquals(auto, reconstructed);
        Assert.assertTrue(auto.contains("runs="), auto);
    }

    @Test
    public void rankSelectorsSeeTheConvolutionModes() {
        for (Factorization f : FORMATS) {
            Block net = initialised(Nets.resnet(), IMAGE);
            Convolution conv = null;
            for (Block b : Nets.blocks(net).keySet()) {
                if (b instanceof Conv2d
                        && b.getParameters()
                                .get("weight")
                                .getArray()
                                .getShape()
                                .equals(new Shape(8, 8, 3, 3))) {
                    conv = (Convolution) b;
                }
            }
            Assert.assertNotNull(conv);
            LayerMethod method = LayerMethods.forConv(f);
            LayerProfile profile =
                    method.profile(
                            new LayerRequest(
                                    "conv",
                                    conv,
                                    new Shape[] {new Shape(2, 8, 8, 8)},
                                    null,
                                    ConvImplementation.FACTORIZED,
                                    null));
            int modes = f == Factorization.TUCKER ? 2 : f == Factorization.CP ? 1 : 3;
            Assert.assertEquals(profile.getModes(), modes, f.toString());
            int[] full = new int[modes];
            for (int m = 0; m < modes; m++) {
                full[m] = profile.getMaxRank(m);
            }
            Assert.assertEquals(profile.errorAt(full), 0, 1e-9, f.toString());
            int[] one = new int[modes];
            java.util.Arrays.fill(one, 1);
            Assert.assertTrue(profile.errorAt(one) > 0);
            Assert.assertTrue(
                    profile.costAt(one).getParameters() < profile.costAt(full).getParameters());
            int[] half = profile.resolve(Rank.fraction(0.5));
            Assert.assertEquals(half.length, modes);
        }
        // a whole model with energy-chosen ranks
        Block net = initialised(Nets.resnet(), IMAGE);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(RankSelector.energy(0.9))
                                        .optLayerTypes(Conv2d.class)
                                        .optConvFactorization(Factorization.TUCKER)
                                        .optOnlyIfCheaper(false)
                                        .build())
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 6, report.toString());
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Assert.assertEquals(l.getRanks().length, 4);
        }
    }

    @Test
    public void mobilenetWithTuckerIsRejectedAndLeavesTheModelUnchanged() {
        Block net = initialised(Nets.resnet(), IMAGE);
        NDArray x = randn(4, DataType.FLOAT32, IMAGE.getShape());
        NDArray expected = infer(net, x);
        Map<Block, String> before = Nets.blocks(net);
        for (Factorization f : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            assertIllegalArgument(
                    () ->
                            Factorizer.builder()
                                    .setPolicy(
                                            policy(
                                                    f,
                                                    Rank.fraction(0.5),
                                                    ConvImplementation.MOBILENET,
                                                    false))
                                    .build()
                                    .factorize(net),
                    "implementation MOBILENET is not accepted by the factorized convolution method ("
                            + methodName(f)
                            + ", layer '");
            Assert.assertEquals(Nets.blocks(net), before, "the model was changed");
        }
        assertClose(infer(net, x), expected, 0);
        assertIllegalArgument(
                () -> LayerMethods.forConv(Factorization.DENSE), "DENSE is no factorization");
        LayerMethod cp = LayerMethods.forConv(Factorization.CP);
        Assert.assertSame(LayerMethods.forName(cp.getName()), cp);
        Assert.assertTrue(LayerMethods.all().contains(cp));
        Block linear = Nets.at(net, "08Linear");
        Assert.assertTrue(
                cp.unsupportedReason(linear, new Shape[] {new Shape(2, 16)})
                        .contains("Linear is not accepted"));
        Block conv = Nets.at(net, "01Conv2d");
        Assert.assertTrue(
                cp.unsupportedReason(conv, new Shape[] {new Shape(2, 4, 8, 8)})
                        .contains("does not fit"));
        Assert.assertNull(cp.unsupportedReason(conv, new Shape[] {IMAGE}));
        // a plan that does not fit the layer at its path
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                policy(
                                        Factorization.TUCKER,
                                        Rank.fraction(0.5),
                                        ConvImplementation.AUTO,
                                        false))
                        .build()
                        .factorize(net);
        FactorizePlan.Entry entry = report.getPlan().getEntries().get(0);
        LayerMethod tucker = LayerMethods.forName(entry.getMethod());
        Block other =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(4)
                        .optPadding(new Shape(1, 1))
                        .build();
        assertIllegalArgument(() -> tucker.rebuild(other, entry.getSettings()), "4 filters");
        Assert.assertTrue(tucker.rebuild(conv, entry.getSettings()) instanceof TuckerConv);
    }

    // ---------------------------------------------------------------------------------------
    // latency budgets

    private static FactorizePolicy latencyPolicy(Budget budget) {
        return FactorizePolicy.builder()
                .setRank(RankSelector.budget(budget))
                .optLayerTypes(Conv2d.class)
                .optConvFactorization(Factorization.CP)
                .build();
    }

    @Test
    public void aLatencyBudgetFixesTheMeasuredFastestImplementation() {
        // dense convolutions take 4 us; the reconstructed kernel is fastest but not cheaper
        for (ConvImplementation fastest :
                new ConvImplementation[] {
                    ConvImplementation.MOBILENET, ConvImplementation.FACTORIZED
                }) {
            ToLongFunction<Block> leaf =
                    b -> {
                        if (b instanceof FactorizedConv) {
                            ConvImplementation impl = ((FactorizedConv<?>) b).getImplementation();
                            return impl == ConvImplementation.RECONSTRUCTED
                                    ? 500
                                    : impl == fastest ? 1000 : 3000;
                        }
                        return b instanceof Convolution ? 4000 : 0;
                    };
            Block net = initialised(Nets.resnet(), IMAGE);
            Map<String, Integer> runs = new HashMap<>();
            LatencyMeter meter = Timers.meter(Timers.byLeaf(leaf, runs));
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(latencyPolicy(Budget.latency(0.5, meter)))
                            .build()
                            .factorize(net);
            // 6 convolutions, 24 us: a budget of 12 us swaps 4 at 1 us and keeps two dense
            Assert.assertEquals(report.getSwapped().size(), 4, report.toString());
            Assert.assertEquals(Timers.leafNanos(net, leaf), 12000, report.toString());
            for (FactorizeReport.Layer l : report.getSwapped()) {
                FactorizedConv<?> fc = (FactorizedConv<?>) Nets.at(net, l.getPath());
                Assert.assertEquals(fc.getImplementation(), fastest, l.toString());
                Assert.assertEquals(
                        l.getImplementation(),
                        "auto, measured: " + fastest.name().toLowerCase(Locale.ROOT));
                Assert.assertEquals(l.getLatencyBefore(), 0.004, 1e-12);
                Assert.assertEquals(l.getLatencyAfter(), 0.001, 1e-12);
            }
            for (Map.Entry<String, Integer> e : runs.entrySet()) {
                Assert.assertEquals((int) e.getValue(), 4, e.getKey());
            }
        }
    }

    @Test
    public void aLatencyBudgetWithTheRealTimerGivesAConsistentReport() {
        // structure only: nothing here depends on how fast this machine is
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < 2; i++) {
            net.add(
                    Conv2d.builder()
                            .setKernelShape(new Shape(3, 3))
                            .setFilters(8)
                            .optPadding(new Shape(1, 1))
                            .build());
        }
        Shape input = new Shape(1, 8, 8, 8);
        initialised(net, input);
        LatencyMeter meter = LatencyMeter.builder().optWarmup(1).optRepeats(3).build();
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(latencyPolicy(Budget.latency(0.7, meter)))
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getLayers().size(), 2);
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertTrue(
                    l.getLatencyBefore() > 0 && Double.isFinite(l.getLatencyBefore()),
                    l.toString());
            if (l.isSwapped()) {
                FactorizedConv<?> fc = (FactorizedConv<?>) Nets.at(net, l.getPath());
                Assert.assertNotEquals(fc.getImplementation(), ConvImplementation.AUTO);
                Assert.assertTrue(l.getLatencyAfter() < l.getLatencyBefore(), l.toString());
            } else {
                Assert.assertNotNull(l.getReason(), l.toString());
            }
        }
        Assert.assertTrue(meter.getCache().size() > 2, "cached " + meter.getCache().size());
        NDArray y = infer(net, randn(5, DataType.FLOAT32, 1, 8, 8, 8));
        Assert.assertEquals(y.getShape(), input);
    }
}
