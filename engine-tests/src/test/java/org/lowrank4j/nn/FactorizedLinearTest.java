package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FactorizedLinearTest extends EngineTestBase {

    private static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT, Factorization.DENSE
    };

    private NDArray run(Block block, NDList inputs) {
        return block.forward(new ParameterStore(manager, false), inputs, false).singletonOrThrow();
    }

    private NDArray run(Block block, NDArray x) {
        return run(block, new NDList(x));
    }

    private FactorizedLinear build(
            Factorization f, Shape in, Shape out, Rank rank, int layers, long seed) {
        FactorizedLinear block =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(in)
                        .setOutTensorizedFeatures(out)
                        .setFactorization(f)
                        .setRank(rank)
                        .optLayers(layers)
                        .optSeed(seed)
                        .build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, in.size()));
        // a non-zero bias, so that it is checked too
        block.getParameters().get("bias").getArray().addi(0.1f);
        return block;
    }

    private Linear linear(int in, int out, long seed) {
        Linear linear = Linear.builder().setUnits(out).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        linear.getParameters()
                .get("weight")
                .getArray()
                .set(randn(seed, DataType.FLOAT32, out, in).toFloatArray());
        linear.getParameters().get("bias").getArray().addi(0.3f);
        return linear;
    }

    /** Expected output from the reconstructed weight: x Wᵀ + b. */
    private NDArray expected(FactorizedLinear block, NDArray x, int layer) {
        NDArray w = block.reconstructWeight(layer);
        NDArray b = block.getParameters().get("bias").getArray();
        if (block.getLayers() > 1) {
            b = b.get(layer);
        }
        Shape s = x.getShape();
        return x.reshape(-1, s.get(s.dimension() - 1))
                .matMul(w.transpose())
                .add(b)
                .reshape(s.slice(0, s.dimension() - 1).add(w.getShape().get(0)));
    }

    private void checkAgreement(FactorizedLinear block, NDArray x, int layer) {
        NDList in = block.getLayers() > 1 ? new NDList(x, manager.create(layer)) : new NDList(x);
        NDArray reference = expected(block, x, layer);
        for (ConvImplementation impl :
                new ConvImplementation[] {
                    ConvImplementation.FACTORIZED,
                    ConvImplementation.RECONSTRUCTED,
                    ConvImplementation.AUTO
                }) {
            block.setImplementation(impl);
            NDArray y = run(block, in);
            Assert.assertEquals(y.getShape(), reference.getShape(), block + " " + impl);
            double err = relError(y, reference);
            Assert.assertTrue(err < 1e-5, block + " " + impl + ": " + err + " on " + engine());
        }
    }

    @Test
    public void implementationsAgree() {
        Shape[][] shapes = {
            {new Shape(4, 6), new Shape(2, 5)},
            {new Shape(2, 3, 4), new Shape(3, 2, 2)},
            {new Shape(7), new Shape(5)},
        };
        Rank[] ranks = {Rank.fraction(0.5), Rank.same(), Rank.of(3)};
        for (Shape[] s : shapes) {
            for (Factorization f : FORMATS) {
                for (Rank r : ranks) {
                    FactorizedLinear block = build(f, s[0], s[1], r, 1, 7);
                    // small and large batches (large ones run in chunks), leading dimensions
                    checkAgreement(block, randn(1, DataType.FLOAT32, 3, s[0].size()), 0);
                    checkAgreement(block, randn(2, DataType.FLOAT32, 2, 40, s[0].size()), 0);
                }
            }
        }
    }

    @Test
    public void cpRunsItsTermsInChunks() {
        // many rank-one terms: the factorized forward splits them to bound its temporaries
        FactorizedLinear block =
                build(Factorization.CP, new Shape(4, 6), new Shape(2, 5), Rank.of(40), 1, 3);
        checkAgreement(block, randn(4, DataType.FLOAT32, 64, 24), 0);
    }

    @Test
    public void initialWeightHasTheRequestedStd() {
        for (Factorization f : FORMATS) {
            for (double std : new double[] {0.02, 1.5}) {
                FactorizedLinear block =
                        FactorizedLinear.builder()
                                .setInTensorizedFeatures(new Shape(4, 8, 8))
                                .setOutTensorizedFeatures(new Shape(4, 4, 8))
                                .setFactorization(f)
                                .setRank(Rank.fraction(0.1))
                                .optInitStd(std)
                                .optSeed(11)
                                .build();
                block.initialize(manager, DataType.FLOAT32, new Shape(1, 256));
                NDArray w = block.reconstructWeight(0);
                double rms = Math.sqrt(w.square().mean().getFloat());
                double tol = f == Factorization.DENSE ? 0.05 : 1e-3;
                Assert.assertEquals(rms / std, 1.0, tol, f + " std " + std);
            }
        }
    }

    @Test
    public void fromLinearAtFullRankReproducesTheLayer() {
        Linear dense = linear(24, 10, 5);
        NDArray x = randn(6, DataType.FLOAT32, 7, 24);
        NDArray y = run(dense, x);
        Shape in = new Shape(4, 6);
        Shape out = new Shape(2, 5);
        // CP rank 48 = 240 / 5 is enough for any (2, 5, 4, 6) tensor
        Object[][] cases = {
            {Factorization.CP, Rank.of(48)},
            {Factorization.TUCKER, Rank.of(100)},
            {Factorization.TT, Rank.of(100)},
            {Factorization.DENSE, Rank.same()},
        };
        for (Object[] c : cases) {
            Factorization f = (Factorization) c[0];
            FactorizedLinear block = FactorizedLinear.fromLinear(dense, in, out, (Rank) c[1], f);
            for (ConvImplementation impl :
                    new ConvImplementation[] {
                        ConvImplementation.FACTORIZED, ConvImplementation.RECONSTRUCTED
                    }) {
                block.setImplementation(impl);
                double err = relError(run(block, x), y);
                Assert.assertTrue(err < 1e-4, f + " " + impl + ": " + err + " on " + engine());
            }
        }
        FactorizedLinear auto = FactorizedLinear.fromLinear(dense, Rank.same(), Factorization.TT);
        Assert.assertEquals(auto.getInTensorizedFeatures(), new Shape(4, 6));
        Assert.assertEquals(auto.getOutTensorizedFeatures(), new Shape(2, 5));
        Assert.assertEquals(run(auto, x).getShape(), y.getShape());
    }

    @Test
    public void layersShareOneFactorization() {
        for (Factorization f : FORMATS) {
            FactorizedLinear block =
                    build(f, new Shape(4, 6), new Shape(2, 5), Rank.fraction(0.5), 3, 9);
            NDArray x = randn(8, DataType.FLOAT32, 5, 24);
            for (int layer = 0; layer < 3; layer++) {
                checkAgreement(block, x, layer);
                block.setImplementation(ConvImplementation.AUTO);
                Block view = block.getLinear(layer);
                assertClose(run(view, x), run(block, new NDList(x, manager.create(layer))), 0);
            }
            double diff = relError(block.reconstructWeight(0), block.reconstructWeight(1));
            Assert.assertTrue(diff > 0.1, f + ": layers are not distinct, " + diff);
        }
    }

    @Test
    public void fromLinearListFactorizesJointly() {
        List<Linear> layers = List.of(linear(24, 10, 12), linear(24, 10, 13));
        NDArray x = randn(14, DataType.FLOAT32, 4, 24);
        for (Factorization f :
                new Factorization[] {Factorization.TUCKER, Factorization.TT, Factorization.DENSE}) {
            FactorizedLinear block =
                    FactorizedLinear.fromLinearList(
                            layers, new Shape(4, 6), new Shape(2, 5), Rank.of(1000), f);
            Assert.assertEquals(block.getLayers(), 2);
            for (int i = 0; i < 2; i++) {
                double err = relError(run(block.getLinear(i), x), run(layers.get(i), x));
                Assert.assertTrue(err < 1e-4, f + " layer " + i + ": " + err);
            }
        }
    }

    @Test
    public void fromLinearListWithCpRecoversAJointLowRankWeight() {
        // two layers whose stacked weight (layer, out..., in...) has CP rank 3
        NDArray stacked =
                org.lowrank4j.tensor.CPTensor.normal(
                                manager, new Shape(2, 2, 5, 4, 6), 3, 0.1, 21, DataType.FLOAT32)
                        .toFull()
                        .reshape(2, 10, 24);
        List<Linear> layers = List.of(linear(24, 10, 12), linear(24, 10, 13));
        for (int l = 0; l < 2; l++) {
            layers.get(l)
                    .getParameters()
                    .get("weight")
                    .getArray()
                    .set(stacked.get(l).toFloatArray());
        }
        NDArray x = randn(15, DataType.FLOAT32, 4, 24);
        FactorizedLinear block =
                FactorizedLinear.fromLinearList(
                        layers, new Shape(4, 6), new Shape(2, 5), Rank.of(3), Factorization.CP);
        Assert.assertEquals(block.getLayers(), 2);
        Assert.assertEquals(block.getRank(), new int[] {3});
        for (int i = 0; i < 2; i++) {
            double err = relError(run(block.getLinear(i), x), run(layers.get(i), x));
            Assert.assertTrue(err < 1e-3, "CP layer " + i + ": " + err + " on " + engine());
        }
    }
}
