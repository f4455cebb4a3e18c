package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.cost.TemporaryMemory;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The temporaries of the tensorized linear forward stay within 4× the dense weight. */
public class FactorizedLinearMemoryTest extends EngineTestBase {

    @Test
    public void measurementCountsLiveTemporariesAndNotInputs() {
        NDArray x = manager.ones(new Shape(10, 10));
        long peak =
                TemporaryMemory.peakBytes(
                        () -> {
                            try (Workspace outer = Workspace.of(x)) {
                                NDArray a = outer.adopt(x).mul(2); // 400 bytes
                                try (Workspace inner = Workspace.of(a)) {
                                    inner.adopt(a).add(1).mul(3); // 800 bytes more
                                }
                                a.add(1); // 400 bytes more, after the inner ones were freed
                            }
                        });
        Assert.assertEquals(peak, 1200L, engine());
        Assert.assertEquals(TemporaryMemory.peakBytes(() -> x.add(1).close()), 0L);
    }

    /**
     * The configurations of the linear benchmark: every format and rank at 256×256 batch 32, and
     * 1024×1024 batch 64 except CP at ranks 0.5 and 0.25 (several seconds a pass on a CI machine;
     * the benchmark measures them).
     */
    @Test
    public void temporariesStayWithinFourDenseWeights() {
        List<String> over = new ArrayList<>();
        check(256, 256, 32, false, over);
        check(1024, 1024, 64, true, over);
        Assert.assertTrue(over.isEmpty(), "over 4 dense weights on " + engine() + ": " + over);
    }

    private void check(long in, long out, long batch, boolean skipLargeCp, List<String> over) {
        long dense = in * out * 4L;
        Pair<Shape, Shape> shapes = Tensorize.shapes(in, out, 3);
        NDArray x = manager.randomNormal(new Shape(batch, in));
        for (Factorization f :
                new Factorization[] {Factorization.CP, Factorization.TUCKER, Factorization.TT}) {
            for (double fraction : new double[] {0.5, 0.25, 0.1}) {
                if (skipLargeCp && f == Factorization.CP && fraction > 0.1) {
                    continue;
                }
                FactorizedLinear layer =
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(shapes.getKey())
                                .setOutTensorizedFeatures(shapes.getValue())
                                .setFactorization(f)
                                .setRank(Rank.fraction(fraction))
                                .optSeed(1)
                                .build();
                layer.initialize(manager, DataType.FLOAT32, new Shape(1, in));
                // the factorized pass, the rebuilt weight of a training pass, and the first
                // inference pass of RECONSTRUCTED, which builds its cached weight
                Object[][] passes = {
                    {ConvImplementation.FACTORIZED, false},
                    {ConvImplementation.RECONSTRUCTED, true},
                    {ConvImplementation.RECONSTRUCTED, false}
                };
                for (Object[] pass : passes) {
                    layer.setImplementation((ConvImplementation) pass[0]);
                    boolean training = (Boolean) pass[1];
                    long peak = TemporaryMemory.peakBytes(layer, new NDList(x), training);
                    Assert.assertTrue(peak > 0, layer + " " + pass[0] + " measured nothing");
                    if (peak > 4 * dense) {
                        over.add(
                                layer
                                        + " "
                                        + pass[0]
                                        + (training ? " training" : "")
                                        + " batch "
                                        + batch
                                        + ": "
                                        + peak / (double) dense
                                        + "x");
                    }
                }
            }
        }
    }
}
