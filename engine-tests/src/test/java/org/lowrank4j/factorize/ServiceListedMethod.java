package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Map;

/** A layer method found through META-INF/services only; it accepts no layer. */
public final class ServiceListedMethod implements LayerMethod {

    /** Creates the method, as Java's service loader does. */
    public ServiceListedMethod() {}

    @Override
    public String getName() {
        return "test-service-listed";
    }

    @Override
    public boolean isDataAware() {
        return false;
    }

    @Override
    public String unsupportedReason(Block layer, Shape[] inputShapes) {
        return "it accepts no layer";
    }

    @Override
    public LayerResult factorize(LayerRequest request) {
        throw new UnsupportedOperationException("it accepts no layer");
    }

    @Override
    public boolean produced(Block block) {
        return false;
    }

    @Override
    public Map<String, String> describe(Block factorized) {
        throw new UnsupportedOperationException("it makes no block");
    }

    @Override
    public Block rebuild(Block original, Map<String, String> settings) {
        throw new UnsupportedOperationException("it makes no block");
    }

    @Override
    public Block toStandard(Block factorized) {
        throw new UnsupportedOperationException("it makes no block");
    }
}
