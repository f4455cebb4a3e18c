package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/** The cost of one layer of a block tree, with where it sits and the shapes it sees. */
public final class LayerCost {

    private final String path;
    private final Block block;
    private final Shape[] inputShapes;
    private final Shape[] outputShapes;
    private final BlockCost cost;
    private final boolean counted;

    LayerCost(
            String path,
            Block block,
            Shape[] inputShapes,
            Shape[] outputShapes,
            BlockCost cost,
            boolean counted) {
        this.path = path;
        this.block = block;
        this.inputShapes = inputShapes.clone();
        this.outputShapes = outputShapes.clone();
        this.cost = cost;
        this.counted = counted;
    }

    /**
     * Returns the layer's path: the names of the children leading to it, joined by {@code /}.
     *
     * @return the path, empty for the root
     */
    public String getPath() {
        return path;
    }

    /**
     * Returns the layer.
     *
     * @return the block
     */
    public Block getBlock() {
        return block;
    }

    /**
     * Returns the shapes of the layer's inputs.
     *
     * @return a copy of the shapes
     */
    public Shape[] getInputShapes() {
        return inputShapes.clone();
    }

    /**
     * Returns the shapes of the layer's outputs.
     *
     * @return a copy of the shapes
     */
    public Shape[] getOutputShapes() {
        return outputShapes.clone();
    }

    /**
     * Returns the layer's cost.
     *
     * @return the cost
     */
    public BlockCost getCost() {
        return cost;
    }

    /**
     * Returns whether the operations were counted. An unknown block type counts its parameters
     * only, and its operations as 0.
     *
     * @return whether the block type is known to the counter
     */
    public boolean isCounted() {
        return counted;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return path + " (" + block.getClass().getSimpleName() + "): " + cost;
    }
}
