package org.lowrank4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.HostArrays;

/**
 * The factor parameters of a factorized block and its optional bias: how they are created, drawn by
 * DJL's {@code initialize}, read in a forward pass, checked and set.
 *
 * <p>DJL initialises each parameter on its own; the factors of one random draw belong together, so
 * the first factor's initialisation draws all of them (with the block's draw function) and the
 * others take their share of the same draw, which is dropped by {@link #closePending()}.
 */
final class FactorParameters {

    private final List<Parameter> factors = new ArrayList<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final Parameter bias;
    private final Shape biasShape;
    private final BiFunction<NDManager, DataType, NDList> draw;

    private NDManager pendingManager;
    private NDList pending;

    /**
     * Creates the parameters, the factors first, and registers each with the block.
     *
     * @param names the factor names, in the format's array order
     * @param shapes the factor shapes
     * @param biasShape the bias shape, or null without bias
     * @param register the block's {@code addParameter}
     * @param draw draws every factor's random values at once, in a manager and data type
     */
    FactorParameters(
            List<String> names,
            List<Shape> shapes,
            Shape biasShape,
            UnaryOperator<Parameter> register,
            BiFunction<NDManager, DataType, NDList> draw) {
        this.draw = draw;
        this.biasShape = biasShape;
        for (int i = 0; i < names.size(); i++) {
            Initializer init = new FactorInitializer(i);
            initializers.add(init);
            factors.add(
                    register.apply(
                            Parameter.builder()
                                    .setName(names.get(i))
                                    .setType(Parameter.Type.WEIGHT)
                                    .optShape(shapes.get(i))
                                    .optInitializer(init)
                                    .build()));
        }
        bias =
                biasShape == null
                        ? null
                        : register.apply(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .optShape(biasShape)
                                        .optInitializer(Initializer.ZEROS)
                                        .build());
    }

    /** The factor parameters, unmodifiable, in the format's array order. */
    List<Parameter> factors() {
        return Collections.unmodifiableList(factors);
    }

    /** The bias parameter, or null without bias. */
    Parameter bias() {
        return bias;
    }

    /** The factor shapes. */
    List<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        for (Parameter p : factors) {
            shapes.add(p.getShape());
        }
        return shapes;
    }

    /** The number of stored values, factors and bias. */
    long count() {
        long n = bias == null ? 0 : biasShape.size();
        for (Parameter p : factors) {
            n += p.getShape().size();
        }
        return n;
    }

    /** Whether the factors have values. */
    boolean isInitialized() {
        return factors.get(0).isInitialized();
    }

    /** The first factor's array, which the others share their manager and data type with. */
    NDArray anchor() {
        return factors.get(0).getArray();
    }

    /** The factor values of a forward pass on a device. */
    List<NDArray> values(ParameterStore store, Device device, boolean training) {
        List<NDArray> values = new ArrayList<>();
        for (Parameter p : factors) {
            values.add(store.getValue(p, device, training));
        }
        return values;
    }

    /** The bias value of a forward pass on a device, or null without bias. */
    NDArray biasValue(ParameterStore store, Device device, boolean training) {
        return bias == null ? null : store.getValue(bias, device, training);
    }

    /**
     * Refuses a bias value that is not finite, not of the bias shape, or given to a block without
     * bias; null is accepted (a zero bias).
     */
    void checkBias(NDArray b) {
        if (b == null) {
            return;
        }
        Checks.finiteFloat(b, "bias");
        if (bias == null) {
            throw new IllegalArgumentException(
                    "bias of shape "
                            + b.getShape()
                            + " is not accepted: this block has no bias (build it with"
                            + " optBias(true)); pass null");
        }
        if (!b.getShape().equals(biasShape)) {
            throw new IllegalArgumentException(
                    "bias of shape "
                            + b.getShape()
                            + " is not accepted; a "
                            + biasShape
                            + " bias or null is");
        }
    }

    /** Copies values (checked by the caller) into the parameters; a null bias sets zeros. */
    void set(List<NDArray> values, NDArray biasValue) {
        for (int i = 0; i < factors.size(); i++) {
            assign(factors.get(i), values.get(i), initializers.get(i));
        }
        if (bias != null) {
            NDArray first = values.get(0);
            if (biasValue != null) {
                assign(bias, biasValue, Initializer.ZEROS);
            } else {
                try (NDArray zeros = first.getManager().zeros(biasShape, first.getDataType())) {
                    assign(bias, zeros, Initializer.ZEROS);
                }
            }
        }
    }

    private static void assign(Parameter p, NDArray value, Initializer restore) {
        if (p.isInitialized()) {
            NDArray target = p.getArray();
            try (NDArray converted = value.toType(target.getDataType(), true)) {
                converted.copyTo(target);
            }
        } else {
            // a fresh contiguous copy made from the values: a decomposition may hand out strided
            // views, and a parameter stored with other strides than the same values loaded from a
            // file would give outputs that differ in the last bit after Model.load
            p.setInitializer((m, s, t) -> HostArrays.create(m, HostArrays.toDoubles(value), s, t));
            try {
                p.initialize(value.getManager(), value.getDataType());
            } finally {
                p.setInitializer(restore);
            }
        }
    }

    /**
     * Copies of the factor values, in the parameters' manager.
     *
     * @throws IllegalStateException if the factors have no values
     */
    List<NDArray> copies() {
        List<NDArray> copies = new ArrayList<>();
        for (Parameter p : factors) {
            if (!p.isInitialized()) {
                copies.forEach(NDArray::close);
                throw notInitialized();
            }
            copies.add(p.getArray().duplicate());
        }
        return copies;
    }

    /**
     * A copy of the bias, or null without bias.
     *
     * @throws IllegalStateException if the bias has no value
     */
    NDArray biasCopy() {
        if (bias == null) {
            return null;
        }
        if (!bias.isInitialized()) {
            throw notInitialized();
        }
        return bias.getArray().duplicate();
    }

    /** The error of an operation that needs the parameters' values. */
    static IllegalStateException notInitialized() {
        return new IllegalStateException(
                "the block is not initialised; call initialize or an init method first");
    }

    /** Drops the random draw the factors' initialisation shared. */
    void closePending() {
        if (pendingManager != null) {
            pendingManager.close();
        }
        pendingManager = null;
        pending = null;
    }

    private NDList pendingValues(NDManager manager, DataType type) {
        if (pending == null || pending.head().getDataType() != type) {
            closePending();
            pendingManager = manager.newSubManager();
            pending = draw.apply(pendingManager, type);
        }
        return pending;
    }

    /** Hands out the values of one factor from a random draw shared by all factors. */
    private final class FactorInitializer implements Initializer {

        private final int index;

        FactorInitializer(int index) {
            this.index = index;
        }

        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            NDArray value = pendingValues(manager, dataType).get(index).duplicate();
            value.attach(manager);
            return value;
        }
    }
}
