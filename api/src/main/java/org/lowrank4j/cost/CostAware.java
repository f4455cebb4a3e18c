package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;

/**
 * A block that reports its own cost. {@link CostCounter} asks it instead of looking inside it, so
 * that factorized blocks can state the cost of the forward implementation they chose.
 */
public interface CostAware {

    /**
     * Returns the parameters and the operations of one forward pass on inputs of the given shapes.
     *
     * @param inputShapes the shapes of the block's inputs, batch included
     * @return the cost
     */
    BlockCost cost(Shape... inputShapes);
}
