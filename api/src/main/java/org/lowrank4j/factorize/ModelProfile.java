package org.lowrank4j.factorize;

import java.util.List;
import org.lowrank4j.cost.BlockCost;

/**
 * What a global {@link RankSelector} knows about a model: the profiles of the layers whose ranks it
 * chooses, the cost of the whole model before factorization, and the cost of everything else in the
 * model after it (layers kept dense, layers with ranks of their own, normalisation, pooling); for a
 * latency budget, the same two totals as measured latencies ({@link #withLatency}).
 */
public final class ModelProfile {

    private final List<LayerProfile> layers;
    private final BlockCost totalBefore;
    private final BlockCost others;
    private final double latencyBefore;
    private final double latencyOthers;

    private ModelProfile(
            List<LayerProfile> layers,
            BlockCost totalBefore,
            BlockCost others,
            double latencyBefore,
            double latencyOthers) {
        this.layers = List.copyOf(layers);
        this.totalBefore = totalBefore;
        this.others = others;
        this.latencyBefore = latencyBefore;
        this.latencyOthers = latencyOthers;
    }

    /**
     * Returns a model profile.
     *
     * @param layers the layers to choose ranks for
     * @param totalBefore the cost of the whole model before factorization
     * @param others the cost after factorization of everything but those layers
     * @return the profile
     * @throws IllegalArgumentException if an argument is {@code null}
     */
    public static ModelProfile of(
            List<LayerProfile> layers, BlockCost totalBefore, BlockCost others) {
        if (layers == null || totalBefore == null || others == null) {
            throw new IllegalArgumentException(
                    "model profile ("
                            + layers
                            + ", "
                            + totalBefore
                            + ", "
                            + others
                            + ") is not accepted; layers and both costs are required");
        }
        return new ModelProfile(layers, totalBefore, others, Double.NaN, Double.NaN);
    }

    /**
     * Returns this profile with the measured latencies a latency budget spends: that of the whole
     * model before factorization, and that of everything but {@link #getLayers()} after it.
     *
     * @param before the whole model's latency in milliseconds, finite and at least 0
     * @param others the latency of the rest of the model in milliseconds, finite and at least 0
     * @return the profile with latencies
     * @throws IllegalArgumentException if a latency is negative or not finite
     */
    public ModelProfile withLatency(double before, double others) {
        if (!(before >= 0 && before < Double.POSITIVE_INFINITY)
                || !(others >= 0 && others < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(
                    "latencies "
                            + before
                            + " ms (model) and "
                            + others
                            + " ms (others) are not accepted; finite values >= 0 are");
        }
        return new ModelProfile(layers, totalBefore, this.others, before, others);
    }

    /** This profile with other layer profiles and the same totals. */
    ModelProfile withLayers(List<LayerProfile> layers) {
        return new ModelProfile(layers, totalBefore, others, latencyBefore, latencyOthers);
    }

    /**
     * Returns the layers to choose ranks for.
     *
     * @return the layer profiles
     */
    public List<LayerProfile> getLayers() {
        return layers;
    }

    /**
     * Returns the cost of the whole model before factorization.
     *
     * @return the cost
     */
    public BlockCost getTotalBefore() {
        return totalBefore;
    }

    /**
     * Returns the cost after factorization of everything but {@link #getLayers()}.
     *
     * @return the cost
     */
    public BlockCost getOthers() {
        return others;
    }

    /**
     * Returns the measured latency of the whole model before factorization.
     *
     * @return the latency in milliseconds, NaN unless set by {@link #withLatency}
     */
    public double getLatencyBefore() {
        return latencyBefore;
    }

    /**
     * Returns the measured latency after factorization of everything but {@link #getLayers()}.
     *
     * @return the latency in milliseconds, NaN unless set by {@link #withLatency}
     */
    public double getLatencyOthers() {
        return latencyOthers;
    }
}
