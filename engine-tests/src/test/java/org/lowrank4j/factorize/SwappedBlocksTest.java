package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.HashMap;
import java.util.Map;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** The blocks a swap puts in a model describe themselves as DJL's own layers do. */
public class SwappedBlocksTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(2, 3, 8, 8);

    @DataProvider
    public Object[][] formats() {
        return new Object[][] {
            {null}, {Factorization.CP}, {Factorization.TUCKER}, {Factorization.TT},
        };
    }

    @Test(dataProvider = "formats")
    public void everySwappedBlockIsInitialisedWithItsRealInputShapes(Factorization format) {
        Block net = initialised(Nets.resnet(), IMAGE);
        Map<String, LayerCost> before = new HashMap<>();
        for (LayerCost c : CostCounter.layers(net, IMAGE)) {
            before.put(c.getPath(), c);
        }
        FactorizePolicy.Builder policy =
                FactorizePolicy.builder().setRank(Rank.fraction(0.5)).optOnlyIfCheaper(false);
        if (format != null) {
            policy.optConvFactorization(format);
        }
        FactorizeReport report =
                Factorizer.builder().setPolicy(policy.build()).build().factorize(net);
        Assert.assertEquals(report.getSwapped().size(), 7, report.toString());

        Map<String, Block> after = new HashMap<>();
        for (Map.Entry<Block, String> e : Nets.blocks(net).entrySet()) {
            after.put(e.getValue(), e.getKey());
        }
        for (FactorizeReport.Layer l : report.getSwapped()) {
            Block b = after.get(l.getPath());
            LayerCost old = before.get(l.getPath());
            String where = l.getPath() + " (" + l.getNewType() + ")";
            Assert.assertEquals(b.getClass().getSimpleName(), l.getNewType(), where);
            Assert.assertTrue(b.isInitialized(), where + " is not initialised");
            Assert.assertEquals(b.getInputShapes(), old.getInputShapes(), where);
            Assert.assertEquals(
                    b.getOutputShapes(b.getInputShapes()), old.getOutputShapes(), where);
            Assert.assertEquals(b.describeInput().size(), 1, where);
            Assert.assertEquals(b.describeInput().valueAt(0), old.getInputShapes()[0], where);
        }
    }
}
