package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Factorizing a factorized model again, and progressive compression by a schedule. */
public class ProgressiveCompressionTest extends EngineTestBase {

    private static final Shape FEATURES = new Shape(4, 16);
    private static final Shape IMAGE = new Shape(2, 8, 8, 8);

    private Block mlp() {
        return initialised(Nets.twoLinear(), FEATURES);
    }

    private Block convs() {
        SequentialBlock net = new SequentialBlock();
        net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(16).build());
        net.add(Activation.reluBlock());
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(12)
                        .optPadding(new Shape(1, 1))
                        .build());
        return initialised(net, IMAGE);
    }

    private static Factorizer lowRank(double fraction) {
        return Factorizer.builder()
                .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(fraction)).build())
                .build();
    }

    private static Factorizer tensorConv(Factorization format, double fraction) {
        return Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(Rank.fraction(fraction))
                                .optConvFactorization(format)
                                .optOnlyIfCheaper(false)
                                .build())
                .build();
    }

    private static void copyParameters(Block from, Block to) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            from.saveParameters(new DataOutputStream(bytes));
            to.loadParameters(
                    to.getParameters().valueAt(0).getArray().getManager(),
                    new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    // ---------------------------------------------------------------------------------------

    @Test
    public void lowRankLayersAreFactorizedAgainFromTheirCurrentFactors() {
        Block net = mlp();
        NDArray x = randn(1, DataType.FLOAT32, FEATURES.getShape());
        FactorizeReport first = lowRank(0.7).factorize(net);
        Assert.assertEquals(first.getSwapped().size(), 2);
        // "fine-tuning": the factors change after the first factorization
        LowRankLinear layer = (LowRankLinear) Nets.at(net, first.getSwapped().get(0).getPath());
        layer.getParameters().get("second_weight").getArray().muli(1.5f);
        NDArray tuned = infer(net, x);
        FactorizeReport again = lowRank(0.7).refactorize(net);
        // the same fraction of the same dense layer: the same ranks, and the SVD of the product
        // of the current factors at their own rank is exact
        Assert.assertEquals(again.getSwapped().size(), 2);
        for (int i = 0; i < 2; i++) {
            Assert.assertEquals(
                    again.getSwapped().get(i).getRanks(), first.getSwapped().get(i).getRanks());
            Assert.assertEquals(again.getSwapped().get(i).getOldType(), "Linear");
            Assert.assertTrue(again.getSwapped().get(i).getWeightError() < 1e-5);
        }
        assertClose(infer(net, x), tuned, 1e-5);
        // a lower fraction compresses further, fractions of the original layers
        FactorizeReport lower = lowRank(0.3).refactorize(net);
        Assert.assertTrue(
                lower.getSwapped().get(0).getRanks()[0] < first.getSwapped().get(0).getRanks()[0]);
        Assert.assertEquals(lower.getTotalBefore(), first.getTotalBefore());
        Assert.assertTrue(
                lower.getTotalAfter().getParameters() < first.getTotalAfter().getParameters());
        // its plan rebuilds the model on a fresh dense one
        Block fresh = mlp();
        Factorizer.restore(fresh, lower.getPlan());
        fresh.initialize(manager, DataType.FLOAT32, FEATURES);
        copyParameters(net, fresh);
        Assert.assertEquals(infer(fresh, x).toFloatArray(), infer(net, x).toFloatArray());
    }

    @Test
    public void tuckerAndTtConvolutionsAreFactorizedAgainExactlyAtTheirOwnRanks() {
        for (Factorization format : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            Block net = convs();
            NDArray x = randn(2, DataType.FLOAT32, IMAGE.getShape());
            FactorizeReport first = tensorConv(format, 0.5).factorize(net);
            Assert.assertEquals(first.getSwapped().size(), 2, format.toString());
            NDArray before = infer(net, x);
            FactorizeReport again = tensorConv(format, 0.5).refactorize(net);
            Assert.assertEquals(again.getSwapped().size(), 2);
            for (int i = 0; i < 2; i++) {
                FactorizeReport.Layer a = again.getSwapped().get(i);
                Assert.assertEquals(a.getRanks(), first.getSwapped().get(i).getRanks());
                Assert.assertTrue(a.getWeightError() < 1e-4, format + " " + a.getWeightError());
                Assert.assertEquals(a.getOldType(), "Conv2d");
            }
            assertClose(infer(net, x), before, 1e-4);
            // CP at a lower fraction also runs on the TT or Tucker blocks' kernels
            FactorizeReport cp = tensorConv(Factorization.CP, 0.3).refactorize(net);
            Assert.assertEquals(cp.getSwapped().size(), 2);
            Assert.assertTrue(
                    Nets.at(net, cp.getSwapped().get(1).getPath()) instanceof FactorizedConv);
        }
    }

    @Test
    public void layersThePolicyLeavesKeepTheirFactorizedBlock() {
        Block net = mlp();
        NDArray x = randn(3, DataType.FLOAT32, FEATURES.getShape());
        FactorizeReport first = lowRank(0.7).factorize(net);
        String firstPath = first.getSwapped().get(0).getPath();
        String secondPath = first.getSwapped().get(1).getPath();
        Block kept = Nets.at(net, secondPath);
        Factorizer onlyFirst =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(Rank.fraction(0.3))
                                        .optPathFilter(firstPath::equals)
                                        .build())
                        .build();
        FactorizeReport again = onlyFirst.refactorize(net);
        Assert.assertEquals(again.getSwapped().size(), 1);
        Assert.assertSame(Nets.at(net, secondPath), kept);
        Assert.assertTrue(Nets.at(net, firstPath) instanceof LowRankLinear);
        // the plan covers the whole model, the kept layer included
        Assert.assertEquals(again.getPlan().toJson(), Factorizer.plan(net).toJson());
        Assert.assertTrue(again.getPlan().toJson().contains(secondPath));
        Assert.assertEquals(infer(net, x).getShape(), new Shape(4, 10));
    }

    @Test
    public void aFailedRefactorizationLeavesTheModelAsItWas() {
        Block net = mlp();
        NDArray x = randn(4, DataType.FLOAT32, FEATURES.getShape());
        lowRank(0.7).factorize(net);
        Map<Block, String> blocks = Nets.blocks(net);
        float[] before = infer(net, x).toFloatArray();
        Factorizer bad =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(Rank.fraction(0.5))
                                        .optLayerRank("no/such/layer", Rank.of(2))
                                        .build())
                        .build();
        assertRefusedUnchanged(net, () -> bad.refactorize(net), "'no/such/layer'");
        Assert.assertEquals(Nets.blocks(net), blocks);
        Assert.assertEquals(infer(net, x).toFloatArray(), before);
        // a dense model has nothing to factorize again
        Block dense = mlp();
        assertRefusedUnchanged(
                dense, () -> lowRank(0.5).refactorize(dense), "holds no factorized layer");
    }

    @Test
    public void aScheduleEndsWhereOneShotEndsAndFineTunesAfterEveryStep() {
        Block progressive = mlp();
        Block oneShot = mlp();
        copyParameters(progressive, oneShot);
        List<String> calls = new ArrayList<>();
        List<FactorizeReport> steps =
                ProgressiveCompression.builder()
                        .setSchedule(0.7, 0.5, 0.3)
                        .setFactorizer(ProgressiveCompressionTest::lowRank)
                        .setFineTuning(
                                (step, fraction, report) ->
                                        calls.add(
                                                step
                                                        + "@"
                                                        + fraction
                                                        + ":"
                                                        + report.getSwapped().size()))
                        .build()
                        .compress(progressive);
        Assert.assertEquals(calls, List.of("0@0.7:2", "1@0.5:2", "2@0.3:2"));
        Assert.assertEquals(steps.size(), 3);
        FactorizeReport once = lowRank(0.3).factorize(oneShot);
        FactorizeReport last = steps.get(2);
        Assert.assertEquals(last.getTotalAfter(), once.getTotalAfter());
        for (int i = 0; i < 2; i++) {
            Assert.assertEquals(
                    last.getSwapped().get(i).getRanks(), once.getSwapped().get(i).getRanks());
        }
        Assert.assertTrue(
                steps.get(0).getTotalAfter().getParameters()
                        > steps.get(1).getTotalAfter().getParameters());
    }

    @Test
    public void aFailedStepIsNamedAndLeavesTheModelAsTheStepBefore() {
        Block net = mlp();
        NDArray x = randn(5, DataType.FLOAT32, FEATURES.getShape());
        List<float[]> afterStep = new ArrayList<>();
        ProgressiveCompression schedule =
                ProgressiveCompression.builder()
                        .setSchedule(0.7, 0.5)
                        .setFactorizer(
                                f ->
                                        f > 0.6
                                                ? lowRank(f)
                                                : Factorizer.builder()
                                                        .setPolicy(
                                                                FactorizePolicy.builder()
                                                                        .setRank(Rank.fraction(f))
                                                                        .optLayerRank(
                                                                                "missing",
                                                                                Rank.of(1))
                                                                        .build())
                                                        .build())
                        .setFineTuning((s, f, r) -> afterStep.add(infer(net, x).toFloatArray()))
                        .build();
        assertIllegalArgument(() -> schedule.compress(net), "step 2 of 2 (fraction 0.5)");
        Assert.assertEquals(afterStep.size(), 1);
        Assert.assertEquals(infer(net, x).toFloatArray(), afterStep.get(0));
    }

    @Test
    public void badSchedulesAreRefusedWithTheValue() {
        ProgressiveCompression.FineTuning none = (s, f, r) -> {};
        assertIllegalArgument(
                () ->
                        ProgressiveCompression.builder()
                                .setSchedule(0.5, 0.7)
                                .setFactorizer(ProgressiveCompressionTest::lowRank)
                                .setFineTuning(none)
                                .build(),
                "0.7 follows 0.5");
        for (double bad : new double[] {0, -0.1, 1.5, Double.NaN}) {
            assertIllegalArgument(
                    () ->
                            ProgressiveCompression.builder()
                                    .setSchedule(0.9, bad)
                                    .setFactorizer(ProgressiveCompressionTest::lowRank)
                                    .setFineTuning(none)
                                    .build(),
                    "fraction " + bad + " is not accepted");
        }
        assertIllegalArgument(
                () -> ProgressiveCompression.builder().setSchedule().build(), "schedule");
        assertIllegalArgument(
                () -> ProgressiveCompression.builder().setSchedule(0.5).setFineTuning(none).build(),
                "setFactorizer");
        assertIllegalArgument(
                () ->
                        ProgressiveCompression.builder()
                                .setSchedule(0.5)
                                .setFactorizer(ProgressiveCompressionTest::lowRank)
                                .build(),
                "setFineTuning");
        Assert.assertEquals(
                ProgressiveCompression.builder()
                        .setSchedule(0.7, 0.3)
                        .setFactorizer(ProgressiveCompressionTest::lowRank)
                        .setFineTuning(none)
                        .build()
                        .getSchedule(),
                new double[] {0.7, 0.3});
    }
}
