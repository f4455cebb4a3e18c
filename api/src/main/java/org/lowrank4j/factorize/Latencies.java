package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.nn.FactorizedLinear;

/** Measured latencies of factorized blocks, with the implementation decided by measurement. */
final class Latencies {

    private Latencies() {}

    /**
     * Times a factorized block on its input shapes. A {@link FactorizedConv} or {@link
     * FactorizedLinear} in {@link ConvImplementation#AUTO} has every implementation measured
     * (through the meter's cache) and the fastest implementation whose block is cheaper than {@code
     * dense} (fewer parameters and FLOPs) is fixed on it, or the fastest of all when none is
     * cheaper or {@code dense} is {@code null}; any other block is measured as it is.
     *
     * @param meter the meter
     * @param block the factorized block, initialised
     * @param shapes its input shapes
     * @param dense the cost of the dense layer the block replaces, or {@code null}
     * @return the latency of the block as it is left, in milliseconds
     */
    static double fastest(LatencyMeter meter, Block block, Shape[] shapes, BlockCost dense) {
        Map<ConvImplementation, Double> measured;
        Consumer<ConvImplementation> set;
        if (block instanceof FactorizedConv
                && ((FactorizedConv<?>) block).getImplementation() == ConvImplementation.AUTO) {
            FactorizedConv<?> conv = (FactorizedConv<?>) block;
            measured = conv.tune(meter, shapes[0]);
            set = conv::setImplementation;
        } else if (block instanceof FactorizedLinear
                && ((FactorizedLinear) block).getImplementation() == ConvImplementation.AUTO) {
            FactorizedLinear linear = (FactorizedLinear) block;
            measured = linear.tune(meter, shapes);
            set = linear::setImplementation;
        } else {
            return meter.measure(block, shapes);
        }
        List<ConvImplementation> order = new ArrayList<>(measured.keySet());
        order.sort((a, b) -> Double.compare(measured.get(a), measured.get(b)));
        for (ConvImplementation c : order) {
            set.accept(c);
            if (dense == null || CostCounter.layer(block, shapes).isCheaperThan(dense)) {
                return measured.get(c);
            }
        }
        set.accept(order.get(0));
        return measured.get(order.get(0));
    }
}
