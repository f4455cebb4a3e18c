package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * A {@code Trainer} made before a swap goes on training the swapped model (DJL's parameter store
 * takes each new block's parameters on their first forward pass), but not always as a new {@code
 * Trainer} would: its optimizer's update count carries over.
 */
public class StaleTrainerTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(8, 3, 8, 8);

    private static DefaultTrainingConfig config(boolean adam) {
        Optimizer optimizer =
                adam
                        ? Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build()
                        : Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer);
    }

    private static void step(Trainer trainer, NDArray x, NDArray y) {
        try (GradientCollector gc = trainer.newGradientCollector()) {
            NDList pred = trainer.forward(new NDList(x));
            gc.backward(trainer.getLoss().evaluate(new NDList(y), pred));
        }
        trainer.step();
    }

    private static FactorizeReport factorize(Block net) {
        return Factorizer.builder()
                .setPolicy(
                        FactorizePolicy.builder()
                                .setRank(Rank.fraction(0.5))
                                .optConvFactorization(Factorization.TUCKER)
                                .optOnlyIfCheaper(false)
                                .build())
                .build()
                .factorize(net);
    }

    /**
     * Trains two copies of one network a step, swaps their layers alike, and trains them three more
     * steps: one with the trainer made before the swap, the other with a new one.
     *
     * @return the parameters at the swap, then those of the stale trainer's model and of the new
     *     trainer's after training
     */
    private List<List<double[]>> trainAcrossSwap(boolean adam) {
        Block stale = initialised(Nets.resnet(), IMAGE);
        Block fresh = Nets.resnet();
        fresh.initialize(manager, DataType.FLOAT32, IMAGE);
        List<Parameter> from = new ArrayList<>(stale.getParameters().values());
        List<Parameter> to = new ArrayList<>(fresh.getParameters().values());
        for (int i = 0; i < from.size(); i++) {
            to.get(i).getArray().set(from.get(i).getArray().toFloatArray());
        }
        NDArray x = randn(5, DataType.FLOAT32, IMAGE.getShape());
        NDArray y = manager.create(new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (Model a = Model.newInstance("stale");
                Model b = Model.newInstance("fresh")) {
            a.setBlock(stale);
            b.setBlock(fresh);
            List<double[]> atSwap;
            try (Trainer before = a.newTrainer(config(adam))) {
                step(before, x, y);
                try (Trainer discarded = b.newTrainer(config(adam))) {
                    step(discarded, x, y);
                }
                Assert.assertEquals(factorize(stale).getSwapped().size(), 7);
                Assert.assertEquals(factorize(fresh).getSwapped().size(), 7);
                atSwap = parameterValues(stale);
                List<double[]> freshAtSwap = parameterValues(fresh);
                Assert.assertEquals(freshAtSwap.size(), atSwap.size());
                for (int i = 0; i < atSwap.size(); i++) {
                    Assert.assertEquals(freshAtSwap.get(i), atSwap.get(i), 0.0, "at the swap " + i);
                }
                try (Trainer after = b.newTrainer(config(adam))) {
                    for (int i = 0; i < 3; i++) {
                        step(before, x, y);
                        step(after, x, y);
                    }
                }
            }
            List<double[]> trained = parameterValues(stale);
            for (int i = 0; i < trained.size(); i++) {
                // every parameter, those of the new blocks among them, was trained after the swap
                Assert.assertFalse(
                        Arrays.equals(trained.get(i), atSwap.get(i)),
                        "parameter " + i + " was not trained");
            }
            return List.of(atSwap, trained, parameterValues(fresh));
        }
    }

    @Test
    public void withPlainSgdAStaleTrainerTrainsTheSwappedModelAsANewOneDoes() {
        List<List<double[]>> runs = trainAcrossSwap(false);
        for (int i = 0; i < runs.get(1).size(); i++) {
            Assert.assertEquals(runs.get(1).get(i), runs.get(2).get(i), 0.0, "parameter " + i);
        }
    }

    @Test
    public void withAdamAStaleTrainerCarriesItsStepCountOverToTheNewParameters() {
        List<List<double[]>> runs = trainAcrossSwap(true);
        // DJL's optimizers count updates over all parameters, so the stale trainer gives the new
        // parameters the bias correction of later steps: the models part
        int differ = 0;
        for (int i = 0; i < runs.get(1).size(); i++) {
            differ += Arrays.equals(runs.get(1).get(i), runs.get(2).get(i)) ? 0 : 1;
        }
        Assert.assertTrue(differ > 0, "a stale Adam trainer trained as a new one");
    }
}
