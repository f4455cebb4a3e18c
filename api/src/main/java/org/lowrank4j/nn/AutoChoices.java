package org.lowrank4j.nn;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What {@link ConvImplementation#AUTO} runs, per input key (a convolution's input shape, a linear
 * layer's number of rows): a measured choice ({@code tune}) for inference, else the cost model's,
 * made once per key and pass kind. Safe for threads sharing a block.
 *
 * @param <K> the input key
 */
final class AutoChoices<K> {

    private final Map<K, ConvImplementation> tuned = new ConcurrentHashMap<>();
    private final Map<List<Object>, ConvImplementation> modelled = new ConcurrentHashMap<>();

    /**
     * Returns the implementation for an input.
     *
     * @param key the input key
     * @param training whether the pass is a training pass (measured choices are for inference)
     * @param model the cost model's choice, asked once per key and pass kind
     * @return the implementation
     */
    ConvImplementation choose(K key, boolean training, Supplier<ConvImplementation> model) {
        if (!training) {
            ConvImplementation measured = tuned.get(key);
            if (measured != null) {
                return measured;
            }
        }
        return modelled.computeIfAbsent(List.of(key, training), k -> model.get());
    }

    /** Makes inference on inputs of this key run a measured choice from now on. */
    void measured(K key, ConvImplementation implementation) {
        tuned.put(key, implementation);
    }

    /** Forgets the cost model's choices (its inputs changed); measured ones are kept. */
    void forgetModelled() {
        modelled.clear();
    }

    /** Forgets every choice (the block's layout changed). */
    void forgetAll() {
        modelled.clear();
        tuned.clear();
    }
}
