package org.lowrank4j.factorize;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Input shapes that do not fit a model are refused with the layer named, by the cost counter and by
 * the factorizer (whose model is then unchanged), instead of failing deep inside DJL.
 */
public class ModelInputShapesTest extends EngineTestBase {

    private SequentialBlock imageModel() {
        SequentialBlock net = Nets.resnet();
        initialised(net, new Shape(2, 3, 12, 12));
        return net;
    }

    @Test
    public void costCounterNamesTheLayerAnInputDoesNotFit() {
        Conv2d conv = Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        assertIllegalArgument(() -> CostCounter.count(conv, new Shape(1, 3, 8, 8)), "(N, 4, ...)");
        assertIllegalArgument(() -> CostCounter.count(conv, new Shape(1, 4, 8)), "4-D input");
        Linear linear = Linear.builder().setUnits(5).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(2, 7));
        assertIllegalArgument(() -> CostCounter.count(linear, new Shape(2, 6)), "(..., 7)");
        SequentialBlock net = imageModel();
        assertIllegalArgument(
                () -> CostCounter.count(net, new Shape(1, 3)),
                "input of shape (1, 3) does not fit layer '01Conv2d'");
        assertIllegalArgument(
                () -> CostCounter.layers(net, new Shape(1, 5, 12, 12)), "(1, 5, 12, 12)");
        assertIllegalArgument(() -> CostCounter.count(net, new Shape[0]), "no input shape");
        // the right shape is counted
        Assert.assertTrue(CostCounter.count(net, new Shape(1, 3, 12, 12)).getFlops() > 0);
    }

    @Test
    public void factorizerRefusesInputShapesThatDoNotFitTheModel() {
        SequentialBlock net = imageModel();
        List<Block> before = net.getChildren().values();
        for (Shape wrong : new Shape[] {new Shape(1, 3), new Shape(1, 4, 12, 12)}) {
            assertRefusedUnchanged(
                    net,
                    () ->
                            Factorizer.builder()
                                    .setPolicy(
                                            FactorizePolicy.builder()
                                                    .setRank(Rank.fraction(0.5))
                                                    .build())
                                    .optInputShapes(wrong)
                                    .build()
                                    .factorize(net),
                    wrong.toString());
            Assert.assertEquals(net.getChildren().values(), before, "layers swapped");
        }
    }
}
