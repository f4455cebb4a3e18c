package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.BlockTimer;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.fit.InputStatistics;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.fit.OutputSpectrum;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.lowrank4j.testing.Timers;
import org.testng.Assert;
import org.testng.annotations.Test;

public class RankSelectorTest extends EngineTestBase {

    /**
     * {@code Q1 diag(s) Q2ᵀ} with random orthonormal Q1 {@code (rows, k)}, Q2 {@code (cols, k)}.
     */
    private NDArray withSingularValues(long seed, long rows, long cols, double... s) {
        NDArray q1 = HostLinalg.orthonormalize(randn(seed, DataType.FLOAT64, rows, s.length));
        NDArray q2 = HostLinalg.orthonormalize(randn(seed + 1, DataType.FLOAT64, cols, s.length));
        NDArray d = manager.create(s).reshape(1, s.length);
        return q1.mul(d).matMul(q2.transpose()).toType(DataType.FLOAT32, false);
    }

    private static int single(Rank rank) {
        int[] v = rank.getValues();
        Assert.assertEquals(v.length, 1, "one rank value expected, got " + rank);
        return v[0];
    }

    // ------------------------------------------------------------------------------------------
    // energy and multipleOf

    @Test
    public void energyPicksTheDocumentedRank() {
        // energies 16, 9, 4, 1, 0.25 of a total 30.25
        NDArray a = withSingularValues(1, 7, 9, 4, 3, 2, 1, 0.5);
        LayerProfile p = LayerProfile.ofMatrix("a", a);
        double[] sv = p.getSingularValues(0);
        Assert.assertEquals(sv[0], 4, 1e-5);
        Assert.assertEquals(sv[4], 0.5, 1e-5);
        Assert.assertEquals(sv[6], 0, 1e-3);
        Assert.assertEquals(single(RankSelector.energy(0.5).select(p)), 1); // 16 >= 15.125
        Assert.assertEquals(single(RankSelector.energy(0.8).select(p)), 2); // 25 >= 24.2
        Assert.assertEquals(single(RankSelector.energy(0.9).select(p)), 3); // 29 >= 27.2
        Assert.assertEquals(single(RankSelector.energy(0.99).select(p)), 4); // 30 >= 29.9
        Assert.assertEquals(single(RankSelector.energy(1.0).select(p)), 5);
        // the profile's error is the dropped energy
        Assert.assertEquals(p.errorAt(2), 5.25 / 30.25, 1e-6);
    }

    @Test
    public void multipleOfRoundsToHardwareFriendlyRanks() {
        double[] s = new double[40];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.pow(0.9, i);
        }
        NDArray a = withSingularValues(2, 48, 64, s);
        LayerProfile p = LayerProfile.ofMatrix("a", a);
        int plain = single(RankSelector.energy(0.9).select(p));
        // energy 0.81^k: keeping 0.9 of it takes 11 components
        Assert.assertEquals(plain, 11);
        Assert.assertEquals(single(RankSelector.energy(0.9).multipleOf(8).select(p)), 8);
        Assert.assertEquals(single(RankSelector.energy(0.9).multipleOf(4).select(p)), 12);
        Assert.assertEquals(single(RankSelector.fixed(Rank.of(1)).multipleOf(16).select(p)), 16);
        // the largest multiple that fits 48, and a layer smaller than one multiple
        Assert.assertEquals(single(RankSelector.fixed(Rank.of(47)).multipleOf(32).select(p)), 32);
        Assert.assertEquals(LayerProfile.roundToStep(3, 5, 8), 5);
        Assert.assertEquals(LayerProfile.roundToStep(12, 64, 8), 16);
        Assert.assertEquals(LayerProfile.roundToStep(11, 64, 8), 8);
    }

    @Test
    public void energyWithCalibrationUsesTheOutputSpectrum() {
        NDArray w = randn(3, DataType.FLOAT32, 12, 10);
        NDArray b = randn(4, DataType.FLOAT32, 10);
        // inputs mostly on 3 directions
        NDArray x =
                randn(5, DataType.FLOAT32, 200, 3)
                        .matMul(randn(6, DataType.FLOAT32, 3, 12))
                        .add(randn(7, DataType.FLOAT32, 200, 12).mul(0.05f));
        try (InputStatistics stats = InputStatistics.forMatrix(manager, 12)) {
            stats.add(x);
            OutputSpectrum spectrum = LowRankFit.outputSpectrum(stats, w, b);
            LowRankFit fit = LowRankFit.builder().optRequireSpeedup(false).build();
            for (int k = 1; k <= 4; k++) {
                try (LowRankSolution s = fit.fitMatrix(stats, w, b, k)) {
                    Assert.assertEquals(spectrum.nmseAt(k), s.getNmse(), 1e-6, "rank " + k);
                }
            }
            Assert.assertTrue(spectrum.nmseAt(3) < 0.01, "nmse " + spectrum.nmseAt(3));
            Assert.assertTrue(spectrum.nmseAt(2) > 0.01, "nmse " + spectrum.nmseAt(2));
        }
        // through the factorizer: the weight spectrum is flat, the output spectrum is not
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(10).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
        net.getChildren()
                .valueAt(0)
                .getParameters()
                .get("weight")
                .getArray()
                .set(w.transpose().toFloatArray());
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(RankSelector.energy(0.99))
                                        .optOnlyIfCheaper(false)
                                        .build())
                        .optCalibration(List.of(new NDList(x)))
                        .build()
                        .factorize(net);
        FactorizeReport.Layer l = report.getLayers().get(0);
        Assert.assertEquals(l.getRanks()[0], 3, report.toString());
        Assert.assertTrue(l.getOutputNmse() <= 0.01, report.toString());
    }

    // ------------------------------------------------------------------------------------------
    // VBMF

    @Test
    public void vbmfRecoversTheTrueRankOfLowRankPlusNoise() {
        NDArray signal = withSingularValues(10, 40, 60, 12, 10, 8, 6, 5);
        NDArray noise = randn(11, DataType.FLOAT32, 40, 60).mul(0.1f);
        LayerProfile p = LayerProfile.ofMatrix("noisy", signal.add(noise));
        Assert.assertEquals(single(RankSelector.vbmf().select(p)), 5);
        // transposed: the same rank
        LayerProfile t = LayerProfile.ofMatrix("noisyT", signal.add(noise).transpose());
        Assert.assertEquals(single(RankSelector.vbmf().select(t)), 5);
        // weakened towards the full rank 40: round(5 + 0.5 · 35) = 23
        Assert.assertEquals(single(RankSelector.vbmf(0.5).select(p)), 23);
        Assert.assertEquals(single(RankSelector.vbmf(1.0).select(p)), 40);
        // pure noise has no component: the smallest rank
        LayerProfile n = LayerProfile.ofMatrix("noise", noise);
        Assert.assertEquals(single(RankSelector.vbmf().select(n)), 1);
    }

    // ------------------------------------------------------------------------------------------
    // budget

    /** Four 48 -> 48 linear layers with fast and slow spectra, and ReLUs between. */
    private SequentialBlock spectra() {
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < 3; i++) {
            net.add(Linear.builder().setUnits(48).build());
            net.add(Activation.reluBlock());
        }
        net.add(Linear.builder().setUnits(48).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(4, 48));
        double[][] s = new double[4][48];
        for (int k = 0; k < 48; k++) {
            s[0][k] = Math.pow(0.5, k);
            s[1][k] = 1.0 / (k + 1);
            s[2][k] = Math.pow(0.93, k);
            s[3][k] = Math.pow(0.8, k);
        }
        for (int i = 0; i < 4; i++) {
            NDArray w = withSingularValues(20 + 2 * i, 48, 48, s[i]);
            net.getChildren()
                    .valueAt(2 * i)
                    .getParameters()
                    .get("weight")
                    .getArray()
                    .set(w.toFloatArray());
        }
        return net;
    }

    private static double totalError(FactorizeReport report) {
        double total = 0;
        for (FactorizeReport.Layer l : report.getSwapped()) {
            total += l.getWeightError() * l.getWeightError();
        }
        return total;
    }

    private static FactorizeReport factorize(Block net, RankSelector selector) {
        return Factorizer.builder()
                .setPolicy(FactorizePolicy.builder().setRank(selector).build())
                .build()
                .factorize(net);
    }

    @Test
    public void budgetLandsWithinTwoPercentOfTheTarget() {
        for (double fraction : new double[] {0.4, 0.6}) {
            Block net = spectra();
            long before = org.lowrank4j.cost.CostCounter.count(net, new Shape(4, 48)).getFlops();
            FactorizeReport report = factorize(net, RankSelector.budget(Budget.flops(fraction)));
            long target = (long) (fraction * before);
            long after = report.getTotalAfter().getFlops();
            Assert.assertEquals(report.getTotalBefore().getFlops(), before);
            Assert.assertTrue(
                    after <= target && after >= 0.98 * target,
                    "FLOPs " + after + " for a target " + target + "\n" + report);
        }
        Block net = spectra();
        FactorizeReport report = factorize(net, RankSelector.budget(Budget.parameters(0.5)));
        long target = report.getTotalBefore().getParameters() / 2;
        long after = report.getTotalAfter().getParameters();
        Assert.assertTrue(after <= target && after >= 0.98 * target, after + " vs " + target);
        // a budget that is met needs no note
        Assert.assertEquals(report.getNotes(), List.of(), report.toString());
    }

    @Test
    public void aBudgetNoChoiceCanMeetIsSaidInTheReport() {
        Block uniformNet = spectra();
        FactorizeReport cheapestUniform = factorize(uniformNet, RankSelector.fixed(Rank.of(1)));
        Block net = spectra();
        long before = org.lowrank4j.cost.CostCounter.count(net, new Shape(4, 48)).getFlops();
        // 10% below the cheapest model the candidates allow
        long target = cheapestUniform.getTotalAfter().getFlops() * 9 / 10;
        FactorizeReport report = factorize(net, RankSelector.budget(Budget.flopsTotal(target)));
        Assert.assertEquals(report.getNotes().size(), 1, report.toString());
        String note = report.getNotes().get(0);
        Assert.assertTrue(
                note.startsWith("the budget (" + target + " FLOPs) cannot be met: it leaves "),
                note);
        Assert.assertTrue(note.endsWith("each of them got its cheapest"), note);
        Assert.assertTrue(report.toString().contains("note: " + note), report.toString());
        Assert.assertEquals(
                com.google.gson.JsonParser.parseString(report.toJson())
                        .getAsJsonObject()
                        .getAsJsonArray("notes")
                        .get(0)
                        .getAsString(),
                note);
        // every layer got its cheapest candidate: rank 1, as cheap as the uniform rank 1
        Assert.assertEquals(
                report.getTotalAfter().getFlops(), cheapestUniform.getTotalAfter().getFlops());
        Assert.assertTrue(report.getTotalAfter().getFlops() < before);
        // a budget below what the layers it does not spend already take
        FactorizeReport tiny = factorize(spectra(), RankSelector.budget(Budget.flopsTotal(1)));
        Assert.assertEquals(
                tiny.getNotes(),
                List.of(
                        "the budget (1 FLOPs) cannot be met: the layers it does not spend take"
                                + " more than all of it; each of them got its cheapest"));
    }

    @Test
    public void budgetBeatsAUniformFractionAtTheSameCost() {
        FactorizeReport uniform = factorize(spectra(), RankSelector.fixed(Rank.fraction(0.3)));
        long cost = uniform.getTotalAfter().getFlops();
        FactorizeReport budget = factorize(spectra(), RankSelector.budget(Budget.flopsTotal(cost)));
        long after = budget.getTotalAfter().getFlops();
        Assert.assertTrue(after <= cost && after >= 0.98 * cost, after + " vs " + cost);
        double u = totalError(uniform);
        double b = totalError(budget);
        // about 0.31 against 0.47 (a uniform rank 7 everywhere)
        Assert.assertTrue(b < 0.75 * u, "budget error " + b + " vs uniform " + u + "\n" + budget);
        // the slowly decaying layer gets a larger share of the rank than the fast-decaying one
        Assert.assertTrue(
                budget.getLayer("05Linear").getRanks()[0]
                        > budget.getLayer("01Linear").getRanks()[0],
                budget.toString());
    }

    @Test
    public void budgetWithMultiplesChoosesMultiplesOnly() {
        FactorizeReport report =
                factorize(spectra(), RankSelector.budget(Budget.flops(0.5)).multipleOf(8));
        Assert.assertFalse(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Assert.assertEquals(l.getRanks()[0] % 8, 0, report.toString());
        }
        Assert.assertTrue(
                report.getTotalAfter().getFlops() <= 0.5 * report.getTotalBefore().getFlops());
    }

    @Test
    public void selectorsWorkPerLayerThroughThePolicy() {
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(16)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(Activation.reluBlock());
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(16)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 8, 6, 6));
        NDArray w0 = net.getChildren().valueAt(0).getParameters().get("weight").getArray();
        LayerProfile independent = LayerProfile.ofMatrix("w0", w0.reshape(16, 72));
        int expected = single(RankSelector.energy(0.7).select(independent));
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(RankSelector.energy(0.7))
                                        .optLayerRank("03Conv2d", RankSelector.fixed(Rank.of(3)))
                                        .build())
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getLayer("01Conv2d").getRanks()[0], expected, report.toString());
        Assert.assertEquals(report.getLayer("03Conv2d").getRanks()[0], 3, report.toString());
    }

    // ------------------------------------------------------------------------------------------
    // latency budget (deterministic timers: a pass takes 1 ns per FLOP and 500 ns per array)

    private static final Shape SPECTRA_INPUT = new Shape(4, 48);
    private static final long LAUNCH = 500;

    private static long nanos(Block block) {
        return Timers.costNanos(block, LAUNCH, SPECTRA_INPUT);
    }

    @Test
    public void latencyBudgetLandsWithinTwoPercentOfTheTargetAndTimesEachCandidateOnce() {
        for (double fraction : new double[] {0.4, 0.6}) {
            Block net = spectra();
            long before = nanos(net);
            long dense = nanos(net.getChildren().valueAt(0));
            Map<String, Integer> runs = new HashMap<>();
            LatencyMeter meter = Timers.meter(Timers.byCost(LAUNCH, runs));
            FactorizeReport report =
                    factorize(net, RankSelector.budget(Budget.latency(fraction, meter)));
            long after = nanos(net);
            double target = fraction * before;
            Assert.assertTrue(
                    after <= target && after >= 0.98 * target,
                    "latency " + after + " ns for a target " + target + "\n" + report);
            // the cache is hit: every configuration is timed once, 1 warm-up + 3 timed runs
            Assert.assertFalse(runs.isEmpty());
            for (Map.Entry<String, Integer> e : runs.entrySet()) {
                Assert.assertEquals((int) e.getValue(), 4, e.getKey());
            }
            Assert.assertEquals(meter.getCache().size(), runs.size());
            // the report shows the measured latency before and after each swapped layer
            Assert.assertFalse(report.getSwapped().isEmpty(), report.toString());
            for (FactorizeReport.Layer l : report.getSwapped()) {
                Assert.assertEquals(l.getLatencyBefore(), dense / 1e6, 1e-12);
                Block now = net.getChildren().get(l.getPath());
                Assert.assertEquals(l.getLatencyAfter(), nanos(now) / 1e6, 1e-12);
                Assert.assertTrue(l.getLatencyAfter() < l.getLatencyBefore(), l.toString());
            }
            // a second model of the same configurations is factorized from the cache alone
            int timed = runs.values().stream().mapToInt(Integer::intValue).sum();
            FactorizeReport again =
                    factorize(spectra(), RankSelector.budget(Budget.latency(fraction, meter)));
            Assert.assertEquals(runs.values().stream().mapToInt(Integer::intValue).sum(), timed);
            Assert.assertEquals(again.toString(), report.toString());
        }
    }

    @Test
    public void latencyBudgetBeatsAUniformFractionAtTheSameMeasuredLatency() {
        LatencyMeter meter = Timers.meter(Timers.byCost(LAUNCH, null));
        Block uniformNet = spectra();
        FactorizeReport uniform =
                Factorizer.builder()
                        .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.3)).build())
                        .optLatency(meter)
                        .build()
                        .factorize(uniformNet);
        long cost = nanos(uniformNet);
        Block net = spectra();
        FactorizeReport budget =
                factorize(net, RankSelector.budget(Budget.latencyTotal(cost / 1e6, meter)));
        long after = nanos(net);
        Assert.assertTrue(after <= cost && after >= 0.98 * cost, after + " vs " + cost);
        double u = totalError(uniform);
        double b = totalError(budget);
        Assert.assertTrue(b < 0.75 * u, "budget error " + b + " vs uniform " + u + "\n" + budget);
    }

    @Test
    public void aLayerWhoseEveryCandidateMeasuresSlowerStaysDense() {
        // dense layers take 1 us, every two-factor block 2 us whatever its rank
        BlockTimer timer =
                Timers.byLeaf(
                        b -> b instanceof LowRankLinear ? 2000 : b instanceof Linear ? 1000 : 0,
                        null);
        Block net = spectra();
        List<Block> before = new ArrayList<>(net.getChildren().values());
        FactorizeReport report =
                factorize(net, RankSelector.budget(Budget.latency(0.5, Timers.meter(timer))));
        Assert.assertTrue(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertTrue(l.getReason().startsWith("kept dense by budget("), l.getReason());
            Assert.assertEquals(l.getLatencyBefore(), 0.001, 1e-12);
        }
        Assert.assertEquals(net.getChildren().values(), before);
        // half the dense latency is out of reach when nothing is faster than dense
        Assert.assertEquals(report.getNotes().size(), 1, report.toString());
        Assert.assertTrue(
                report.getNotes()
                        .get(0)
                        .matches(
                                "the budget \\(0.5 of the original latency\\)"
                                        + " cannot be met: it leaves [0-9.]+ ms to the [0-9]+ layer\\(s\\) it"
                                        + " spends, whose cheapest candidates take [0-9.]+ ms; each of them got"
                                        + " its cheapest"),
                report.getNotes().get(0));
    }

    /** A selector of the user's own, handing every call to another one. */
    private static final class Delegating implements RankSelector {
        private final RankSelector inner;

        Delegating(RankSelector inner) {
            this.inner = inner;
        }

        @Override
        public Rank select(LayerProfile layer) {
            return inner.select(layer);
        }

        @Override
        public boolean isGlobal() {
            return inner.isGlobal();
        }

        @Override
        public Map<String, Rank> selectAll(ModelProfile model) {
            return inner.selectAll(model);
        }

        @Override
        public Map<String, Rank> selectAll(ModelProfile model, List<String> notes) {
            return inner.selectAll(model, notes);
        }

        @Override
        public LatencyMeter latencyMeter() {
            return inner.latencyMeter();
        }

        @Override
        public String toString() {
            return "mine(" + inner + ")";
        }
    }

    @Test
    public void aUsersOwnSelectorGetsWhatABuiltInOneGets() {
        // the latency budget of the test above, behind a selector the library does not know
        BlockTimer timer =
                Timers.byLeaf(
                        b -> b instanceof LowRankLinear ? 2000 : b instanceof Linear ? 1000 : 0,
                        null);
        RankSelector mine =
                new Delegating(RankSelector.budget(Budget.latency(0.5, Timers.meter(timer))));
        FactorizeReport report = factorize(spectra(), mine);
        Assert.assertTrue(report.getSwapped().isEmpty(), report.toString());
        for (FactorizeReport.Layer l : report.getLayers()) {
            Assert.assertTrue(
                    l.getReason().startsWith("kept dense by mine(budget("), l.getReason());
            // measured with the selector's meter
            Assert.assertEquals(l.getLatencyBefore(), 0.001, 1e-12);
        }
        Assert.assertEquals(report.getNotes().size(), 1, report.toString());
        Assert.assertTrue(
                report.getNotes().get(0).startsWith("the budget (0.5 of the original latency)"),
                report.getNotes().get(0));
        // a built-in wrapper keeps the notes too
        FactorizeReport rounded =
                factorize(spectra(), RankSelector.budget(Budget.flopsTotal(1)).multipleOf(2));
        Assert.assertEquals(
                rounded.getNotes(),
                List.of(
                        "the budget (1 FLOPs) cannot be met: the layers it does not spend take"
                                + " more than all of it; each of them got its cheapest"));
    }

    @Test
    public void aFailedLatencyBudgetLeavesTheModelUnchanged() {
        BlockTimer failing =
                (block, inputs) -> {
                    if (block instanceof LowRankLinear) {
                        throw new IllegalStateException("the device is gone");
                    }
                    return 1000;
                };
        Block net = spectra();
        List<Block> before = new ArrayList<>(net.getChildren().values());
        float[] weight =
                net.getChildren()
                        .valueAt(0)
                        .getParameters()
                        .get("weight")
                        .getArray()
                        .toFloatArray();
        IllegalStateException e =
                Assert.expectThrows(
                        IllegalStateException.class,
                        () ->
                                factorize(
                                        net,
                                        RankSelector.budget(
                                                Budget.latency(0.5, Timers.meter(failing)))));
        Assert.assertEquals(e.getMessage(), "the device is gone");
        Assert.assertEquals(net.getChildren().values(), before);
        Assert.assertEquals(
                net.getChildren()
                        .valueAt(0)
                        .getParameters()
                        .get("weight")
                        .getArray()
                        .toFloatArray(),
                weight);
    }

    // ------------------------------------------------------------------------------------------
    // bad input

    @Test
    public void badInputNamesTheValue() {
        assertIllegalArgument(() -> RankSelector.energy(0), "0.0");
        assertIllegalArgument(() -> RankSelector.energy(1.5), "1.5");
        assertIllegalArgument(() -> RankSelector.energy(Double.NaN), "NaN");
        assertIllegalArgument(() -> RankSelector.vbmf(-0.1), "-0.1");
        assertIllegalArgument(() -> RankSelector.vbmf(2), "2.0");
        assertIllegalArgument(() -> RankSelector.energy(0.9).multipleOf(0), "multiple 0");
        assertIllegalArgument(() -> Budget.flops(0), "0.0");
        assertIllegalArgument(() -> Budget.flops(1.2), "1.2");
        assertIllegalArgument(() -> Budget.parameters(-0.5), "-0.5");
        assertIllegalArgument(() -> Budget.flopsTotal(0), "0");
        assertIllegalArgument(() -> Budget.parametersTotal(-3), "-3");
        assertIllegalArgument(() -> RankSelector.budget(null), "null");
        assertIllegalArgument(() -> RankSelector.fixed(null), "null");
        assertIllegalArgument(
                () ->
                        FactorizePolicy.builder()
                                .optLayerRank("x", RankSelector.budget(Budget.flops(0.5))),
                "budget");
        LayerProfile p = LayerProfile.ofMatrix("m", randn(1, DataType.FLOAT32, 4, 6));
        assertIllegalArgument(() -> p.errorAt(5), "rank 5");
        assertIllegalArgument(() -> p.costAt(1, 1), "[1, 1]");
        Assert.expectThrows(
                IllegalStateException.class,
                () -> RankSelector.budget(Budget.flops(0.5)).select(p));
        assertIllegalArgument(() -> Budget.latency(0), "0.0");
        assertIllegalArgument(() -> Budget.latency(1.5), "1.5");
        assertIllegalArgument(() -> Budget.latency(Double.NaN), "NaN");
        assertIllegalArgument(() -> Budget.latencyTotal(0), "0.0 ms");
        assertIllegalArgument(() -> Budget.latencyTotal(-2), "-2.0 ms");
        assertIllegalArgument(() -> Budget.latencyTotal(Double.NaN), "NaN ms");
        assertIllegalArgument(() -> Budget.latencyTotal(Double.POSITIVE_INFINITY), "Infinity");
        LatencyMeter meter = Timers.meter(Timers.byCost(LAUNCH, null));
        assertIllegalArgument(() -> Budget.latency(0.5, null), "meter null");
        assertIllegalArgument(() -> Budget.latencyTotal(3, null), "meter null");
        assertIllegalArgument(() -> Budget.latency(2, meter), "2.0");
        Assert.expectThrows(
                IllegalStateException.class,
                () -> Budget.latency(0.5).measure(org.lowrank4j.cost.BlockCost.ZERO));
        IllegalStateException noLatency =
                Assert.expectThrows(
                        IllegalStateException.class,
                        () ->
                                RankSelector.budget(Budget.latency(0.5, meter))
                                        .selectAll(
                                                ModelProfile.of(
                                                        List.of(p),
                                                        p.getDenseCost(),
                                                        org.lowrank4j.cost.BlockCost.ZERO)));
        Assert.assertTrue(noLatency.getMessage().contains("withLatency"), noLatency.getMessage());
        IllegalStateException untimed =
                Assert.expectThrows(IllegalStateException.class, () -> p.latencyAt(meter, 1));
        Assert.assertTrue(untimed.getMessage().contains("'m'"), untimed.getMessage());
        assertIllegalArgument(
                () ->
                        ModelProfile.of(
                                        List.of(p),
                                        p.getDenseCost(),
                                        org.lowrank4j.cost.BlockCost.ZERO)
                                .withLatency(-1, 0),
                "-1.0 ms");
        List<String> unused = new ArrayList<>();
        Assert.assertTrue(unused.isEmpty());
    }
}
