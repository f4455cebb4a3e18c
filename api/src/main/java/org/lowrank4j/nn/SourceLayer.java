package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

/** What a block built from a trained layer takes over from it besides the weights. */
final class SourceLayer {

    private SourceLayer() {}

    /**
     * Returns the input shapes a trained layer was initialised with, so that a block built from it
     * is initialised at once (it can be saved, and describes its input).
     *
     * @param source the trained layer
     * @param fallback the shape to record if the layer's input shapes are not known (its weights
     *     were set by hand) or do not fit it: the smallest input the layer accepts
     * @return the shapes
     */
    static Shape[] inputShapes(Block source, Shape fallback) {
        if (source != null && source.isInitialized()) {
            Shape[] shapes = source.getInputShapes();
            if (shapes != null && shapes.length > 0 && fits(shapes[0], fallback)) {
                return shapes.clone();
            }
        }
        return new Shape[] {fallback};
    }

    /**
     * Whether a recorded input shape is one the layer takes: features last for a linear layer
     * (fallback {@code (1, D)}), channels second and as many axes for a convolution. A DJL {@code
     * Linear} loaded from a file records its input without the features, which does not fit.
     */
    private static boolean fits(Shape recorded, Shape fallback) {
        int n = fallback.dimension();
        if (n == 1) {
            return true;
        }
        if (n == 2) {
            return recorded.dimension() >= 2
                    && recorded.get(recorded.dimension() - 1) == fallback.get(1);
        }
        return recorded.dimension() == n && recorded.get(1) == fallback.get(1);
    }

    /**
     * Initialises a block whose parameters already hold their values, as DJL would on its first
     * forward pass: the input shapes are recorded and the parameters made ready for gradients, so
     * that the block can be saved, described and trained at once.
     *
     * @param block the block
     * @param anchor one of its parameter arrays (its manager and data type are used)
     * @param inputShapes the input shapes
     */
    static void initialize(Block block, NDArray anchor, Shape... inputShapes) {
        block.initialize(anchor.getManager(), anchor.getDataType(), inputShapes);
    }
}
