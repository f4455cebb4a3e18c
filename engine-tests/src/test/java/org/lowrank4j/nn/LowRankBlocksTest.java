package org.lowrank4j.nn;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LowRankBlocksTest extends EngineTestBase {

    private NDArray run(Block block, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow();
    }

    /** Inputs whose features are strongly correlated: Gaussian mixed by a decaying spectrum. */
    private NDArray correlated(long seed, int n, int d) {
        NDArray z = randn(seed, DataType.FLOAT32, n, d);
        NDArray mix = randn(seed + 1, DataType.FLOAT32, d, d);
        float[] decay = new float[d];
        for (int i = 0; i < d; i++) {
            decay[i] = (float) Math.exp(-i / 2.0);
        }
        return z.mul(manager.create(decay).reshape(1, d)).matMul(mix).add(0.5f);
    }

    private Linear linear(int in, int out) {
        Linear linear = Linear.builder().setUnits(out).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        return linear;
    }

    private Conv2d conv(int in, int out, Shape stride, Shape padding, Shape dilation) {
        Conv2d conv =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(out)
                        .optStride(stride)
                        .optPadding(padding)
                        .optDilation(dilation)
                        .build();
        conv.initialize(manager, DataType.FLOAT32, new Shape(1, in, 12, 12));
        // a non-zero bias, so that it is checked too
        conv.getParameters().get("bias").getArray().addi(0.3f);
        return conv;
    }

    @Test
    public void linearAtFullRankEqualsTheDenseLayer() {
        Linear dense = linear(10, 6);
        dense.getParameters().get("bias").getArray().addi(0.25f);
        NDArray x = randn(1, DataType.FLOAT32, 7, 10);
        NDArray expected = run(dense, x);
        LowRankLinear svd = LowRankLinear.fromLinear(dense, null, 6);
        Assert.assertEquals(svd.getRank(), 6);
        assertClose(run(svd, x), expected, 1e-5);
        LowRankLinear fitted = LowRankLinear.fromLinear(dense, correlated(2, 64, 10), 6);
        assertClose(run(fitted, x), expected, 1e-5);
        // several leading dimensions
        NDArray x3 = randn(3, DataType.FLOAT32, 2, 3, 10);
        assertClose(run(fitted, x3), run(dense, x3), 1e-5);
        Assert.assertEquals(
                fitted.getOutputShapes(new Shape[] {new Shape(2, 3, 10)})[0], new Shape(2, 3, 6));
    }

    @Test
    public void convAtFullRankEqualsTheDenseLayer() {
        Shape[][] settings = {
            {new Shape(2, 2), new Shape(1, 1), new Shape(2, 2)},
            {new Shape(1, 2), new Shape(2, 0), new Shape(1, 1)},
        };
        for (Shape[] s : settings) {
            Conv2d dense = conv(3, 5, s[0], s[1], s[2]);
            NDArray x = randn(4, DataType.FLOAT32, 2, 3, 12, 12);
            NDArray expected = run(dense, x);
            LowRankConv svd = LowRankConv.fromConv(dense, null, 5);
            assertClose(run(svd, x), expected, 1e-5);
            LowRankConv fitted =
                    LowRankConv.fromConv(dense, randn(5, DataType.FLOAT32, 4, 3, 12, 12), 5);
            assertClose(run(fitted, x), expected, 1e-5);
            Assert.assertEquals(
                    fitted.getOutputShapes(new Shape[] {x.getShape()})[0], expected.getShape());
        }
    }

    @Test
    public void dataAwareFactorsBeatTheWeightSvd() {
        Linear dense = linear(16, 12);
        NDArray calib = correlated(6, 256, 16);
        NDArray expected = run(dense, calib);
        double svdErr = relError(run(LowRankLinear.fromLinear(dense, null, 3), calib), expected);
        LowRankLinear fitted = LowRankLinear.fromLinear(dense, calib, 3);
        double fitErr = relError(run(fitted, calib), expected);
        Assert.assertTrue(fitErr < 0.5 * svdErr, "fit " + fitErr + " vs SVD " + svdErr);

        Conv2d denseConv = conv(3, 8, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1));
        NDArray images = correlated(7, 4 * 12 * 12, 3).reshape(4, 12, 12, 3).transpose(0, 3, 1, 2);
        NDArray convOut = run(denseConv, images);
        double convSvd = relError(run(LowRankConv.fromConv(denseConv, null, 2), images), convOut);
        double convFit = relError(run(LowRankConv.fromConv(denseConv, images, 2), images), convOut);
        Assert.assertTrue(convFit < convSvd, "fit " + convFit + " vs SVD " + convSvd);
    }

    @Test
    public void setRankOnlyLowers() {
        Linear dense = linear(16, 12);
        NDArray calib = correlated(8, 128, 16);
        LowRankLinear block = LowRankLinear.fromLinear(dense, calib, 8);
        Assert.assertEquals(block.maxRankWithSpeedup(), 6);
        NDArray before = run(block, calib);
        assertIllegalArgument(() -> block.setRank(calib, 9), "rank 9");
        assertIllegalArgument(() -> block.setRank(calib, 0), "rank 0");
        Assert.assertEquals(block.getRank(), 8);
        assertClose(run(block, calib), before, 0);

        LowRankSolution s = block.solutionForRank(calib, 4);
        Assert.assertEquals(s.getWa().getShape(), new Shape(16, 4));
        Assert.assertEquals(block.getRank(), 8);
        NDArray viaSolution = calib.matMul(s.getWa()).matMul(s.getWb()).add(s.getBias());
        block.setRank(calib, 4);
        Assert.assertEquals(block.getRank(), 4);
        Assert.assertEquals(
                block.getParameters().get("first_weight").getArray().getShape(), new Shape(4, 16));
        assertClose(run(block, calib), viaSolution, 1e-5);
        // the optimum at rank 4 for the rank-8 layer's outputs is at least as good as any other
        double err = relError(run(block, calib), before);
        LowRankLinear viaSvd = LowRankLinear.fromLinear(dense, calib, 8);
        viaSvd.setRank(null, 4);
        Assert.assertTrue(err <= relError(run(viaSvd, calib), before) + 1e-6);

        Conv2d denseConv = conv(3, 8, new Shape(2, 2), new Shape(1, 1), new Shape(1, 1));
        NDArray images = randn(9, DataType.FLOAT32, 3, 3, 12, 12);
        LowRankConv c = LowRankConv.fromConv(denseConv, images, 6);
        Assert.assertEquals(c.maxRankWithSpeedup(), 6);
        assertIllegalArgument(() -> c.setRank(images, 7), "rank 7");
        Assert.assertEquals(c.getRank(), 6);
        c.setRank(images, 2);
        Assert.assertEquals(c.getRank(), 2);
        Assert.assertEquals(run(c, images).getShape(), run(denseConv, images).getShape());
        Assert.assertEquals(
                c.getParameters().get("second_weight").getArray().getShape(),
                new Shape(8, 2, 1, 1));
    }

    @Test
    public void badArgumentsAreRejected() {
        Linear dense = linear(10, 6);
        assertIllegalArgument(() -> LowRankLinear.fromLinear(dense, null, 7), "rank 7");
        assertIllegalArgument(
                () -> LowRankLinear.fromLinear(dense, randn(1, DataType.FLOAT32, 5, 9), 3),
                "calibration input of shape");
        assertIllegalArgument(() -> LowRankLinear.builder().setUnits(3).build(), "rank 0");
        Conv2d grouped =
                Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).optGroups(2).build();
        grouped.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8, 8));
        assertIllegalArgument(() -> LowRankConv.fromConv(grouped, null, 2), "groups 2");
        assertIllegalArgument(
                () -> LowRankConv.builder().setFilters(3).setRank(2).build(), "kernel shape");
    }

    @Test
    public void saveAndLoadRoundTripExactly() throws Exception {
        Linear dense = linear(10, 6);
        LowRankLinear block = LowRankLinear.fromLinear(dense, correlated(10, 64, 10), 3);
        NDArray x = randn(11, DataType.FLOAT32, 5, 10);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        block.saveParameters(new DataOutputStream(bytes));
        // the loading block is built as the saved one (another rank is refused: SavedStructureTest)
        LowRankLinear loaded = LowRankLinear.builder().setUnits(6).setRank(3).build();
        loaded.loadParameters(
                manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        Assert.assertEquals(loaded.getRank(), 3);
        assertClose(run(loaded, x), run(block, x), 0);

        Conv2d denseConv = conv(3, 5, new Shape(2, 1), new Shape(1, 2), new Shape(1, 2));
        LowRankConv c = LowRankConv.fromConv(denseConv, null, 2);
        NDArray images = randn(12, DataType.FLOAT32, 2, 3, 12, 12);
        ByteArrayOutputStream convBytes = new ByteArrayOutputStream();
        c.saveParameters(new DataOutputStream(convBytes));
        LowRankConv loadedConv =
                LowRankConv.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(5)
                        .setRank(2)
                        .optStride(new Shape(2, 1))
                        .optPadding(new Shape(1, 2))
                        .optDilation(new Shape(1, 2))
                        .build();
        loadedConv.loadParameters(
                manager, new DataInputStream(new ByteArrayInputStream(convBytes.toByteArray())));
        Assert.assertEquals(loadedConv.getRank(), 2);
        assertClose(run(loadedConv, images), run(c, images), 0);
    }

    private double trainAndReport(Block block, NDArray x, NDArray y, Shape inputShape)
            throws Exception {
        try (Model model = Model.newInstance("low-rank")) {
            model.setBlock(block);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optOptimizer(
                                    Optimizer.adam()
                                            .optLearningRateTracker(Tracker.fixed(0.02f))
                                            .build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(inputShape);
                ArrayDataset data =
                        new ArrayDataset.Builder()
                                .setData(x)
                                .optLabels(y)
                                .setSampling(16, true)
                                .build();
                double before = mse(trainer, x, y);
                EasyTrain.fit(trainer, 15, data, null);
                double after = mse(trainer, x, y);
                Assert.assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
                return after;
            }
        }
    }

    private static double mse(Trainer trainer, NDArray x, NDArray y) throws TranslateException {
        NDArray p = trainer.evaluate(new NDList(x)).singletonOrThrow();
        return p.sub(y).square().mean().getFloat();
    }

    @Test
    public void trainsWithTrainer() throws Exception {
        NDArray x = randn(13, DataType.FLOAT32, 128, 8);
        NDArray w = randn(14, DataType.FLOAT32, 8, 2).matMul(randn(15, DataType.FLOAT32, 2, 5));
        NDArray y = x.matMul(w).add(1f);
        trainAndReport(
                LowRankLinear.builder().setUnits(5).setRank(2).build(), x, y, new Shape(16, 8));
        // a factorized block continues training from its fitted weights
        Linear dense = linear(8, 5);
        trainAndReport(LowRankLinear.fromLinear(dense, null, 2), x, y, new Shape(16, 8));

        NDArray images = randn(16, DataType.FLOAT32, 32, 2, 6, 6);
        NDArray kernel = randn(17, DataType.FLOAT32, 3, 2, 3, 3).mul(0.5f);
        NDArray target =
                Conv2d.conv2d(
                                images,
                                kernel,
                                null,
                                new Shape(1, 1),
                                new Shape(1, 1),
                                new Shape(1, 1))
                        .singletonOrThrow();
        LowRankConv conv =
                LowRankConv.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(3)
                        .setRank(2)
                        .optPadding(new Shape(1, 1))
                        .build();
        trainAndReport(conv, images, target, new Shape(16, 2, 6, 6));
    }

    @Test
    public void noArraysLeakOverManyForwards() {
        Linear dense = linear(10, 6);
        LowRankLinear block = LowRankLinear.fromLinear(dense, correlated(18, 64, 10), 3);
        Conv2d denseConv = conv(3, 5, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1));
        LowRankConv c =
                LowRankConv.fromConv(denseConv, randn(19, DataType.FLOAT32, 2, 3, 12, 12), 2);
        NDArray x = randn(20, DataType.FLOAT32, 4, 10);
        NDArray images = randn(21, DataType.FLOAT32, 1, 3, 12, 12);
        ParameterStore ps = new ParameterStore(manager, false);
        run(block, x).close();
        run(c, images).close();
        int before = manager.getManagedArrays().size();
        for (int i = 0; i < 1000; i++) {
            block.forward(ps, new NDList(x), false).close();
            c.forward(ps, new NDList(images), false).close();
        }
        Assert.assertEquals(manager.getManagedArrays().size(), before);
        // fitting and setRank leave nothing behind but the new weights
        NDArray calib = correlated(22, 64, 10);
        int params = manager.getManagedArrays().size();
        block.setRank(calib, 2);
        c.setRank(null, 1);
        Assert.assertTrue(
                manager.getManagedArrays().size() == params,
                "arrays " + params + " -> " + manager.getManagedArrays().size());
    }

    @Test
    public void blocksDescribeThemselvesWithTheirRank() {
        LowRankConv c =
                LowRankConv.fromConv(
                        conv(3, 5, new Shape(2, 1), new Shape(1, 0), new Shape(1, 2)), null, 2);
        Assert.assertEquals(
                c.toString(),
                "LowRankConv(filters=5, kernel=(3, 3), stride=(2, 1), padding=(1, 0),"
                        + " dilation=(1, 2), rank=2)");
        Assert.assertEquals(
                LowRankLinear.fromLinear(linear(6, 4), null, 3).toString(),
                "LowRankLinear(units=4, rank=3)");
    }
}
