package org.lowrank4j.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** One layer of a multi-layer {@link FactorizedLinear}, sharing its parameters. */
final class LinearLayerView extends AbstractBlock {

    private final FactorizedLinear parent;
    private final int layer;

    LinearLayerView(FactorizedLinear parent, int layer) {
        super(FactorizedLinear.VERSION);
        this.parent = addChildBlock("shared", parent);
        this.layer = layer;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(parent.forwardLayer(parameterStore, inputs.get(0), layer, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return parent.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        parent.initialize(manager, dataType, inputShapes[0]);
    }

    @Override
    public String toString() {
        return "Layer " + layer + " of " + parent;
    }
}
