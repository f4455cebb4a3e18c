package org.lowrank4j.factorize;

import ai.djl.ndarray.NDList;

/**
 * Accumulates what a data-aware {@link LayerMethod} needs to know about a layer's inputs while
 * calibration batches run through the model. It must keep bounded statistics, not the inputs.
 */
public interface LayerRecorder extends AutoCloseable {

    /**
     * Records one batch of the layer's inputs. The inputs must be left unchanged.
     *
     * @param inputs the inputs the layer receives
     */
    void record(NDList inputs);

    /** Frees the statistics. */
    @Override
    void close();
}
