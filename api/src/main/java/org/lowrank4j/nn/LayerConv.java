package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One layer of a {@link FactorizedConv} built with {@link FactorizedConvBuilder#optLayers}, as a
 * block of its own: it takes the input alone and shares the factorized tensor (its only child is
 * the shared block). Get it from {@link FactorizedConv#getConv(int)}.
 *
 * <p>Several views of one shared block may sit in the same model: DJL's trainer updates each
 * parameter once, as it keys parameters by id. Saving writes the shared parameters once per view,
 * and loading reads them back in the same order.
 */
public final class LayerConv extends AbstractBlock {

    private static final byte VERSION = 1;

    private final FactorizedConv<?> shared;
    private final int layer;

    LayerConv(FactorizedConv<?> shared, int layer) {
        super(VERSION);
        this.shared = addChildBlock("shared", shared);
        this.layer = layer;
    }

    /**
     * Returns the block holding the shared factorized tensor.
     *
     * @return the shared block
     */
    public FactorizedConv<?> getShared() {
        return shared;
    }

    /**
     * Returns the layer this view computes.
     *
     * @return the layer index
     */
    public int getLayer() {
        return layer;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(shared.forwardLayer(parameterStore, inputs.head(), layer, training));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        // a no-op for the shared block when another view initialised it already
        shared.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return shared.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        os.writeInt(layer);
        os.writeBoolean(inputShapes != null);
        if (inputShapes != null) {
            saveInputShapes(os);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        if (loadVersion != VERSION) {
            throw new MalformedModelException(
                    "cannot load a LayerConv saved with version "
                            + loadVersion
                            + "; version "
                            + VERSION
                            + " is accepted");
        }
        int saved = is.readInt();
        if (saved != layer) {
            throw new MalformedModelException(
                    "saved layer view " + saved + " does not match this view of layer " + layer);
        }
        if (is.readBoolean()) {
            readInputShapes(is);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LayerConv(layer=" + layer + " of " + shared + ")";
    }
}
