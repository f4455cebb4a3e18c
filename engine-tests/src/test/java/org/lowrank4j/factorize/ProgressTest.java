package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** What the factorizer and the sensitivity sweep report to a user's {@link Progress}. */
public class ProgressTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(2, 3, 8, 8);

    /** The estimate of the time left that ends a step's detail while its stage runs. */
    private static final Pattern LEFT = Pattern.compile(" \\(about \\d+ (s|min) left\\)$");

    /**
     * Records every call, one line each, the estimate of the time left taken off the details (and
     * counted, per call, in {@link #estimates}).
     */
    private static final class Recorder implements Progress {
        final List<String> calls = new ArrayList<>();
        final List<Boolean> estimates = new ArrayList<>();

        @Override
        public void reset(String message, long max, String trailingMessage) {
            calls.add("reset " + message + " " + max);
        }

        @Override
        public void start(long initialProgress) {
            calls.add("start " + initialProgress);
        }

        @Override
        public void end() {
            calls.add("end");
        }

        @Override
        public void increment(long increment) {
            calls.add("increment " + increment);
        }

        @Override
        public void update(long progress, String message) {
            Matcher m = LEFT.matcher(message);
            estimates.add(m.find());
            calls.add("update " + progress + " " + m.replaceAll(""));
        }
    }

    private static FactorizePolicy fullRank() {
        return FactorizePolicy.builder().setRank(Rank.of(100000)).optOnlyIfCheaper(false).build();
    }

    /** Factorizes the tiny ResNet with a progress and returns its seven layers' paths. */
    private static List<String> sevenLayers(
            Factorizer.Builder factorizer, Block net, Recorder progress) {
        FactorizeReport report = factorizer.optProgress(progress).build().factorize(net);
        List<String> out = new ArrayList<>();
        for (FactorizeReport.Layer l : report.getLayers()) {
            out.add(l.getPath());
        }
        Assert.assertEquals(out.size(), 7, report.toString());
        return out;
    }

    @Test
    public void factorizeReportsEachCalibrationBatchThenEachLayer() {
        Block net = initialised(Nets.resnet(), IMAGE);
        List<NDList> batches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            batches.add(new NDList(randn(10 + i, DataType.FLOAT32, IMAGE.getShape())));
        }
        Factorizer.Builder factorizer =
                Factorizer.builder().setPolicy(fullRank()).optCalibration(batches);
        Recorder progress = new Recorder();
        List<String> layers = sevenLayers(factorizer, net, progress);
        List<String> expected = new ArrayList<>();
        expected.add("reset Calibrating 3");
        for (int i = 0; i < 3; i++) {
            expected.add("update " + i + " batch " + (i + 1));
        }
        expected.add("reset Factorizing 7");
        for (int i = 0; i < layers.size(); i++) {
            expected.add("update " + i + " " + layers.get(i));
        }
        Assert.assertEquals(progress.calls, expected);
        // every step but the last of each stage says how long the stage still takes
        Assert.assertEquals(
                progress.estimates,
                List.of(true, true, false, true, true, true, true, true, true, false));
    }

    @Test
    public void aBudgetProfilesEveryLayerThenFitsIt() {
        Block net = initialised(Nets.resnet(), IMAGE);
        Factorizer.Builder factorizer =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(RankSelector.budget(Budget.flops(0.5)))
                                        .optOnlyIfCheaper(false)
                                        .build());
        Recorder progress = new Recorder();
        List<String> layers = sevenLayers(factorizer, net, progress);
        List<String> expected = new ArrayList<>();
        expected.add("reset Factorizing 14");
        for (int i = 0; i < 14; i++) {
            expected.add("update " + i + " " + layers.get(i % 7));
        }
        Assert.assertEquals(progress.calls, expected);
    }

    @Test
    public void aSweepReportsTheBaselineThenEachLayerAndRank() {
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(16).build());
        net.add(Linear.builder().setUnits(4).build());
        initialised(net, new Shape(8, 16));
        NDArray x = randn(3, DataType.FLOAT32, 8, 16);
        NDArray y = manager.create(new float[] {0, 1, 2, 3, 0, 1, 2, 3});
        Recorder progress = new Recorder();
        SensitivityReport report =
                SensitivitySweep.builder()
                        .setMetric(new Accuracy())
                        .setData(List.of(new NDList(x, y)))
                        // 0.26 and 0.25 ask for the same ranks of the 4-wide layer
                        .optRankFractions(0.25, 0.26, 1.0)
                        .optProgress(progress)
                        .build()
                        .sweep(net);

        Assert.assertEquals(report.getLayers().size(), 2);
        List<String> expected = new ArrayList<>();
        expected.add("reset Sweeping 7");
        expected.add("update 0 baseline");
        int step = 1;
        for (SensitivityReport.Layer l : report.getLayers()) {
            for (int i = 0; i < l.getPoints().size(); i++) {
                expected.add("update " + step++ + " " + l.getPath());
            }
        }
        // the coinciding fractions make fewer steps than announced: the stage is ended
        Assert.assertTrue(step < 7, "steps " + step);
        expected.add("end");
        Assert.assertEquals(progress.calls, expected);
    }

    @Test
    public void nullProgressIsRefused() {
        assertIllegalArgument(() -> Factorizer.builder().optProgress(null), "ai.djl.util.Progress");
        assertIllegalArgument(
                () -> SensitivitySweep.builder().optProgress(null), "ai.djl.util.Progress");
    }
}
