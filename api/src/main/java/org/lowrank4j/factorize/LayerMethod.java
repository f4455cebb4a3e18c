package org.lowrank4j.factorize;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Map;

/**
 * One way of factorizing a layer: which layers it accepts, how it turns a trained layer into a
 * factorized block, how that block is written into a {@link FactorizePlan} and rebuilt from it, and
 * how it is exported as ordinary DJL blocks.
 *
 * <p>{@link LayerMethods} lists the methods this library provides. A method is identified in plans
 * by {@link #getName()}; to be found by {@link Factorizer#restore}, {@link Factorizer#plan} and
 * {@link Factorizer#toStandardBlocks} it must be one of {@link LayerMethods#all()}: a method of the
 * user's own is {@link LayerMethods#register registered} (a factorizer does it for the methods of
 * its policy) or listed for Java's {@code ServiceLoader}.
 */
public interface LayerMethod {

    /**
     * Returns the method's stable name, written into plans.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns whether the method fits to calibration data when it is given.
     *
     * @return whether {@link #newRecorder} is used
     */
    boolean isDataAware();

    /**
     * Returns why this method cannot factorize a layer, or {@code null} if it can.
     *
     * @param layer the layer
     * @param inputShapes the shapes of its inputs
     * @return the reason, or {@code null}
     */
    String unsupportedReason(Block layer, Shape[] inputShapes);

    /**
     * Returns an empty recorder of a layer's inputs, for a data-aware method.
     *
     * @param layer the layer
     * @param inputShapes the shapes of its inputs
     * @param manager the parent manager of the statistics
     * @return the recorder
     * @throws UnsupportedOperationException if the method is not data-aware
     */
    default LayerRecorder newRecorder(Block layer, Shape[] inputShapes, NDManager manager) {
        throw new UnsupportedOperationException(getName() + " does not use calibration data");
    }

    /**
     * Factorizes a layer. The layer is left unchanged; the new block's arrays live in the manager
     * of the layer's parameters.
     *
     * @param request the layer, its input shapes, the rank, the implementation and the calibration
     *     statistics
     * @return the new block and how well it fits
     * @throws IllegalArgumentException if the rank or the layer is not accepted
     */
    LayerResult factorize(LayerRequest request);

    /**
     * Returns what a {@link RankSelector} needs to choose this layer's ranks: the singular values
     * of the unfoldings the method truncates, the output spectrum on calibration data when the
     * method is data-aware and the request has statistics, and the cost of every rank.
     *
     * @param request the layer, its input shapes and the calibration statistics; the rank is
     *     ignored
     * @return the profile
     * @throws UnsupportedOperationException if the method cannot choose ranks (then only a fixed
     *     {@link org.lowrank4j.tensor.Rank} is accepted for it)
     */
    default LayerProfile profile(LayerRequest request) {
        throw new UnsupportedOperationException(
                "the " + getName() + " method cannot choose ranks; a fixed Rank is accepted");
    }

    /**
     * Returns whether a block was made by this method.
     *
     * @param block a block
     * @return whether {@link #describe} and {@link #toStandard} accept it
     */
    boolean produced(Block block);

    /**
     * Returns what a plan must record to rebuild a factorized block's structure. The map holds the
     * key {@code "layer"} with the simple class name of the layer it replaced.
     *
     * @param factorized a block made by this method
     * @return the settings, as strings
     */
    Map<String, String> describe(Block factorized);

    /**
     * Builds an uninitialised factorized block with a plan's structure, to replace {@code original}
     * before the saved parameters are loaded.
     *
     * @param original the layer at the plan's path in a freshly built model
     * @param settings the settings written by {@link #describe}
     * @return the new block
     * @throws IllegalArgumentException if the settings do not fit the layer
     */
    Block rebuild(Block original, Map<String, String> settings);

    /**
     * Exports a factorized block as ordinary DJL blocks giving the same outputs.
     *
     * @param factorized a block made by this method, initialised
     * @return a block tree of DJL layers, initialised with copies of the parameters
     */
    Block toStandard(Block factorized);

    /**
     * Returns the dense layer a factorized block stands for: a layer of the type this method
     * replaces, with the block's configuration and, as its weight, the product of the block's
     * factors (for {@link Factorizer#refactorize factorizing it again}). The default says the
     * method cannot.
     *
     * @param factorized a block made by this method, initialised
     * @return the dense layer, initialised with its own arrays, or {@code null} if the method does
     *     not make one
     */
    default Block toDense(Block factorized) {
        return null;
    }
}
