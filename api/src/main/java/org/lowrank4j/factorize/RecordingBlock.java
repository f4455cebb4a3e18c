package org.lowrank4j.factorize;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Stands in for a layer while calibration batches run: shows the layer's inputs to a recorder, then
 * forwards to the layer. DJL has no forward hooks, so this is how inputs are observed.
 */
final class RecordingBlock extends AbstractBlock {

    private final Block layer;
    private final LayerRecorder recorder;

    RecordingBlock(Block layer, LayerRecorder recorder) {
        this.layer = layer;
        this.recorder = recorder;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        recorder.record(inputs);
        return layer.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return layer.getOutputShapes(inputShapes);
    }
}
