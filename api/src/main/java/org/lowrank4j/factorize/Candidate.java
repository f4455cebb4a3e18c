package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.LayerCost;

/** A layer of a candidate type, and what happens to it. */
final class Candidate {
    final BlockTree.Node node;
    final LayerCost cost;
    final BlockCost before;
    LayerMethod method;
    String reason;

    /** Whether the layer was fitted and kept because its swap would not pay. */
    boolean unprofitable;

    LayerResult result;
    BlockCost after;
    double latencyBefore = Double.NaN;
    double latencyAfter = Double.NaN;

    Candidate(BlockTree.Node node, LayerCost cost) {
        this.node = node;
        this.cost = cost;
        this.before = cost == null ? BlockCost.ZERO : cost.getCost();
    }

    Shape[] inputShapes() {
        return cost.getInputShapes();
    }

    /** The report's line for this layer: swapped, or kept with the reason. */
    FactorizeReport.Layer reportLayer() {
        if (reason == null) {
            return new FactorizeReport.Layer(
                    node.path,
                    BlockTree.typeName(node.block),
                    BlockTree.typeName(result.getBlock()),
                    method.getName(),
                    result.getRanks(),
                    result.getImplementation(),
                    before,
                    after,
                    result.getWeightError(),
                    result.getOutputNmse(),
                    latencyBefore,
                    latencyAfter,
                    null);
        }
        return new FactorizeReport.Layer(
                node.path,
                BlockTree.typeName(node.block),
                null,
                null,
                new int[0],
                null,
                before,
                before,
                Double.NaN,
                Double.NaN,
                latencyBefore,
                latencyAfter,
                reason);
    }

    /** The plan's entry that rebuilds this swapped layer. */
    FactorizePlan.Entry planEntry() {
        return new FactorizePlan.Entry(
                node.path, method.getName(), method.describe(result.getBlock()));
    }
}
