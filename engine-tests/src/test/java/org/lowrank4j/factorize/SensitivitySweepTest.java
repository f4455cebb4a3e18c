package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.evaluator.BoundingBoxError;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class SensitivitySweepTest extends EngineTestBase {

    private static final int N = 16;

    /** {@code y = W2 W1 x} with diagonal weights {@code diag(s1)}, {@code diag(s2)}, no bias. */
    private SequentialBlock mlp(double[] s1, double[] s2) {
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(N).optBias(false).build());
        net.add(Linear.builder().setUnits(N).optBias(false).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(8, N));
        double[][] s = {s1, s2};
        for (int l = 0; l < 2; l++) {
            float[] w = new float[N * N];
            for (int i = 0; i < N; i++) {
                w[i * N + i] = (float) s[l][i];
            }
            net.getChildren().valueAt(l).getParameters().get("weight").getArray().set(w);
        }
        return net;
    }

    /** Singular values {@code 2^(-i/2)}: nearly low rank, by the spectrum. */
    private static double[] fast() {
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = Math.pow(2, -i / 2.0);
        }
        return s;
    }

    /** Distinct singular values near 1: by the spectrum, costly to truncate. */
    private static double[] flat() {
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = 1 - 0.01 * i;
        }
        return s;
    }

    /** Batches of inputs (the given coordinates random, the others 0) and the model's outputs. */
    private List<NDList> batches(Block net, long seed, int count, double scale, int from) {
        List<NDList> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[] x = randn(seed + b, DataType.FLOAT32, 8, N).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                x[i] = i % N < from ? 0 : (float) (x[i] * scale);
            }
            NDArray input = manager.create(x, new Shape(8, N));
            NDArray label =
                    net.forward(new ParameterStore(manager, false), new NDList(input), false)
                            .singletonOrThrow();
            out.add(new NDList(input, label));
        }
        return out;
    }

    private static SensitivityReport sweep(Block net, List<NDList> data, Evaluator metric) {
        return SensitivitySweep.builder()
                .setMetric(metric)
                .setData(data)
                .optRankFractions(0.25, 0.5, 0.75, 1.0)
                .build()
                .sweep(net);
    }

    private static List<float[]> snapshot(Block net) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : net.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    public void sweepLeavesTheModelUnchanged() {
        SequentialBlock net = mlp(fast(), flat());
        List<Block> children = new ArrayList<>(net.getChildren().values());
        List<float[]> before = snapshot(net);
        List<NDList> data = new ArrayList<>();
        for (NDList b : batches(net, 1, 3, 1, 0)) {
            // classes: the index of the largest output
            data.add(new NDList(b.get(0), b.get(1).argMax(1)));
        }
        SensitivityReport report = sweep(net, data, new Accuracy());

        Assert.assertEquals(new ArrayList<>(net.getChildren().values()), children);
        List<float[]> after = snapshot(net);
        Assert.assertEquals(after.size(), before.size());
        for (int i = 0; i < before.size(); i++) {
            Assert.assertEquals(after.get(i), before.get(i), "parameter " + i + " changed");
        }
        Assert.assertEquals(report.getBaseline(), 1.0, 1e-9, engine());
        Assert.assertTrue(report.isHigherBetter());
        Assert.assertEquals(report.getLayers().size(), 2);
        for (SensitivityReport.Layer l : report.getLayers()) {
            Assert.assertEquals(l.getPoints().size(), 4, l.getPath());
            Assert.assertEquals(l.dropAt(N), 0.0, 1e-9, l.getPath() + " at full rank");
        }
        // the outputs are those of the unchanged model
        NDArray x = data.get(0).get(0);
        NDArray y = net.forward(new ParameterStore(manager, false), new NDList(x), false).head();
        assertClose(y, batches(net, 1, 1, 1, 0).get(0).get(1), 1e-6);
        String table = report.toString();
        Assert.assertTrue(table.contains("01Linear") && table.contains("Accuracy"), table);
        String csv = report.toCsv();
        Assert.assertTrue(csv.startsWith("path,ranks,params,flops,metric,drop\n"), csv);
        Assert.assertEquals(csv.split("\n").length, 1 + 8, csv);
    }

    @Test
    public void dropsAreZeroAtFullRankAndGrowAsTheRankFalls() {
        // y = W2 W1 x with diagonal weights: rank r keeps the r largest coordinates exactly, so
        // the squared error of the outputs only grows as r falls
        SequentialBlock net = mlp(fast(), flat());
        SensitivityReport report = sweep(net, batches(net, 5, 3, 1, 0), Loss.l2Loss());
        Assert.assertFalse(report.isHigherBetter());
        Assert.assertEquals(report.getBaseline(), 0.0, 1e-9);
        for (SensitivityReport.Layer l : report.getLayers()) {
            List<SensitivityReport.Point> p = l.getPoints();
            Assert.assertEquals(p.get(p.size() - 1).getRanks(), new int[] {N});
            Assert.assertEquals(p.get(p.size() - 1).getDrop(), 0.0, 1e-7, l.getPath());
            for (int i = 1; i < p.size(); i++) {
                Assert.assertTrue(p.get(i - 1).getRanks()[0] < p.get(i).getRanks()[0], l.getPath());
                Assert.assertTrue(
                        p.get(i - 1).getDrop() > p.get(i).getDrop(),
                        l.getPath()
                                + ": drop "
                                + p.get(i - 1).getDrop()
                                + " at rank "
                                + p.get(i - 1).getRanks()[0]
                                + " vs "
                                + p.get(i).getDrop()
                                + " at rank "
                                + p.get(i).getRanks()[0]
                                + " on "
                                + engine());
            }
        }
    }

    @Test
    public void budgetWithSensitivityProtectsTheSensitiveLayer() {
        // the first layer's spectrum decays fast, but the data lives in its smallest singular
        // directions (coordinates 12..15), which the second layer passes through with its
        // largest singular values: by the spectrum the first layer is cheap to truncate, on the
        // data it is the one that matters
        double[] s2 = flat();
        for (int i = 12; i < N; i++) {
            s2[i] = 2 - 0.01 * i;
        }
        SequentialBlock net = mlp(fast(), s2);
        List<NDList> data = batches(net, 9, 3, 100, 12);
        SensitivityReport report = sweep(net, data, Loss.l2Loss());
        SensitivityReport.Layer first = report.getLayer("01Linear");
        SensitivityReport.Layer second = report.getLayer("02Linear");
        Assert.assertTrue(first.dropAt(4) > 1e3 * Math.max(1e-9, second.dropAt(4)), "" + report);

        // 512 parameters dense; rank 4 costs 144: room for one dense layer and one at rank 4
        Budget budget = Budget.parametersTotal(400);
        SequentialBlock bySpectrum = mlp(fast(), s2);
        FactorizeReport spectral = factorize(bySpectrum, RankSelector.budget(budget));
        SequentialBlock byDrops = mlp(fast(), s2);
        FactorizeReport measured = factorize(byDrops, RankSelector.budget(budget, report));
        // by the spectrum the first layer is truncated; with the drops it stays dense and the
        // second one is truncated instead
        Assert.assertTrue(swapped(spectral).contains("01Linear"), spectral.toString());
        Assert.assertEquals(swapped(measured), List.of("02Linear"), measured.toString());
        Assert.assertEquals(measured.getSwapped().get(0).getRanks(), new int[] {4});

        // the same cost target, and a far smaller loss on the data
        long target = budget.target(spectral.getTotalBefore());
        Assert.assertTrue(spectral.getTotalAfter().getParameters() <= target);
        Assert.assertTrue(measured.getTotalAfter().getParameters() <= target);
        Assert.assertTrue(measured.getTotalAfter().getParameters() >= 0.98 * target);
        double lossSpectral = loss(bySpectrum, data);
        double lossMeasured = loss(byDrops, data);
        Assert.assertTrue(
                lossMeasured < 1e-3 * lossSpectral,
                lossMeasured + " vs " + lossSpectral + " on " + engine());
    }

    private static List<String> swapped(FactorizeReport report) {
        List<String> out = new ArrayList<>();
        for (FactorizeReport.Layer l : report.getSwapped()) {
            out.add(l.getPath());
        }
        return out;
    }

    /** The mean squared error of the model's outputs against the labels. */
    private double loss(Block net, List<NDList> data) {
        double sum = 0;
        long count = 0;
        for (NDList b : data) {
            NDArray y =
                    net.forward(new ParameterStore(manager, false), new NDList(b.get(0)), false)
                            .head();
            float[] p = y.toFloatArray();
            float[] t = b.get(1).toFloatArray();
            for (int i = 0; i < p.length; i++) {
                sum += (p[i] - t[i]) * (double) (p[i] - t[i]);
            }
            count += p.length;
        }
        return sum / count;
    }

    @Test
    public void badInputNamesTheValue() {
        SequentialBlock net = mlp(fast(), flat());
        List<NDList> data = batches(net, 3, 1, 1, 0);
        assertIllegalArgument(() -> SensitivitySweep.builder().setData(List.of()), "0 batches");
        assertIllegalArgument(
                () -> SensitivitySweep.builder().setData((Iterable<NDList>) null), "null");
        assertIllegalArgument(
                () -> SensitivitySweep.builder().setMetric(new BoundingBoxError("box")),
                "BoundingBoxError");
        assertIllegalArgument(() -> SensitivitySweep.builder().setMetric(null), "null");
        assertIllegalArgument(() -> SensitivitySweep.builder().optRankFractions(0.5, 1.5), "1.5");
        assertIllegalArgument(() -> SensitivitySweep.builder().optRankFractions(), "fraction");
        assertIllegalArgument(() -> SensitivitySweep.builder().optMaxBatches(0), "0");
        assertIllegalArgument(
                () -> SensitivitySweep.builder().setMetric(Loss.l2Loss()).build(), "setData");
        assertIllegalArgument(() -> RankSelector.budget(Budget.flops(0.5), null), "null");
        // an iterable that turns out empty, and batches without labels
        Iterable<NDList> empty = () -> new ArrayList<NDList>().iterator();
        assertIllegalArgument(
                () ->
                        SensitivitySweep.builder()
                                .setMetric(Loss.l2Loss())
                                .setData(empty)
                                .build()
                                .sweep(net),
                "0 batches");
        List<NDList> unlabeled = List.of(new NDList(data.get(0).get(0)));
        assertIllegalArgument(
                () ->
                        SensitivitySweep.builder()
                                .setMetric(Loss.l2Loss())
                                .setData(unlabeled)
                                .build()
                                .sweep(net),
                "1 array(s)");
    }

    @Test
    public void sweepReadsADatasetUpToTheBatchLimit() {
        SequentialBlock net = mlp(fast(), flat());
        NDList all = batches(net, 11, 1, 1, 0).get(0);
        ArrayDataset dataset =
                new ArrayDataset.Builder()
                        .setData(all.get(0))
                        .optLabels(all.get(1))
                        .setSampling(2, false)
                        .build();
        List<float[]> before = snapshot(net);
        SensitivityReport report =
                SensitivitySweep.builder()
                        .setMetric(Loss.l2Loss())
                        .setData(dataset)
                        .optMaxBatches(2)
                        .optRankFractions(0.5, 1.0)
                        .build()
                        .sweep(net);
        Assert.assertEquals(report.getBaseline(), 0.0, 1e-9);
        Assert.assertTrue(report.getLayer("01Linear").dropAt(8) > 0, report.toString());
        Assert.assertEquals(report.getLayer("02Linear").dropAt(16), 0.0, 1e-7);
        List<float[]> after = snapshot(net);
        for (int i = 0; i < before.size(); i++) {
            Assert.assertEquals(after.get(i), before.get(i));
        }
    }

    private static FactorizeReport factorize(Block net, RankSelector selector) {
        return Factorizer.builder()
                .setPolicy(FactorizePolicy.builder().setRank(selector).build())
                .build()
                .factorize(net);
    }
}
