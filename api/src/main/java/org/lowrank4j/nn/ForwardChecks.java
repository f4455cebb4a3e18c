package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.List;

/** What every block checks before a forward pass reaches the engine. */
final class ForwardChecks {

    private ForwardChecks() {}

    /**
     * Refuses a pass on a block whose parameters are not initialised, or an input whose data type
     * is not the parameters'.
     *
     * @param block the block's name, for the messages
     * @param parameters the parameters the pass reads
     * @param x the input
     * @throws IllegalStateException if a parameter is not initialised
     * @throws IllegalArgumentException if the input's data type is not the parameters'
     */
    static void check(String block, List<Parameter> parameters, NDArray x) {
        for (Parameter p : parameters) {
            if (p != null && !p.isInitialized()) {
                throw new IllegalStateException(
                        block
                                + " has no value for parameter '"
                                + p.getName()
                                + "'; call initialize(manager, dataType, inputShapes) first (or"
                                + " build the block from a trained layer)");
            }
        }
        // the parameters of a block share one data type: the first one's stands for all
        Parameter first = parameters.isEmpty() ? null : parameters.get(0);
        if (first != null && first.getArray().getDataType() != x.getDataType()) {
            DataType type = first.getArray().getDataType();
            throw new IllegalArgumentException(
                    "input of data type "
                            + x.getDataType()
                            + " is not accepted by "
                            + block
                            + ", whose parameters are "
                            + type
                            + "; convert it with toType("
                            + type
                            + ", false)");
        }
    }
}
