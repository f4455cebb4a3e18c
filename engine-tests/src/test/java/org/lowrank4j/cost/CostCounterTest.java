package org.lowrank4j.cost;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.List;
import org.lowrank4j.nn.LowRankConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CostCounterTest extends EngineTestBase {

    @Test
    public void countsASmallNetworkByHand() {
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(BatchNorm.builder().build());
        net.add(Activation.reluBlock());
        net.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(10).build());
        Shape in = new Shape(2, 3, 8, 8);
        // uninitialised: counted from the shapes alone
        List<LayerCost> layers = CostCounter.layers(net, in);
        Assert.assertEquals(layers.size(), 6);
        long convOut = 2 * 8 * 8 * 8;
        Assert.assertEquals(
                layers.get(0).getCost(), BlockCost.of(8 * 27 + 8, convOut * 27 + convOut));
        Assert.assertEquals(layers.get(0).getPath(), "01Conv2d");
        Assert.assertEquals(layers.get(2).getCost().getFlops(), convOut);
        Assert.assertEquals(layers.get(3).getCost().getFlops(), convOut);
        Assert.assertEquals(layers.get(4).getCost(), BlockCost.ZERO);
        Assert.assertEquals(
                layers.get(5).getCost(), BlockCost.of(128 * 10 + 10, 2 * (128 * 10 + 10)));
        net.initialize(manager, DataType.FLOAT32, in);
        // batch norm: gamma, beta, running mean and variance; two operations per element
        Assert.assertEquals(layers.get(1).getCost().getFlops(), 2 * convOut);
        Assert.assertEquals(CostCounter.layers(net, in).get(1).getCost().getParameters(), 4 * 8);
        long params = 0;
        for (var p : net.getParameters()) {
            params += p.getValue().getArray().size();
        }
        Assert.assertEquals(CostCounter.count(net, in).getParameters(), params);
    }

    @Test
    public void walksParallelBranchesAndLowRankBlocks() {
        ParallelBlock residual =
                new ParallelBlock(
                        list ->
                                new ai.djl.ndarray.NDList(
                                        list.get(0).head().add(list.get(1).head())));
        residual.add(Linear.builder().setUnits(6).build());
        residual.add(LowRankLinear.builder().setUnits(6).setRank(2).build());
        SequentialBlock net = new SequentialBlock().add(residual);
        List<LayerCost> layers = CostCounter.layers(net, new Shape(5, 6));
        Assert.assertEquals(layers.size(), 2);
        Assert.assertEquals(layers.get(0).getPath(), "01ParallelBlock/01Linear");
        Assert.assertEquals(layers.get(1).getCost(), BlockCost.of(2 * 6 + 6 * 2 + 6, 5 * 30));
        // (N=1, C=3, 5x5) -> 3x3 outputs, 9 positions
        LowRankConv lowRank =
                LowRankConv.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(4)
                        .setRank(2)
                        .build();
        BlockCost conv = CostCounter.layer(lowRank, new Shape(1, 3, 5, 5));
        long perPosition = 2 * 27 + 4 * 2 + 4;
        Assert.assertEquals(conv, BlockCost.of(perPosition, 9 * perPosition));
    }
}
