package org.lowrank4j.factorize;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.nn.FactorizedEmbedding;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.nn.LowRankConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** A null argument to a public entry point is named in the exception, not a bare NPE. */
public class NullArgumentTest extends EngineTestBase {

    @Test
    public void everyEntryPointNamesTheNullArgument() {
        Block net = initialised(Nets.resnet(), new Shape(1, 3, 8, 8));
        Linear linear = Linear.builder().setUnits(8).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, 16));
        Factorizer factorizer =
                Factorizer.builder()
                        .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                        .build();
        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("block", () -> factorizer.factorize(null));
        calls.put("block ", () -> Factorizer.plan(null));
        calls.put("block  ", () -> Factorizer.toStandardBlocks(null));
        calls.put("plan", () -> Factorizer.restore(net, null));
        calls.put("json", () -> FactorizePlan.fromJson(null));
        calls.put("entries", () -> FactorizePlan.of(null));
        calls.put("conv", () -> LowRankConv.fromConv(null, null, 2));
        calls.put("linear", () -> LowRankLinear.fromLinear(null, null, 2));
        calls.put(
                "linear ", () -> FactorizedLinear.fromLinear(null, Rank.same(), Factorization.CP));
        calls.put("rank", () -> FactorizedLinear.fromLinear(linear, null, Factorization.CP));
        calls.put(
                "factorization",
                () -> FactorizedLinear.fromLinear(linear, Rank.same(), (Factorization) null));
        calls.put(
                "embedding",
                () ->
                        FactorizedEmbedding.fromEmbedding(
                                null, null, null, Rank.same(), Factorization.CP));
        calls.put("block   ", () -> CostCounter.count(null, new Shape(1, 3, 8, 8)));
        for (Map.Entry<String, Runnable> c : calls.entrySet()) {
            String name = c.getKey().trim();
            NullPointerException e =
                    Assert.expectThrows(NullPointerException.class, c.getValue()::run);
            Assert.assertEquals(e.getMessage(), name + " must not be null");
        }
        // nothing was changed on the way
        Assert.assertEquals(Factorizer.plan(net).getEntries().size(), 0);
    }
}
