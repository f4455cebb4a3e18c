package org.lowrank4j.factorize;

import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.AlexNet;
import ai.djl.basicmodelzoo.cv.classification.GoogLeNet;
import ai.djl.basicmodelzoo.cv.classification.LeNet;
import ai.djl.basicmodelzoo.cv.classification.MobileNetV1;
import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.basicmodelzoo.cv.classification.NiN;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.basicmodelzoo.cv.classification.SqueezeNet;
import ai.djl.basicmodelzoo.cv.classification.VGG;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.nn.LowRankConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Every classification architecture of DJL's {@code basicmodelzoo}, with random weights: each
 * method at full rank keeps the outputs, and at a fraction the factorized model restores from its
 * plan exactly and exports to plain DJL blocks of the same function.
 *
 * <p>To keep the suite short, the architectures whose widths are fixed (ResNet, MobileNetV2,
 * GoogLeNet, SqueezeNet, the 4096-wide layers of VGG and AlexNet) factorize only their layers of at
 * most {@link #MAX_WEIGHTS} weights, which covers every kind of layer they have (stems, strided and
 * 1×1 convolutions, projections, inception branches, fire modules, classifiers); the others are
 * built narrow and factorize every layer.
 */
public class ModelZooCoverageTest extends EngineTestBase {

    private static final long MAX_WEIGHTS = 65_536;

    /** The methods, by format: DENSE stands for the two-factor low-rank method. */
    private static final List<Factorization> METHODS =
            List.of(Factorization.DENSE, Factorization.TUCKER, Factorization.TT, Factorization.CP);

    /** CP-ALS at a fraction is slow: only the smaller layers take part. */
    private static final long MAX_CP_WEIGHTS = 12_000;

    @DataProvider
    public static Object[][] architectures() {
        return new Object[][] {
            {"LeNet", (Supplier<Block>) () -> LeNet.builder().setOutSize(10).build(), img(1, 28)},
            {
                "Mlp",
                (Supplier<Block>) () -> new Mlp(196, 10, new int[] {64, 32}),
                new Shape(2, 196)
            },
            {
                "ResNetV1-18", (Supplier<Block>) () -> resnet(18), img(3, 32),
            },
            {"ResNetV1-50", (Supplier<Block>) () -> resnet(50), img(3, 32)},
            {
                "MobileNetV1",
                (Supplier<Block>)
                        () ->
                                MobileNetV1.builder()
                                        .setOutSize(10)
                                        .optWidthMultiplier(0.25f)
                                        .build(),
                img(3, 32)
            },
            {
                "MobileNetV2",
                (Supplier<Block>) () -> MobileNetV2.builder().setOutSize(10).build(),
                img(3, 32)
            },
            {
                "VGG",
                (Supplier<Block>)
                        () ->
                                new VGG.Builder()
                                        .setNumLayers(11)
                                        .setConvArch(
                                                new int[][] {
                                                    {1, 8}, {1, 16}, {2, 16}, {2, 16}, {2, 16}
                                                })
                                        .setOutSize(10)
                                        .build(),
                img(3, 32)
            },
            {
                "AlexNet",
                (Supplier<Block>)
                        () ->
                                AlexNet.builder()
                                        .setNumChannels(new int[] {8, 16, 16, 16, 16, 32, 32})
                                        .setDropOutRate(0.5f)
                                        .setOutSize(10)
                                        .build(),
                img(3, 96)
            },
            {
                "GoogLeNet",
                (Supplier<Block>) () -> GoogLeNet.builder().setOutSize(10).build(),
                img(1, 32)
            },
            {
                "NiN",
                (Supplier<Block>)
                        () ->
                                NiN.builder()
                                        .setNumChannels(new int[] {8, 16, 16, 10})
                                        .setDropOutRate(0.5f)
                                        .build(),
                img(1, 96)
            },
            {"SqueezeNet", (Supplier<Block>) () -> SqueezeNet.squeezenet(10), img(3, 64)},
        };
    }

    private static Shape img(long channels, long size) {
        return new Shape(1, channels, size, size);
    }

    private static Block resnet(int layers) {
        return ResNetV1.builder()
                .setNumLayers(layers)
                .setImageShape(new Shape(3, 32, 32))
                .setOutSize(10)
                .build();
    }

    private static LayerMethod[] methods(Factorization f) {
        if (f == Factorization.DENSE) {
            return new LayerMethod[] {LayerMethods.lowRank(), LayerMethods.lowRank()};
        }
        return new LayerMethod[] {LayerMethods.forConv(f), LayerMethods.forLinear(f)};
    }

    /** The layers with at most {@code max} weights, found independently of the library. */
    private static Set<String> layers(Block net, long max) {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<Block, String> e : Nets.blocks(net).entrySet()) {
            Block b = e.getKey();
            if ((b instanceof Convolution || b instanceof Linear) && weights(b) <= max) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    private static long weights(Block layer) {
        Parameter w = layer.getParameters().get("weight");
        return w.getArray().size();
    }

    private static FactorizeReport factorize(
            Block net, Factorization f, Rank rank, Set<String> paths) {
        LayerMethod[] m = methods(f);
        return Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(rank)
                                .optConvMethod(m[0])
                                .optLinearMethod(m[1])
                                .optPathFilter(paths::contains)
                                .optSkipFirst(false)
                                .optSkipLast(false)
                                .optOnlyIfCheaper(false)
                                .build())
                .build()
                .factorize(net);
    }

    private static long cap(Factorization f) {
        return f == Factorization.CP ? MAX_CP_WEIGHTS : MAX_WEIGHTS;
    }

    /**
     * Every selected layer is swapped, but grouped convolutions, which are kept with a reason; the
     * others are kept as excluded by the filter.
     */
    private static void assertCovered(String name, FactorizeReport report, Set<String> paths) {
        Set<String> seen = new TreeSet<>();
        for (FactorizeReport.Layer l : report.getLayers()) {
            String p = l.getPath();
            if (!paths.contains(p)) {
                Assert.assertEquals(l.getReason(), "excluded by the path filter", name + ": " + p);
                continue;
            }
            seen.add(p);
            Assert.assertTrue(
                    l.isSwapped() || l.getReason().contains("grouped convolution"),
                    name + ": " + p + " kept: " + l.getReason());
        }
        Assert.assertEquals(seen, paths, name + ": the selected layers");
        Assert.assertFalse(report.getSwapped().isEmpty(), name + "\n" + report);
        Assert.assertTrue(report.getRefusedBlocks().isEmpty(), name + "\n" + report);
    }

    @Test(dataProvider = "architectures")
    public void everyMethodAtFullRankKeepsTheOutputs(String name, Supplier<Block> build, Shape in) {
        for (Factorization f : METHODS) {
            Block net = initialised(build.get(), in);
            NDArray x = randn(7, DataType.FLOAT32, in.getShape());
            NDArray expected = infer(net, x);
            // at full rank CP is exact without iterations, so it takes every layer too
            Set<String> paths = layers(net, MAX_WEIGHTS);
            FactorizeReport report = factorize(net, f, Rank.of(1_000_000), paths);
            assertCovered(name + " " + f, report, paths);
            double err = relError(infer(net, x), expected);
            Assert.assertTrue(err <= 1e-5, name + " " + f + ": output error " + err);
        }
    }

    @Test(dataProvider = "architectures")
    public void everyMethodAtAFractionRestoresAndExports(
            String name, Supplier<Block> build, Shape in) throws Exception {
        for (Factorization f : METHODS) {
            Block net = initialised(build.get(), in);
            NDArray x = randn(8, DataType.FLOAT32, in.getShape());
            Set<String> paths = layers(net, cap(f));
            FactorizeReport report = factorize(net, f, Rank.fraction(0.3), paths);
            assertCovered(name + " " + f, report, paths);
            NDArray factorized = infer(net, x);

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            net.saveParameters(new DataOutputStream(bytes));
            Block fresh = build.get();
            Factorizer.restore(fresh, report.getPlan());
            fresh.loadParameters(
                    manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            Assert.assertEquals(
                    infer(fresh, x).toFloatArray(),
                    factorized.toFloatArray(),
                    name + " " + f + ": restored on " + engine());
            Assert.assertEquals(Factorizer.plan(fresh).toJson(), report.getPlan().toJson());

            Factorizer.toStandardBlocks(net);
            for (Block b : Nets.blocks(net).keySet()) {
                Assert.assertFalse(
                        b instanceof LowRankConv
                                || b instanceof LowRankLinear
                                || b instanceof FactorizedConv
                                || b instanceof FactorizedLinear,
                        name + " " + f + ": a factorized block is left after the export: " + b);
            }
            double err = relError(infer(net, x), factorized);
            Assert.assertTrue(err <= 1e-5, name + " " + f + ": exported output error " + err);
        }
    }
}
