package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The three parameters of a two-factor block ({@link LowRankConv}, {@link LowRankLinear}): the
 * first factor, the second factor and the bias, and how a new solution replaces them.
 */
final class TwoFactorParameters {

    /** The parameter names, in order. */
    private static final String[] NAMES = {"first_weight", "second_weight", "bias"};

    private TwoFactorParameters() {}

    /**
     * Creates the three parameters, without values, and registers them with the block.
     *
     * @param register the block's {@code addParameter}
     * @return first factor, second factor, bias
     */
    static Parameter[] create(UnaryOperator<Parameter> register) {
        Parameter[] created = new Parameter[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            created[i] =
                    register.apply(
                            Parameter.builder()
                                    .setName(NAMES[i])
                                    .setType(i < 2 ? Parameter.Type.WEIGHT : Parameter.Type.BIAS)
                                    .build());
        }
        return created;
    }

    /**
     * A new parameter in place of {@code old} in the block's parameters, holding a densely laid out
     * copy of the values in a data type, so that it computes exactly like one loaded from a file.
     *
     * @param parameters the block's parameters, by name
     * @param old the parameter replaced
     * @param values the new values (the copy lands in their manager)
     * @param type the data type
     * @return the new parameter
     */
    static Parameter replace(
            Map<String, Parameter> parameters, Parameter old, NDArray values, DataType type) {
        Parameter p =
                Parameter.builder()
                        .setName(old.getName())
                        .setType(old.getType())
                        .optInitializer(old.getInitializer())
                        .build();
        p.setArray(values.reshape(-1).toType(type, true).reshape(values.getShape()));
        parameters.put(p.getName(), p);
        return p;
    }

    /**
     * Refuses a call on a block whose parameters have no values.
     *
     * @param factory the method that builds the block with values, for the message
     * @param all the block's parameters
     * @throws IllegalStateException if one has no value
     */
    static void requireWeights(String factory, Parameter... all) {
        for (Parameter p : all) {
            if (!p.isInitialized()) {
                throw new IllegalStateException(
                        "the block has no weights yet; initialise it or build it with "
                                + factory
                                + " first");
            }
        }
    }
}
