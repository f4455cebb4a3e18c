package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.LinearCost;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The factorizer with tensorized linear layers (CP, Tucker, block-TT). */
public class TensorizedLinearFactorizerTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT
    };
    private static final Shape INPUT = new Shape(5, 12);

    /** Linear 12 -> 8 (shapes (2, 2, 3) -> (2, 2, 2)), ReLU, Linear 8 -> 6 ((2, 4) -> (2, 3)). */
    private Mlp mlp() {
        Mlp mlp = new Mlp(12, 6, new int[] {8});
        mlp.initialize(manager, DataType.FLOAT32, INPUT);
        // seeded values, so that the network does not depend on what ran before on the engine
        int i = 0;
        for (Pair<String, Parameter> p : mlp.getParameters()) {
            NDArray a = p.getValue().getArray();
            float scale = p.getKey().endsWith("bias") ? 0.1f : 0.3f;
            a.set(
                    randn(100 + i++, DataType.FLOAT32, a.getShape().getShape())
                            .mul(scale)
                            .toFloatArray());
        }
        return mlp;
    }

    private static Map<String, Block> byPath(Block root) {
        Map<String, Block> out = new LinkedHashMap<>();
        collect(root, "", out);
        return out;
    }

    private static void collect(Block block, String path, Map<String, Block> out) {
        out.put(path, block);
        PairList<String, Block> children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String name = children.keyAt(i);
            collect(children.valueAt(i), path.isEmpty() ? name : path + "/" + name, out);
        }
    }

    private static int count(Block root, Class<?> type) {
        Map<Block, Boolean> seen = new IdentityHashMap<>();
        for (Block b : byPath(root).values()) {
            if (type.isInstance(b)) {
                seen.put(b, true);
            }
        }
        return seen.size();
    }

    private static long parameterCount(Block block) {
        long total = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            total += p.getValue().getArray().size();
        }
        return total;
    }

    /**
     * A policy at ranks high enough to represent any weight of the MLP exactly: Tucker and TT ranks
     * are clipped to full rank; a CP rank above prod / max of the weight tensor (32 for the first
     * layer, 12 for the second) represents it exactly; CP-ALS converges best a little above it.
     */
    private static FactorizePolicy fullRank(Factorization f) {
        FactorizePolicy.Builder b =
                builder(
                        f,
                        f == Factorization.CP ? Rank.of(36) : Rank.of(1000),
                        ConvImplementation.FACTORIZED,
                        false);
        return f == Factorization.CP ? b.optLayerRank("04Linear", Rank.of(14)).build() : b.build();
    }

    private static FactorizePolicy policy(
            Factorization f, Rank rank, ConvImplementation impl, boolean onlyIfCheaper) {
        return builder(f, rank, impl, onlyIfCheaper).build();
    }

    private static FactorizePolicy.Builder builder(
            Factorization f, Rank rank, ConvImplementation impl, boolean onlyIfCheaper) {
        return FactorizePolicy.builder()
                .setRank(rank)
                .optLinearFactorization(f)
                .optImplementation(impl)
                .optOnlyIfCheaper(onlyIfCheaper);
    }

    // ---------------------------------------------------------------------------------------

    @Test
    public void mlpAtFullRankSwapsEveryLinearAndMatches() {
        NDArray x = randn(1, DataType.FLOAT32, INPUT.getShape());
        for (Factorization f : FORMATS) {
            Mlp net = mlp();
            NDArray expected = infer(net, x);
            FactorizeReport report =
                    Factorizer.builder().setPolicy(fullRank(f)).build().factorize(net);
            Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
            Assert.assertEquals(count(net, Linear.class), 0, f + ": a dense layer is left");
            Assert.assertEquals(count(net, FactorizedLinear.class), 2);
            for (Block b : byPath(net).values()) {
                if (b instanceof FactorizedLinear) {
                    FactorizedLinear fl = (FactorizedLinear) b;
                    Assert.assertEquals(fl.getFactorization(), f);
                    Assert.assertEquals(fl.getImplementation(), ConvImplementation.FACTORIZED);
                }
            }
            for (FactorizeReport.Layer l : report.getLayers()) {
                Assert.assertEquals(l.getMethod(), "tensorized-linear-" + f.name().toLowerCase());
                Assert.assertEquals(l.getImplementation(), "factorized");
                Assert.assertTrue(
                        l.getWeightError() < 1e-4,
                        f + " " + l.getPath() + " " + l.getWeightError());
                Assert.assertTrue(Double.isNaN(l.getOutputNmse()));
            }
            double err = relError(infer(net, x), expected);
            Assert.assertTrue(err < 1e-4, f + ": " + err + " on " + engine());
        }
    }

    @Test
    public void reportCountsMatchAnIndependentCount() {
        long rows = INPUT.get(0);
        for (Factorization f : FORMATS) {
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                Mlp net = mlp();
                long before = parameterCount(net);
                FactorizeReport report =
                        Factorizer.builder()
                                .setPolicy(policy(f, Rank.fraction(0.5), impl, false))
                                .build()
                                .factorize(net);
                String what = f + " " + impl + ": ";
                Assert.assertEquals(report.getTotalBefore().getParameters(), before);
                Assert.assertEquals(
                        report.getTotalAfter().getParameters(), parameterCount(net), what);
                long flopsBefore = report.getTotalBefore().getFlops();
                long flopsAfter = flopsBefore;
                Map<String, Block> blocks = byPath(net);
                for (FactorizeReport.Layer l : report.getLayers()) {
                    FactorizedLinear b = (FactorizedLinear) blocks.get(l.getPath());
                    long in = b.getInFeatures();
                    long out = b.getOutFeatures();
                    Assert.assertEquals(l.getRanks(), b.getRank());
                    long params = parameterCount(b);
                    Assert.assertEquals(l.getAfter().getParameters(), params, what + l.getPath());
                    Assert.assertEquals(params, closedFormParameters(b) + out, what + l.getPath());
                    Assert.assertEquals(l.getBefore().getFlops(), rows * (in * out + out));
                    long flops = l.getAfter().getFlops();
                    if (impl == ConvImplementation.RECONSTRUCTED) {
                        Assert.assertEquals(flops, rows * (in * out + out), what + l.getPath());
                    } else if (f == Factorization.TT) {
                        Assert.assertEquals(flops, ttFlops(b, rows) + rows * out, what);
                    } else {
                        Assert.assertTrue(flops >= coreFlops(b, rows) + rows * out, what);
                    }
                    flopsAfter += flops - l.getBefore().getFlops();
                }
                Assert.assertEquals(report.getTotalAfter().getFlops(), flopsAfter, what);
            }
        }
    }

    /** Factor and core sizes from the shapes and the ranks alone. */
    private static long closedFormParameters(FactorizedLinear b) {
        long[] o = b.getOutTensorizedFeatures().getShape();
        long[] i = b.getInTensorizedFeatures().getShape();
        int[] r = b.getRank();
        long sum = 0;
        for (long d : o) {
            sum += d;
        }
        for (long d : i) {
            sum += d;
        }
        switch (b.getFactorization()) {
            case CP:
                return r[0] * (sum + 1);
            case TUCKER:
                {
                    long core = 1;
                    long factors = 0;
                    for (int k = 0; k < r.length; k++) {
                        core *= r[k];
                        factors += r[k] * (k < o.length ? o[k] : i[k - o.length]);
                    }
                    return core + factors;
                }
            default:
                {
                    long n = 0;
                    for (int k = 0; k < o.length; k++) {
                        n += (long) r[k] * o[k] * i[k] * r[k + 1];
                    }
                    return n;
                }
        }
    }

    /** The cheaper of the two sweeps of the block-TT product {@code x Wᵀ}. */
    private static long ttFlops(FactorizedLinear b, long rows) {
        long[] o = b.getOutTensorizedFeatures().getShape();
        long[] i = b.getInTensorizedFeatures().getShape();
        int[] r = b.getRank();
        int n = o.length;
        long forward = 0;
        long backward = 0;
        long left = rows;
        long right = b.getInFeatures();
        for (int k = 0; k < n; k++) {
            right /= i[k];
            forward += left * right * o[k] * r[k] * r[k + 1] * i[k];
            left *= o[k];
        }
        left = rows;
        right = b.getInFeatures();
        for (int k = n - 1; k >= 0; k--) {
            right /= i[k];
            backward += left * right * o[k] * r[k] * r[k + 1] * i[k];
            left *= o[k];
        }
        // the planner sweeps in the direction its cost model finds cheaper
        return LinearCost.ttReversed(
                        rows, b.getOutTensorizedFeatures(), b.getInTensorizedFeatures(), toLong(r))
                ? backward
                : forward;
    }

    private static long[] toLong(int[] values) {
        long[] v = new long[values.length];
        for (int k = 0; k < values.length; k++) {
            v[k] = values[k];
        }
        return v;
    }

    /** A lower bound: CP's first and last products, Tucker's core product. */
    private static long coreFlops(FactorizedLinear b, long rows) {
        int[] r = b.getRank();
        if (b.getFactorization() == Factorization.CP) {
            return rows * r[0] * (b.getInFeatures() + b.getOutFeatures());
        }
        long core = 1;
        for (int v : r) {
            core *= v;
        }
        return rows * core;
    }

    @Test
    public void roundTripsThroughSaveRestoreLoadAndExports() throws Exception {
        NDArray x = randn(2, DataType.FLOAT32, INPUT.getShape());
        for (Factorization f : FORMATS) {
            Mlp net = mlp();
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(
                                    policy(f, Rank.fraction(0.5), ConvImplementation.AUTO, false))
                            .build()
                            .factorize(net);
            Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
            NDArray expected = infer(net, x);
            Path dir = Files.createTempDirectory("tensorized");
            try (Model model = Model.newInstance("mlp")) {
                model.setBlock(net);
                model.save(dir, "mlp");
            }
            Path planFile = dir.resolve("plan.json");
            report.getPlan().save(planFile);
            Assert.assertEquals(Factorizer.plan(net).toJson(), report.getPlan().toJson());
            Mlp fresh = new Mlp(12, 6, new int[] {8});
            Factorizer.restore(fresh, FactorizePlan.load(planFile));
            Assert.assertEquals(count(fresh, FactorizedLinear.class), 2);
            try (Model model = Model.newInstance("mlp")) {
                model.setBlock(fresh);
                model.load(dir, "mlp");
                Assert.assertEquals(
                        infer(fresh, x).toFloatArray(), expected.toFloatArray(), f + "");
            }
            Assert.assertEquals(Factorizer.plan(fresh).toJson(), report.getPlan().toJson());

            Block standard = Factorizer.toStandardBlocks(net);
            Assert.assertSame(standard, net);
            Assert.assertEquals(count(net, FactorizedLinear.class), 0);
            Assert.assertEquals(count(net, Linear.class), 2);
            double err = relError(infer(net, x), expected);
            Assert.assertTrue(err < 1e-5, f + " export: " + err + " on " + engine());
        }
    }

    @Test
    public void aLayerTooSmallToPayIsKept() {
        // Tucker at rank 0.05 pays for a 1024 x 1024 layer on batches of 512, on both engines
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(1024).build());
        net.add(Activation.reluBlock());
        net.add(Linear.builder().setUnits(3).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(2, 1024));
        NDArray x = randn(3, DataType.FLOAT32, 2, 1024);
        Block big = net.getChildren().valueAt(0);
        Block small = net.getChildren().valueAt(2);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(Rank.fraction(0.05))
                                        .optLinearFactorization(Factorization.TUCKER)
                                        .build())
                        .optInputShapes(new Shape(512, 1024))
                        .build()
                        .factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 1, report.toString());
        FactorizeReport.Layer swapped = report.getSwapped().get(0);
        Assert.assertEquals(swapped.getImplementation(), "auto: factorized");
        Assert.assertTrue(swapped.getAfter().isCheaperThan(swapped.getBefore()));
        Assert.assertTrue(net.getChildren().valueAt(0) instanceof FactorizedLinear);
        Assert.assertNotSame(net.getChildren().valueAt(0), big);
        Assert.assertSame(net.getChildren().valueAt(2), small);
        FactorizeReport.Layer kept = report.getLayers().get(1);
        Assert.assertFalse(kept.isSwapped());
        Assert.assertTrue(kept.getReason().startsWith("not cheaper"), kept.getReason());
        Assert.assertEquals(infer(net, x).getShape(), new Shape(2, 3));
    }

    @Test
    public void badSettingsAreClearErrors() {
        Mlp net = mlp();
        NDArray x = randn(4, DataType.FLOAT32, INPUT.getShape());
        NDArray expected = infer(net, x);
        Map<String, Block> before = byPath(net);
        assertIllegalArgument(
                () ->
                        Factorizer.builder()
                                .setPolicy(
                                        policy(
                                                Factorization.TT,
                                                Rank.fraction(0.5),
                                                ConvImplementation.MOBILENET,
                                                false))
                                .build()
                                .factorize(net),
                "implementation MOBILENET is not accepted by the tensorized linear method");
        Assert.assertEquals(byPath(net), before, "the model was changed");
        assertClose(infer(net, x), expected, 0);

        LayerMethod cp = LayerMethods.forLinear(Factorization.CP);
        Block conv = Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(2).build();
        Assert.assertTrue(
                cp.unsupportedReason(conv, new Shape[] {new Shape(1, 2, 3, 3)})
                        .contains("Conv2d is not accepted"));
        Block linear = before.get("02Linear");
        Assert.assertTrue(
                cp.unsupportedReason(linear, new Shape[] {new Shape(5, 7)})
                        .contains("has 7 features"));
        Assert.assertTrue(
                cp.unsupportedReason(linear, new Shape[] {new Shape(5, 12), new Shape(5, 12)})
                        .contains("accepts one input"));
        Assert.assertNull(cp.unsupportedReason(linear, new Shape[] {new Shape(5, 12)}));
        Assert.assertSame(LayerMethods.forName(cp.getName()), cp);
    }

    @Test
    public void aCpRankTooLargeForAlsKeepsTheLayerDenseUnlessTheUserGaveIt() {
        Block net =
                initialised(
                        new SequentialBlock()
                                .add(Linear.builder().setUnits(16).build())
                                .add(Linear.builder().setUnits(1024).build()),
                        new Shape(2, 1024));
        FactorizePolicy.Builder policy =
                FactorizePolicy.builder()
                        .optLinearFactorization(Factorization.CP)
                        .optSkipFirst(false)
                        .optSkipLast(false)
                        .optOnlyIfCheaper(false);
        // a 1024 x 1024 weight at half its parameters asks for CP rank 7282: from a fraction,
        // the layer stays dense with the reason; the narrow layers of a model are fitted
        Block wide =
                initialised(
                        new SequentialBlock().add(Linear.builder().setUnits(1024).build()),
                        new Shape(2, 1024));
        Block layer = wide.getChildren().valueAt(0);
        List<double[]> before = parameterValues(wide);
        FactorizeReport kept =
                Factorizer.builder()
                        .setPolicy(policy.setRank(Rank.fraction(0.5)).build())
                        .build()
                        .factorize(wide);
        Assert.assertTrue(kept.getSwapped().isEmpty());
        String reason = kept.getLayers().get(0).getReason();
        Assert.assertTrue(reason.contains("CP rank 7282"), reason);
        Assert.assertTrue(reason.contains("ranks up to 2048"), reason);
        Assert.assertSame(wide.getChildren().valueAt(0), layer);
        Assert.assertEquals(parameterValues(wide).get(0), before.get(0));
        Assert.assertEquals(
                Factorizer.builder()
                        .setPolicy(policy.setRank(Rank.fraction(0.5)).build())
                        .build()
                        .factorize(net)
                        .getSwapped()
                        .size(),
                2);
        // a rank the user gives is refused with the layer named, the model as it was
        assertRefusedUnchanged(
                wide,
                () ->
                        Factorizer.builder()
                                .setPolicy(policy.setRank(Rank.of(8192)).build())
                                .build()
                                .factorize(wide),
                "layer '01Linear': CP rank 8192");
        Assert.assertSame(wide.getChildren().valueAt(0), layer);
    }
}
