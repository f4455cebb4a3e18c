package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Rank;

/** What a {@link LayerMethod} is asked to do with one layer. */
public final class LayerRequest {

    private final String path;
    private final Block layer;
    private final Shape[] inputShapes;
    private final Rank rank;
    private final ConvImplementation implementation;
    private final LayerRecorder recorder;

    /**
     * Creates a request.
     *
     * @param path the layer's path in the model
     * @param layer the trained layer
     * @param inputShapes the shapes of the layer's inputs, batch included
     * @param rank the requested rank, {@code null} when the request only asks for a {@link
     *     LayerMethod#profile profile}
     * @param implementation the requested forward implementation
     * @param recorder the statistics recorded on calibration data by {@link
     *     LayerMethod#newRecorder}, or {@code null} when there is no calibration data
     */
    public LayerRequest(
            String path,
            Block layer,
            Shape[] inputShapes,
            Rank rank,
            ConvImplementation implementation,
            LayerRecorder recorder) {
        this.path = path;
        this.layer = layer;
        this.inputShapes = inputShapes.clone();
        this.rank = rank;
        this.implementation = implementation;
        this.recorder = recorder;
    }

    /**
     * Returns the layer's path in the model.
     *
     * @return the path
     */
    public String getPath() {
        return path;
    }

    /**
     * Returns the trained layer.
     *
     * @return the layer
     */
    public Block getLayer() {
        return layer;
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
     * Returns the requested rank.
     *
     * @return the rank, {@code null} in a profile request
     */
    public Rank getRank() {
        return rank;
    }

    /**
     * Returns the requested forward implementation.
     *
     * @return the implementation
     */
    public ConvImplementation getImplementation() {
        return implementation;
    }

    /**
     * Returns the calibration statistics.
     *
     * @return the recorder, or {@code null} without calibration data
     */
    public LayerRecorder getRecorder() {
        return recorder;
    }
}
