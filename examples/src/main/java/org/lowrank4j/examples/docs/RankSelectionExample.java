package org.lowrank4j.examples.docs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.evaluator.Accuracy;
import java.util.List;
import org.lowrank4j.cost.LatencyCache;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.factorize.Budget;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.factorize.LayerProfile;
import org.lowrank4j.factorize.RankSelector;
import org.lowrank4j.factorize.SensitivityReport;
import org.lowrank4j.factorize.SensitivitySweep;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * The examples of the rank-selection guide: energy, VBMF, multiples, a budget, measured
 * sensitivity, latency, a latency budget.
 */
public final class RankSelectionExample {

    private RankSelectionExample() {}

    /**
     * Runs the examples.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape input = new Shape(4, 3, 16, 16);
            List<NDList> calibrationBatches = List.of(new NDList(manager.randomNormal(input)));

            // snippet:profile
            // a 40x60 matrix of rank 5 plus a little noise
            NDArray signal =
                    manager.randomNormal(new Shape(40, 5))
                            .matMul(manager.randomNormal(new Shape(5, 60)));
            NDArray noisy = signal.add(manager.randomNormal(new Shape(40, 60)).mul(0.05f));
            LayerProfile profile = LayerProfile.ofMatrix("noisy", noisy);
            Rank byEnergy = RankSelector.energy(0.99).select(profile); // 99% of the energy
            Rank byVbmf = RankSelector.vbmf().select(profile); // the rank EVBMF sees: 5
            System.out.println("energy: " + byEnergy + ", VBMF: " + byVbmf);
            // end

            // snippet:energy
            Block model = trained(manager, input);
            FactorizePolicy policy =
                    FactorizePolicy.builder()
                            .setRank(RankSelector.energy(0.9).multipleOf(8)) // per layer
                            .optLayerRank("09Linear", RankSelector.vbmf(0.5)) // one layer
                            .optSkipFirst(true)
                            .build();
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(policy)
                            .optCalibration(calibrationBatches) // energy of the outputs
                            .build()
                            .factorize(model);
            System.out.println(report);
            // end

            // snippet:budget
            Block budgeted = trained(manager, input);
            FactorizeReport fit =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(RankSelector.budget(Budget.flops(0.4)))
                                            .build())
                            .build()
                            .factorize(budgeted);
            System.out.printf(
                    "FLOPs %d -> %d (target %d)%n",
                    fit.getTotalBefore().getFlops(),
                    fit.getTotalAfter().getFlops(),
                    Budget.flops(0.4).target(fit.getTotalBefore()));
            // end

            // snippet:sensitivity
            Block swept = trained(manager, input);
            // labelled batches: the model's inputs followed by the labels
            List<NDList> validation =
                    List.of(
                            new NDList(
                                    manager.randomNormal(input),
                                    manager.create(new long[] {3, 1, 4, 1})));
            SensitivityReport sensitivity =
                    SensitivitySweep.builder()
                            .setMetric(new Accuracy()) // or a Loss
                            .setData(validation) // or a Dataset
                            .optMaxBatches(4)
                            .optRankFractions(0.25, 0.5)
                            .build()
                            .sweep(swept); // leaves the model as it was
            System.out.println(sensitivity); // the drop per layer and rank; toCsv() exports it
            FactorizeReport guarded =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(
                                                    RankSelector.budget(
                                                            Budget.flops(0.4), sensitivity))
                                            .build())
                            .build()
                            .factorize(swept);
            System.out.println(guarded);
            // end

            // snippet:latency
            LatencyMeter meter =
                    LatencyMeter.builder()
                            .optWarmup(2)
                            .optRepeats(5)
                            .optCache(new LatencyCache()) // share it to time each layer once
                            .build();
            Block timed = trained(manager, input);
            FactorizeReport measured =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder().setRank(Rank.fraction(0.3)).build())
                            .optLatency(meter) // keep the layers whose swap measures slower
                            .build()
                            .factorize(timed);
            for (FactorizeReport.Layer layer : measured.getLayers()) {
                System.out.printf(
                        "%s: %.3f ms -> %.3f ms%s%n",
                        layer.getPath(),
                        layer.getLatencyBefore(),
                        layer.getLatencyAfter(),
                        layer.isSwapped() ? "" : " (kept)");
            }
            // end

            // snippet:latencyBudget
            LatencyMeter budgetMeter = LatencyMeter.builder().optWarmup(1).optRepeats(3).build();
            RankSelector byLatency =
                    RankSelector.budget(Budget.latency(0.6, budgetMeter)) // 60% of the time
                            .multipleOf(8); // fewer ranks to time
            Block fast = trained(manager, input);
            FactorizeReport timedBudget =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder()
                                            .setRank(byLatency)
                                            .optLayerTypes(Conv2d.class)
                                            .optConvFactorization(Factorization.CP) // AUTO
                                            .build())
                            .build()
                            .factorize(fast);
            System.out.println(timedBudget); // latency before and after, per layer
            for (FactorizeReport.Layer layer : timedBudget.getSwapped()) {
                // e.g. "auto, measured: mobilenet": the implementation fixed on the block
                System.out.println(layer.getPath() + ": " + layer.getImplementation());
            }
            // end
        }
    }

    /** A small convolutional network that stands for a trained model. */
    static Block trained(NDManager manager, Shape input) {
        Block block = FactorizerExample.resnet();
        block.initialize(manager, DataType.FLOAT32, input);
        return block;
    }
}
