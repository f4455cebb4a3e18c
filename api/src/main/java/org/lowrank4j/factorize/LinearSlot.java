package org.lowrank4j.factorize;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostAware;
import org.lowrank4j.cost.CostCounter;

/**
 * Holds a replacement layer where a container keeps a {@link Linear} in a field declared {@code
 * Linear} (DJL's attention block does), so that the field can point at it. It is a {@code Linear}
 * only by type: it has no parameters of its own, and every call goes to its one child, the layer it
 * holds. {@link BlockTree} sees through it: the layer it holds sits at the slot's path.
 */
final class LinearSlot extends Linear implements CostAware {

    private final Block layer;

    /** Makes a slot for a layer; the slot takes the layer's input shapes if it has them. */
    LinearSlot(Block layer) {
        super(Linear.builder().setUnits(1).optBias(false));
        parameters.clear();
        this.layer = addChildBlock("layer", layer);
    }

    /** Returns the layer the slot holds. */
    Block getLayer() {
        return layer;
    }

    /**
     * Returns one {@link Linear} that computes what an affine block (linear layers in a row, no
     * activation) computes, for a field that takes only a {@code Linear}: its weight is the block's
     * response to the unit vectors less its response to zero, its bias that response to zero (left
     * out when the block has no bias). Outputs agree to float rounding.
     *
     * @param affine an initialised block computing {@code x W^T + b}
     * @param input the input shape the new layer is initialised with, features last
     */
    static Linear toOneLinear(Block affine, Shape input) {
        long features = input.get(input.dimension() - 1);
        NDArray any = affine.getParameters().valueAt(0).getArray();
        boolean bias = false;
        for (String name : affine.getParameters().keys()) {
            bias |= name.endsWith("bias");
        }
        try (NDManager scope = any.getManager().newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDArray unit = scope.eye((int) features).toType(any.getDataType(), false);
            NDArray zero = scope.zeros(new Shape(1, features), any.getDataType());
            NDArray offset = affine.forward(store, new NDList(zero), false).singletonOrThrow();
            NDArray response = affine.forward(store, new NDList(unit), false).singletonOrThrow();
            NDArray weight = (bias ? response.sub(offset) : response).transpose();
            Linear linear =
                    Linear.builder().setUnits(weight.getShape().get(0)).optBias(bias).build();
            linear.initialize(any.getManager(), any.getDataType(), input);
            weight.copyTo(linear.getParameters().get("weight").getArray());
            if (bias) {
                offset.reshape(weight.getShape().get(0))
                        .copyTo(linear.getParameters().get("bias").getArray());
            }
            return linear;
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return layer.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return layer.getOutputShapes(inputs);
    }

    /** {@inheritDoc} */
    @Override
    public PairList<String, Shape> describeInput() {
        return layer.describeInput();
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        layer.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return layer.isInitialized();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getInputShapes() {
        return layer.getInputShapes();
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Shape[] inputShapes) {}

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) {}

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(
                    "a factorized layer held for a Linear field has saved version "
                            + loadVersion
                            + "; version "
                            + version
                            + " is accepted (restore the factorize plan before loading)");
        }
    }

    /** {@inheritDoc} */
    @Override
    public BlockCost cost(Shape... inputShapes) {
        return CostCounter.count(layer, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return layer.toString();
    }
}
