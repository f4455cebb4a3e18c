package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;

/** Measured latencies of factorized blocks, with the implementation decided by measurement. */
final class Latencies {

    private Latencies() {}

    /**
     * Times a factorized block on its input shapes. A {@link FactorizedConv} in {@link
     * ConvImplementation#AUTO} is tuned with the meter (every implementation measured) and the
     * fastest implementation whose block is cheaper than {@code dense} (fewer parameters and FLOPs)
     * is fixed on it, or the fastest of all when none is cheaper or {@code dense} is {@code null};
     * any other block is measured as it is.
     *
     * @param meter the meter
     * @param block the factorized block, initialised
     * @param shapes its input shapes
     * @param dense the cost of the dense layer the block replaces, or {@code null}
     * @return the latency of the block as it is left, in milliseconds
     */
    static double fastest(LatencyMeter meter, Block block, Shape[] shapes, BlockCost dense) {
        if (!(block instanceof FactorizedConv)
                || ((FactorizedConv<?>) block).getImplementation() != ConvImplementation.AUTO) {
            return meter.measure(block, shapes);
        }
        FactorizedConv<?> conv = (FactorizedConv<?>) block;
        Map<ConvImplementation, Double> measured = conv.tune(meter, shapes[0]);
        List<ConvImplementation> order = new ArrayList<>(measured.keySet());
        order.sort((a, b) -> Double.compare(measured.get(a), measured.get(b)));
        for (ConvImplementation c : order) {
            conv.setImplementation(c);
            if (dense == null || CostCounter.layer(conv, shapes).isCheaperThan(dense)) {
                return measured.get(c);
            }
        }
        conv.setImplementation(order.get(0));
        return measured.get(order.get(0));
    }
}
