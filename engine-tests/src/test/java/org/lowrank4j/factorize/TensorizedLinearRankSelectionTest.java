package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.BlockTimer;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;
import org.lowrank4j.testing.EngineTestBase;
import org.lowrank4j.testing.Timers;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Rank selectors choosing the ranks of tensorized linear layers (CP, Tucker, block-TT). */
public class TensorizedLinearRankSelectionTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT
    };

    /**
     * The weight {@code (out, in)} of the tensor {@code Σ_i s_i a_{0,i} ⊗ … ⊗ a_{n-1,i}} over the
     * modes {@code (O_0…, I_0…)}: with orthonormal factor columns, every unfolding that splits the
     * modes into two groups (a Tucker mode, a TT bond, a CP matricization) has the singular values
     * {@code s}; otherwise the columns are random unit vectors.
     */
    private NDArray cpWeight(
            long seed, Shape outShape, Shape inShape, boolean orthonormal, double... s) {
        int r = s.length;
        NDArray left = khatriRao(seed, outShape, r, orthonormal);
        NDArray right = khatriRao(seed + 100, inShape, r, orthonormal);
        NDArray w = left.mul(manager.create(s).reshape(1, r)).matMul(right.transpose());
        return w.toType(DataType.FLOAT32, false);
    }

    private NDArray khatriRao(long seed, Shape modes, int r, boolean orthonormal) {
        NDArray acc = manager.ones(new Shape(1, r), DataType.FLOAT64);
        for (int k = 0; k < modes.dimension(); k++) {
            long m = modes.get(k);
            NDArray f = randn(seed + k, DataType.FLOAT64, m, r);
            f =
                    orthonormal
                            ? HostLinalg.orthonormalize(f)
                            : f.div(f.square().sum(new int[] {0}, true).sqrt());
            long rows = acc.getShape().get(0);
            acc = acc.reshape(rows, 1, r).mul(f.reshape(1, m, r)).reshape(rows * m, r);
        }
        return acc;
    }

    private void setWeight(Block linear, NDArray w) {
        linear.getParameters().get("weight").getArray().set(w.toFloatArray());
    }

    private LayerProfile profile(Factorization f, Block linear, Shape input) {
        return LayerMethods.forLinear(f)
                .profile(
                        new LayerRequest(
                                "linear",
                                linear,
                                new Shape[] {input},
                                null,
                                ConvImplementation.FACTORIZED,
                                null));
    }

    private static FactorizePolicy.Builder policy(Factorization f, RankSelector selector) {
        return FactorizePolicy.builder()
                .setRank(selector)
                .optLinearFactorization(f)
                .optImplementation(ConvImplementation.FACTORIZED);
    }

    private static FactorizeReport factorize(Block net, FactorizePolicy policy) {
        return Factorizer.builder().setPolicy(policy).build().factorize(net);
    }

    private static double totalError(FactorizeReport report) {
        double total = 0;
        for (FactorizeReport.Layer l : report.getSwapped()) {
            total += l.getWeightError() * l.getWeightError();
        }
        return total;
    }

    private static List<float[]> weights(Block net) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, ai.djl.nn.Parameter> p : net.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    private static void assertUnchanged(
            Block net, List<Block> children, List<float[]> values, String what) {
        Assert.assertEquals(net.getChildren().values(), children, what + ": a block was swapped");
        List<float[]> now = weights(net);
        Assert.assertEquals(now.size(), values.size(), what);
        for (int i = 0; i < now.size(); i++) {
            Assert.assertEquals(now.get(i), values.get(i), what + ": parameter " + i + " changed");
        }
    }

    // ------------------------------------------------------------------------------------------
    // the profile's modes and energy

    @Test
    public void energyPicksTheDocumentedRankOfAKnownTensorStructure() {
        // 343 = 7·7·7: the tensor (7, 7, 7, 7, 7, 7); energies 16, 4, 1, 0.25, 0.0625 of 21.3125
        Pair<Shape, Shape> shapes = Tensorize.shapes(343, 343, 3);
        Shape modes = new Shape(7, 7, 7);
        Assert.assertEquals(shapes.getKey(), modes);
        Assert.assertEquals(shapes.getValue(), modes);
        NDArray w = cpWeight(1, modes, modes, true, 4, 2, 1, 0.5, 0.25);
        Shape input = new Shape(2, 343);
        for (Factorization f : FORMATS) {
            SequentialBlock net = new SequentialBlock().add(Linear.builder().setUnits(343).build());
            net.initialize(manager, DataType.FLOAT32, input);
            Block linear = net.getChildren().valueAt(0);
            setWeight(linear, w);
            LayerProfile p = profile(f, linear, input);
            // Tucker: the six mode unfoldings (7, 7^5); TT: the bonds of the train (49, 49, 49),
            // (49, 2401) and (2401, 49); CP: the balanced matricization (343, 343)
            int n = f == Factorization.TUCKER ? 6 : f == Factorization.TT ? 2 : 1;
            Assert.assertEquals(p.getModes(), n, f.toString());
            for (int m = 0; m < n; m++) {
                int max = f == Factorization.TUCKER ? 7 : f == Factorization.TT ? 49 : 343;
                Assert.assertEquals(p.getMaxRank(m), max, f + " mode " + m);
                double[] sv = p.getSingularValues(m);
                Assert.assertEquals(sv[0], 4, 1e-4, f + " mode " + m);
                Assert.assertEquals(sv[1], 2, 1e-4, f + " mode " + m);
                Assert.assertEquals(sv[4], 0.25, 1e-4, f + " mode " + m);
                Assert.assertEquals(sv[5], 0, 1e-3, f + " mode " + m);
            }
            int[] expected = {1, 2, 3, 4, 5};
            double[] energies = {0.5, 0.9, 0.98, 0.995, 1.0};
            for (int i = 0; i < energies.length; i++) {
                int[] chosen = RankSelector.energy(energies[i]).select(p).getValues();
                int[] want = new int[n];
                Arrays.fill(want, expected[i]);
                Assert.assertEquals(chosen, want, f + " energy " + energies[i]);
            }
            // the error of two ranks per mode is the dropped energy of each mode
            int[] two = new int[n];
            Arrays.fill(two, 2);
            Assert.assertEquals(p.errorAt(two), n * 1.3125 / 21.3125, 1e-5, f.toString());
            // the cost is that of the block the ranks build
            BlockCost cost = p.costAt(two);
            Assert.assertTrue(cost.getParameters() < p.getDenseCost().getParameters(), f + "");
            Assert.assertTrue(cost.getFlops() < p.getDenseCost().getFlops(), f.toString());

            // through the factorizer: the realised ranks and the truncation's exact error
            FactorizeReport report = factorize(net, policy(f, RankSelector.energy(0.9)).build());
            FactorizeReport.Layer layer = report.getLayer("01Linear");
            Assert.assertTrue(layer.isSwapped(), report.toString());
            Assert.assertTrue(net.getChildren().valueAt(0) instanceof FactorizedLinear);
            int[] realised =
                    f == Factorization.TUCKER
                            ? new int[] {2, 2, 2, 2, 2, 2}
                            : f == Factorization.TT ? new int[] {1, 2, 2, 1} : new int[] {2};
            Assert.assertEquals(layer.getRanks(), realised, report.toString());
            if (f != Factorization.CP) {
                // HOSVD and TT-SVD keep exactly the two leading terms
                Assert.assertEquals(
                        layer.getWeightError(), Math.sqrt(1.3125 / 21.3125), 1e-3, f.toString());
            }
            // VBMF sees the five terms above a zero noise floor
            int[] vbmf = RankSelector.vbmf().select(p).getValues();
            for (int v : vbmf) {
                Assert.assertTrue(v >= 1 && v <= 5, f + " VBMF " + Arrays.toString(vbmf));
            }
            // multipleOf rounds each mode's rank: 3 -> 4, at most the largest multiple that fits
            int[] rounded = RankSelector.energy(0.98).multipleOf(2).select(p).getValues();
            int[] four = new int[n];
            Arrays.fill(four, 4);
            Assert.assertEquals(rounded, four, f.toString());
        }
    }

    // ------------------------------------------------------------------------------------------
    // a global FLOPs budget

    private static final Shape MLP_INPUT = new Shape(4, 512);

    /**
     * How close to its target a budget lands: the candidates of a tensorized layer raise one rank
     * value at a time, but one block-TT bond step still moves the largest layer's cost by about 3%
     * here (a two-factor layer of 48 ranks allows 2%).
     */
    private static final double LANDING = 0.97;

    /**
     * Four 512 -> 512 layers (tensorized (4, 8, 16) -> (4, 8, 16)) whose weights are sums of 64
     * random rank-one tensors with weights decaying at different rates, ReLUs between.
     */
    private SequentialBlock mlp() {
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < 3; i++) {
            net.add(Linear.builder().setUnits(512).build());
            net.add(Activation.reluBlock());
        }
        net.add(Linear.builder().setUnits(512).build());
        net.initialize(manager, DataType.FLOAT32, MLP_INPUT);
        double[] decay = {0.5, 0.97, 0.8, 1.0};
        Shape modes = new Shape(4, 8, 16);
        for (int i = 0; i < 4; i++) {
            double[] s = new double[64];
            for (int k = 0; k < s.length; k++) {
                s[k] = Math.pow(decay[i], k);
            }
            setWeight(
                    net.getChildren().valueAt(2 * i), cpWeight(40 + 7 * i, modes, modes, false, s));
        }
        return net;
    }

    @Test
    public void flopsBudgetLandsNearTheTargetAndBeatsAUniformFraction() {
        for (Factorization f : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            for (double fraction : new double[] {0.3, 0.6}) {
                Block net = mlp();
                long before = CostCounter.count(net, MLP_INPUT).getFlops();
                FactorizeReport report =
                        factorize(
                                net,
                                policy(f, RankSelector.budget(Budget.flops(fraction))).build());
                long target = (long) (fraction * before);
                long after = report.getTotalAfter().getFlops();
                Assert.assertEquals(report.getTotalBefore().getFlops(), before);
                Assert.assertEquals(CostCounter.count(net, MLP_INPUT).getFlops(), after);
                Assert.assertTrue(
                        after <= target && after >= LANDING * target,
                        f + ": FLOPs " + after + " for a target " + target + "\n" + report);
                for (FactorizeReport.Layer l : report.getSwapped()) {
                    Assert.assertTrue(
                            net.getChildren().get(l.getPath()) instanceof FactorizedLinear);
                }
            }
            FactorizeReport uniform =
                    factorize(mlp(), policy(f, RankSelector.fixed(Rank.fraction(0.2))).build());
            long cost = uniform.getTotalAfter().getFlops();
            FactorizeReport budget =
                    factorize(
                            mlp(), policy(f, RankSelector.budget(Budget.flopsTotal(cost))).build());
            long after = budget.getTotalAfter().getFlops();
            Assert.assertTrue(
                    after <= cost && after >= LANDING * cost, f + ": " + after + " vs " + cost);
            double u = totalError(uniform);
            double b = totalError(budget);
            Assert.assertTrue(
                    b <= u,
                    f + ": budget error " + b + " vs uniform " + u + "\n" + budget + uniform);
        }
    }

    @Test
    public void oneBudgetSpansConvolutionsAndTensorizedLinearLayers() {
        // two Tucker convolutions and two tensorized (block-TT) linear layers share one FLOPs
        // budget
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(32)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(Activation.reluBlock());
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(32)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(512).build());
        net.add(Activation.reluBlock());
        net.add(Linear.builder().setUnits(512).build());
        Shape input = new Shape(2, 32, 4, 4);
        net.initialize(manager, DataType.FLOAT32, input);
        // structured weights, so that compressing either kind costs little error: convolutions of
        // channel rank 6 and tensorized layers with decaying CP terms, all of similar scale
        for (int i : new int[] {0, 2}) {
            NDArray a = randn(50 + i, DataType.FLOAT32, 32, 6);
            NDArray b = randn(60 + i, DataType.FLOAT32, 6, 32 * 9);
            setWeight(net.getChildren().valueAt(i), a.matMul(b).div(20).reshape(32, 32, 3, 3));
        }
        double[] s = new double[48];
        for (int k = 0; k < s.length; k++) {
            s[k] = Math.pow(0.8, k);
        }
        Shape modes = new Shape(4, 8, 16);
        setWeight(net.getChildren().valueAt(4), cpWeight(70, modes, modes, false, s));
        setWeight(net.getChildren().valueAt(6), cpWeight(80, modes, modes, false, s));
        long before = CostCounter.count(net, input).getFlops();
        double fraction = 0.5;
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(RankSelector.budget(Budget.flops(fraction)))
                                        .optLayerTypes(Conv2d.class, Linear.class)
                                        .optConvFactorization(Factorization.TUCKER)
                                        .optLinearFactorization(Factorization.TT)
                                        .optImplementation(ConvImplementation.FACTORIZED)
                                        .build())
                        .optInputShapes(input)
                        .build()
                        .factorize(net);
        long target = (long) (fraction * before);
        long after = CostCounter.count(net, input).getFlops();
        Assert.assertEquals(report.getTotalAfter().getFlops(), after);
        Assert.assertTrue(
                after <= target && after >= LANDING * target,
                "FLOPs " + after + " for a target " + target + "\n" + report);
        boolean conv = false;
        boolean linear = false;
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Block now = net.getChildren().get(l.getPath());
            conv |= now instanceof org.lowrank4j.nn.FactorizedConv;
            linear |= now instanceof FactorizedLinear;
        }
        Assert.assertTrue(conv && linear, "both kinds of layer share the budget\n" + report);
    }

    @Test
    public void sensitivitySweepOverTensorizedLayersLeavesTheModelAndFeedsTheBudget() {
        for (Factorization f : new Factorization[] {Factorization.TUCKER, Factorization.TT}) {
            Block net = mlp();
            List<Block> children = new ArrayList<>(net.getChildren().values());
            List<float[]> values = weights(net);
            List<NDList> data = new ArrayList<>();
            for (int b = 0; b < 2; b++) {
                NDArray x = randn(90 + b, DataType.FLOAT32, MLP_INPUT.getShape());
                NDArray y =
                        net.forward(new ParameterStore(manager, false), new NDList(x), false)
                                .singletonOrThrow();
                data.add(new NDList(x, y));
            }
            FactorizePolicy policy = policy(f, RankSelector.fixed(Rank.fraction(0.5))).build();
            SensitivityReport report =
                    SensitivitySweep.builder()
                            .setMetric(Loss.l2Loss())
                            .setData(data)
                            .optPolicy(policy)
                            .optRankFractions(0.1, 0.25, 1.0)
                            .build()
                            .sweep(net);
            assertUnchanged(net, children, values, f + " sweep");
            Assert.assertEquals(report.getLayers().size(), 4, report.toString());
            boolean sensitive = false;
            for (SensitivityReport.Layer l : report.getLayers()) {
                List<SensitivityReport.Point> p = l.getPoints();
                // fractions that round to the same ranks give one point
                Assert.assertTrue(p.size() >= 2, l.getPath());
                // lower ranks lose at least as much of the outputs
                for (int i = 1; i < p.size(); i++) {
                    Assert.assertTrue(
                            p.get(i - 1).getDrop() >= p.get(i).getDrop() - 1e-6,
                            f + " " + l.getPath());
                }
                sensitive |=
                        p.get(0).getDrop() > 100 * Math.max(p.get(p.size() - 1).getDrop(), 1e-30);
            }
            // some layer loses far more at its lowest rank than at full rank
            Assert.assertTrue(sensitive, f + "\n" + report);
            if (f != Factorization.TUCKER) {
                // block-TT at the swept ranks runs more FLOPs than these dense layers, so no point
                // of the sweep fits a FLOPs budget: only the sweep itself is checked
                for (SensitivityReport.Layer l : report.getLayers()) {
                    for (SensitivityReport.Point p : l.getPoints()) {
                        Assert.assertTrue(
                                p.getCost().getFlops() > MLP_INPUT.get(0) * 512L * 512L,
                                l.getPath() + " " + java.util.Arrays.toString(p.getRanks()));
                    }
                }
                continue;
            }
            // the budget accepts the sweep for these layers
            FactorizeReport budgeted =
                    factorize(
                            net, policy(f, RankSelector.budget(Budget.flops(0.5), report)).build());
            long target = (long) (0.5 * budgeted.getTotalBefore().getFlops());
            Assert.assertTrue(budgeted.getTotalAfter().getFlops() <= target, f + "\n" + budgeted);
            Assert.assertFalse(budgeted.getSwapped().isEmpty(), budgeted.toString());
        }
    }

    // ------------------------------------------------------------------------------------------
    // a latency budget (a pass takes 1 ns per FLOP and 500 ns per parameter array)

    private static final long LAUNCH = 500;

    @Test
    public void latencyBudgetWithADeterministicTimerLandsNearTheTarget() {
        for (Factorization f : FORMATS) {
            Block net = mlp();
            long before = Timers.costNanos(net, LAUNCH, MLP_INPUT);
            Map<String, Integer> runs = new HashMap<>();
            LatencyMeter meter = Timers.meter(Timers.byCost(LAUNCH, runs));
            double fraction = 0.5;
            FactorizeReport report =
                    factorize(
                            net,
                            policy(
                                            f,
                                            RankSelector.budget(Budget.latency(fraction, meter))
                                                    .multipleOf(f == Factorization.CP ? 8 : 1))
                                    .build());
            long after = Timers.costNanos(net, LAUNCH, MLP_INPUT);
            double target = fraction * before;
            Assert.assertTrue(
                    after <= target && after >= LANDING * target,
                    f + ": latency " + after + " ns for a target " + target + "\n" + report);
            Assert.assertFalse(runs.isEmpty());
            for (Map.Entry<String, Integer> e : runs.entrySet()) {
                Assert.assertEquals((int) e.getValue(), 4, e.getKey());
            }
            Assert.assertFalse(report.getSwapped().isEmpty(), report.toString());
            for (FactorizeReport.Layer l : report.getSwapped()) {
                Block now = net.getChildren().get(l.getPath());
                Assert.assertTrue(now instanceof FactorizedLinear, l.toString());
                Assert.assertEquals(
                        l.getLatencyAfter(),
                        Timers.costNanos(now, LAUNCH, MLP_INPUT) / 1e6,
                        1e-12,
                        l.toString());
                Assert.assertTrue(l.getLatencyAfter() < l.getLatencyBefore(), l.toString());
                // AUTO was decided by measurement: the faster implementation is fixed
                FactorizedLinear fl = (FactorizedLinear) now;
                ConvImplementation chosen = fl.getImplementation();
                Assert.assertNotEquals(chosen, ConvImplementation.AUTO, l.toString());
                long chosenNanos = Timers.costNanos(fl, LAUNCH, MLP_INPUT);
                fl.setImplementation(
                        chosen == ConvImplementation.FACTORIZED
                                ? ConvImplementation.RECONSTRUCTED
                                : ConvImplementation.FACTORIZED);
                Assert.assertTrue(
                        chosenNanos <= Timers.costNanos(fl, LAUNCH, MLP_INPUT), l.toString());
                fl.setImplementation(chosen);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // bad input

    @Test
    public void impossibleConfigurationsAreClearErrorsAndLeaveTheModelUnchanged() {
        // 7 -> 13 features: prime sizes, tensorized shapes of order 1, no TT bond to choose
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(13).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(2, 7));
        List<Block> children = new ArrayList<>(net.getChildren().values());
        List<float[]> values = weights(net);
        assertIllegalArgument(
                () ->
                        factorize(
                                net,
                                policy(Factorization.TT, RankSelector.energy(0.9))
                                        .optOnlyIfCheaper(false)
                                        .build()),
                "has tensorized shapes (7) -> (13) of order 1");
        assertUnchanged(net, children, values, "TT energy");
        assertIllegalArgument(
                () ->
                        factorize(
                                net,
                                policy(Factorization.TT, RankSelector.budget(Budget.flops(0.5)))
                                        .build()),
                "a rank selector is accepted for shapes of order 2 or more");
        assertUnchanged(net, children, values, "TT budget");
        // MOBILENET is no tensorized linear implementation, whatever chooses the rank
        assertIllegalArgument(
                () ->
                        factorize(
                                net,
                                policy(Factorization.TUCKER, RankSelector.energy(0.9))
                                        .optImplementation(ConvImplementation.MOBILENET)
                                        .build()),
                "implementation MOBILENET is not accepted by the tensorized linear method");
        assertUnchanged(net, children, values, "MOBILENET");
        // a profile's ranks must fit its modes
        LayerProfile p = profile(Factorization.TUCKER, children.get(0), new Shape(2, 7));
        Assert.assertEquals(p.getModes(), 2);
        assertIllegalArgument(() -> p.costAt(1, 1, 1), "2 rank value(s) are");
        assertIllegalArgument(() -> p.costAt(8, 1), "rank 8 of mode 0");

        // a latency budget whose timer fails leaves the model as it was
        BlockTimer failing =
                (block, inputs) -> {
                    if (block instanceof FactorizedLinear) {
                        throw new IllegalStateException("the device is gone");
                    }
                    return 1000;
                };
        Block mlp = mlp();
        List<Block> mlpChildren = new ArrayList<>(mlp.getChildren().values());
        List<float[]> mlpValues = weights(mlp);
        IllegalStateException e =
                Assert.expectThrows(
                        IllegalStateException.class,
                        () ->
                                factorize(
                                        mlp,
                                        policy(
                                                        Factorization.TT,
                                                        RankSelector.budget(
                                                                Budget.latency(
                                                                        0.5,
                                                                        Timers.meter(failing))))
                                                .build()));
        Assert.assertEquals(e.getMessage(), "the device is gone");
        assertUnchanged(mlp, mlpChildren, mlpValues, "failed latency budget");
    }
}
