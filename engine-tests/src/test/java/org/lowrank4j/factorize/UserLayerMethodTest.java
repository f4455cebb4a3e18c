package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** A layer method of the user's own gets what the library's methods get. */
public class UserLayerMethodTest extends EngineTestBase {

    private static final Shape INPUT = new Shape(3, 12);

    private static Factorizer factorizer() {
        return Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(Rank.of(12))
                                // at full rank: 12 = min(12, 24), then min(24, 10) = 10
                                .optLinearMethod(new SvdPairMethod(12))
                                .optOnlyIfCheaper(false)
                                .build())
                .build();
    }

    @Test
    public void itsBlocksArePlannedSavedRestoredAndExported() throws Exception {
        Block net = initialised(Nets.twoLinear(), INPUT);
        NDArray x = randn(7, DataType.FLOAT32, INPUT.getShape());
        float[] dense = infer(net, x).toFloatArray();
        FactorizeReport report = factorizer().factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 2, report.toString());
        NDArray factorized = infer(net, x);
        assertClose(factorized, manager.create(dense, factorized.getShape()), 1e-4);
        // the model's own plan names the user's method: its blocks are found
        FactorizePlan plan = Factorizer.plan(net);
        Assert.assertEquals(plan.getEntries().size(), 2, plan.toJson());
        for (FactorizePlan.Entry e : plan.getEntries()) {
            Assert.assertEquals(e.getMethod(), SvdPairMethod.NAME);
        }
        Assert.assertEquals(plan.getEntries().get(0).getSettings().get("rank"), "12");
        Assert.assertEquals(plan.getEntries().get(1).getSettings().get("rank"), "10");
        float[] expected = factorized.toFloatArray();
        try (Model model = Model.newInstance("pair")) {
            model.setBlock(net);
            Path dir = Files.createTempDirectory("user-method");
            FactorizedModels.save(model, dir);
            try (Model reloaded = Model.newInstance("pair")) {
                reloaded.setBlock(Nets.twoLinear());
                FactorizedModels.load(reloaded, dir);
                Assert.assertEquals(infer(reloaded.getBlock(), x).toFloatArray(), expected);
            }
        }
        Block standard = Factorizer.toStandardBlocks(net);
        Assert.assertTrue(
                Nets.blocks(standard).keySet().stream()
                        .noneMatch(b -> b instanceof SvdPairMethod.SvdPair));
        Assert.assertEquals(infer(standard, x).toFloatArray(), expected);
    }

    @Test
    public void aNameIsTakenOnce() {
        LayerMethods.register(new SvdPairMethod(3)); // the same class again: nothing happens
        assertIllegalArgument(
                () ->
                        LayerMethods.register(
                                new SvdPairMethod(3) {
                                    // another class under the same name
                                }),
                "layer method '" + SvdPairMethod.NAME + "' of ");
        assertIllegalArgument(() -> LayerMethods.register(null), "method null");
        assertIllegalArgument(
                () -> LayerMethods.forName("nobody's"),
                "must be registered with LayerMethods.register or listed in"
                        + " META-INF/services/org.lowrank4j.factorize.LayerMethod");
        List<String> names = LayerMethods.all().stream().map(LayerMethod::getName).toList();
        Assert.assertEquals(names.stream().filter(SvdPairMethod.NAME::equals).count(), 1);
    }

    @Test
    public void aMethodListedForTheServiceLoaderIsFound() {
        Assert.assertTrue(
                LayerMethods.forName("test-service-listed") instanceof ServiceListedMethod);
        // the built-in methods come first
        Assert.assertEquals(LayerMethods.all().get(0), LayerMethods.lowRank());
        Assert.assertTrue(
                LayerMethods.all().stream().anyMatch(m -> m instanceof ServiceListedMethod));
        // it claims no block, so the library's blocks keep their own methods
        Assert.assertFalse(
                new ServiceListedMethod().produced(Linear.builder().setUnits(1).build()));
    }
}
