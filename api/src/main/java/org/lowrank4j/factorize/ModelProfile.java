package org.lowrank4j.factorize;

import java.util.List;
import org.lowrank4j.cost.BlockCost;

/**
 * What a global {@link RankSelector} knows about a model: the profiles of the layers whose ranks it
 * chooses, the cost of the whole model before factorization, and the cost of everything else in the
 * model after it (layers kept dense, layers with ranks of their own, normalisation, pooling).
 */
public final class ModelProfile {

    private final List<LayerProfile> layers;
    private final BlockCost totalBefore;
    private final BlockCost others;

    private ModelProfile(List<LayerProfile> layers, BlockCost totalBefore, BlockCost others) {
        this.layers = List.copyOf(layers);
        this.totalBefore = totalBefore;
        this.others = others;
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
        return new ModelProfile(layers, totalBefore, others);
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
}
