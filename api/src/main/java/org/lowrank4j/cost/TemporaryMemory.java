package org.lowrank4j.cost;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.lowrank4j.internal.Workspace;

/**
 * Measures the peak memory of the temporary arrays of one forward pass of a Lowrank4J block: the
 * largest total size of the arrays alive at once that the pass makes for itself and frees before it
 * returns (its inputs, parameters, cached weights and outputs excepted).
 *
 * <p>Lowrank4J blocks compute inside scopes that free their temporaries on exit; the measurement
 * sums the arrays of every open scope whenever one closes, which is when each holds the most. Views
 * made by reshapes and slices count as if they were copies, so the figure is an upper bound. Arrays
 * made by DJL's own blocks (a dense {@code Linear}, say) are not seen, and count 0.
 *
 * <pre>{@code
 * long bytes = TemporaryMemory.peakBytes(factorizedLinear, new NDList(x), false);
 * double multiple = bytes / (4.0 * in * out); // of a float32 dense weight
 * }</pre>
 */
public final class TemporaryMemory {

    private TemporaryMemory() {}

    /**
     * Runs one forward pass of a block and returns the peak size of its temporaries; the outputs
     * are closed.
     *
     * @param block the block, initialised
     * @param inputs its inputs
     * @param training whether to run a training pass
     * @return the peak in bytes
     * @throws IllegalArgumentException if there are no inputs
     */
    public static long peakBytes(Block block, NDList inputs, boolean training) {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException(
                    "no input was given; the inputs of the block's forward pass are accepted");
        }
        NDManager manager = inputs.head().getManager();
        return peakBytes(
                () -> {
                    NDList out =
                            block.forward(new ParameterStore(manager, false), inputs, training);
                    for (NDArray a : out) {
                        if (inputs.stream().noneMatch(x -> x == a)) {
                            a.close();
                        }
                    }
                });
    }

    /**
     * Runs a computation and returns the peak size of the temporaries of the Lowrank4J code it runs
     * on this thread.
     *
     * @param computation the computation
     * @return the peak in bytes
     */
    public static long peakBytes(Runnable computation) {
        return Workspace.measurePeak(computation);
    }
}
