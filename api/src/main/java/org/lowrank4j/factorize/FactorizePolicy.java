package org.lowrank4j.factorize;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * Which layers a {@link Factorizer} swaps, how, and at which rank.
 *
 * <pre>{@code
 * FactorizePolicy policy = FactorizePolicy.builder()
 *         .setRank(Rank.fraction(0.5))
 *         .optSkipFirst(true)                      // keep the stem convolution
 *         .optLayerRank("05Linear", Rank.of(8))    // one layer at another rank
 *         .build();
 * FactorizePolicy chosen = FactorizePolicy.builder()
 *         .setRank(RankSelector.budget(Budget.flops(0.4)))  // ranks chosen for 40% of the FLOPs
 *         .build();
 * }</pre>
 *
 * <p>By default every {@link Conv1d}, {@link Conv2d}, {@link Conv3d} and {@link Linear} layer is a
 * candidate, factorized with {@link LayerMethods#lowRank()}, and swapped only if the new block
 * costs fewer parameters and fewer FLOPs than the layer it replaces ({@link
 * Builder#optOnlyIfCheaper(boolean)}). {@link Builder#optLinearFactorization} turns linear layers
 * into tensorized ones ({@link org.lowrank4j.nn.FactorizedLinear}) instead, and {@link
 * Builder#optConvFactorization} convolutions into CP, Tucker-2 or TT {@link
 * org.lowrank4j.nn.FactorizedConv}s.
 */
public final class FactorizePolicy {

    private static final List<Class<? extends Block>> LAYER_TYPES =
            List.of(Conv1d.class, Conv2d.class, Conv3d.class, Linear.class);

    private final Set<Class<? extends Block>> layerTypes;
    private final Predicate<String> pathFilter;
    private final boolean skipFirst;
    private final boolean skipLast;
    private final long minChannels;
    private final long minFeatures;
    private final LayerMethod convMethod;
    private final LayerMethod linearMethod;
    private final Map<String, LayerMethod> layerMethods;
    private final RankSelector rank;
    private final Map<String, RankSelector> layerRanks;
    private final ConvImplementation implementation;
    private final boolean onlyIfCheaper;

    private FactorizePolicy(Builder b) {
        layerTypes = Collections.unmodifiableSet(new LinkedHashSet<>(b.layerTypes));
        pathFilter = b.pathFilter;
        skipFirst = b.skipFirst;
        skipLast = b.skipLast;
        minChannels = b.minChannels;
        minFeatures = b.minFeatures;
        convMethod = b.convMethod;
        linearMethod = b.linearMethod;
        layerMethods = Collections.unmodifiableMap(new LinkedHashMap<>(b.layerMethods));
        rank = b.rank;
        layerRanks = Collections.unmodifiableMap(new LinkedHashMap<>(b.layerRanks));
        implementation = b.implementation;
        onlyIfCheaper = b.onlyIfCheaper;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the layer types that are candidates.
     *
     * @return the types
     */
    public Set<Class<? extends Block>> getLayerTypes() {
        return layerTypes;
    }

    /**
     * Returns whether a block is of a candidate type.
     *
     * @param block a block
     * @return whether it is an instance of one of {@link #getLayerTypes()}
     */
    public boolean isCandidate(Block block) {
        for (Class<? extends Block> t : layerTypes) {
            if (t.isInstance(block)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns whether a layer path passes the path filter.
     *
     * @param path the path
     * @return whether it is accepted
     */
    public boolean acceptsPath(String path) {
        return pathFilter.test(path);
    }

    /**
     * Returns whether the first candidate layer is kept.
     *
     * @return whether it is skipped
     */
    public boolean isSkipFirst() {
        return skipFirst;
    }

    /**
     * Returns whether the last candidate layer is kept.
     *
     * @return whether it is skipped
     */
    public boolean isSkipLast() {
        return skipLast;
    }

    /**
     * Returns the fewest input and output channels a convolution needs to be swapped.
     *
     * @return the minimum
     */
    public long getMinChannels() {
        return minChannels;
    }

    /**
     * Returns the fewest input and output features a linear layer needs to be swapped.
     *
     * @return the minimum
     */
    public long getMinFeatures() {
        return minFeatures;
    }

    /**
     * Every method the policy may use: the convolutions', the linear layers', the per-layer ones.
     */
    List<LayerMethod> methods() {
        List<LayerMethod> all = new ArrayList<>();
        all.add(convMethod);
        all.add(linearMethod);
        all.addAll(layerMethods.values());
        return all;
    }

    /**
     * Returns the method for a layer: its override, else the convolution or linear method.
     *
     * @param path the layer's path
     * @param layer the layer
     * @return the method
     */
    public LayerMethod methodFor(String path, Block layer) {
        LayerMethod m = layerMethods.get(path);
        if (m != null) {
            return m;
        }
        return layer instanceof Linear ? linearMethod : convMethod;
    }

    /**
     * Returns the fixed rank for a layer: its override, else the policy's rank.
     *
     * @param path the layer's path
     * @return the rank, {@code null} if the layer's rank is chosen by a {@link RankSelector} other
     *     than {@link RankSelector#fixed(Rank)}
     */
    public Rank rankFor(String path) {
        RankSelector s = selectorFor(path);
        return s instanceof Selectors.Fixed ? ((Selectors.Fixed) s).rank : null;
    }

    /**
     * Returns what chooses a layer's rank: its override, else the policy's selector (a fixed rank
     * is {@link RankSelector#fixed(Rank)}).
     *
     * @param path the layer's path
     * @return the selector
     */
    public RankSelector selectorFor(String path) {
        return layerRanks.getOrDefault(path, rank);
    }

    /**
     * Returns the paths that have a rank or method override.
     *
     * @return the paths
     */
    public Set<String> getOverriddenPaths() {
        Set<String> paths = new LinkedHashSet<>(layerRanks.keySet());
        paths.addAll(layerMethods.keySet());
        return paths;
    }

    /**
     * Returns the forward implementation asked of the methods.
     *
     * @return the implementation
     */
    public ConvImplementation getImplementation() {
        return implementation;
    }

    /**
     * Returns whether a layer is swapped only when that lowers both parameters and FLOPs.
     *
     * @return whether only cheaper swaps are made
     */
    public boolean isOnlyIfCheaper() {
        return onlyIfCheaper;
    }

    /** Builds a {@link FactorizePolicy}. */
    public static final class Builder {

        private Set<Class<? extends Block>> layerTypes = new LinkedHashSet<>(LAYER_TYPES);
        private Predicate<String> pathFilter = p -> true;
        private boolean skipFirst;
        private boolean skipLast;
        private long minChannels = 1;
        private long minFeatures = 1;
        private LayerMethod convMethod = LayerMethods.lowRank();
        private LayerMethod linearMethod = LayerMethods.lowRank();
        private final Map<String, LayerMethod> layerMethods = new LinkedHashMap<>();
        private RankSelector rank;
        private final Map<String, RankSelector> layerRanks = new LinkedHashMap<>();
        private ConvImplementation implementation = ConvImplementation.AUTO;
        private boolean onlyIfCheaper = true;

        private Builder() {}

        /**
         * Sets the rank of every swapped layer (required); see the method for how it is resolved.
         *
         * @param rank the rank
         * @return this builder
         */
        public Builder setRank(Rank rank) {
            this.rank = rank == null ? null : RankSelector.fixed(rank);
            return this;
        }

        /**
         * Sets what chooses the rank of every swapped layer (required, or {@link #setRank(Rank)}):
         * a per-layer selector such as {@link RankSelector#energy(double)}, or a global one such as
         * {@link RankSelector#budget(Budget)}.
         *
         * @param selector the selector
         * @return this builder
         */
        public Builder setRank(RankSelector selector) {
            this.rank = selector;
            return this;
        }

        /**
         * Sets the rank of one layer.
         *
         * @param path the layer's path, as the report shows it
         * @param rank the rank
         * @return this builder
         */
        public Builder optLayerRank(String path, Rank rank) {
            if (path == null || rank == null) {
                throw new IllegalArgumentException(
                        "layer rank ("
                                + path
                                + ", "
                                + rank
                                + ") is not accepted; a path and a"
                                + " rank are");
            }
            layerRanks.put(path, RankSelector.fixed(rank));
            return this;
        }

        /**
         * Sets what chooses the rank of one layer.
         *
         * @param path the layer's path, as the report shows it
         * @param selector a per-layer selector
         * @return this builder
         * @throws IllegalArgumentException if an argument is {@code null} or the selector is global
         */
        public Builder optLayerRank(String path, RankSelector selector) {
            if (path == null || selector == null || selector.isGlobal()) {
                throw new IllegalArgumentException(
                        "layer rank ("
                                + path
                                + ", "
                                + selector
                                + ") is not accepted; a path and a per-layer selector are (a"
                                + " global selector such as a budget is set with setRank)");
            }
            layerRanks.put(path, selector);
            return this;
        }

        /**
         * Sets the layer types that are candidates (default Conv1d, Conv2d, Conv3d and Linear).
         *
         * @param types some of {@link Conv1d}, {@link Conv2d}, {@link Conv3d}, {@link Linear}
         * @return this builder
         * @throws IllegalArgumentException if a type is not one of those or none is given
         */
        @SafeVarargs
        public final Builder optLayerTypes(Class<? extends Block>... types) {
            if (types == null || types.length == 0) {
                throw new IllegalArgumentException(
                        "no layer type was given; some of " + names() + " are accepted");
            }
            Set<Class<? extends Block>> set = new LinkedHashSet<>();
            for (Class<? extends Block> t : types) {
                if (!LAYER_TYPES.contains(t)) {
                    throw new IllegalArgumentException(
                            "layer type "
                                    + (t == null ? null : t.getSimpleName())
                                    + " is not accepted; "
                                    + names()
                                    + " are");
                }
                set.add(t);
            }
            layerTypes = set;
            return this;
        }

        /**
         * Sets which layer paths are candidates (default all).
         *
         * @param filter true for the paths that may be swapped
         * @return this builder
         */
        public Builder optPathFilter(Predicate<String> filter) {
            if (filter == null) {
                throw new IllegalArgumentException(
                        "path filter null is not accepted; a predicate is");
            }
            this.pathFilter = filter;
            return this;
        }

        /**
         * Sets whether the first candidate layer in forward order is kept (default false).
         *
         * @param skipFirst whether to keep it
         * @return this builder
         */
        public Builder optSkipFirst(boolean skipFirst) {
            this.skipFirst = skipFirst;
            return this;
        }

        /**
         * Sets whether the last candidate layer in forward order is kept (default false).
         *
         * @param skipLast whether to keep it
         * @return this builder
         */
        public Builder optSkipLast(boolean skipLast) {
            this.skipLast = skipLast;
            return this;
        }

        /**
         * Sets the fewest input and output channels a convolution needs (default 1).
         *
         * @param minChannels at least 1
         * @return this builder
         */
        public Builder optMinChannels(long minChannels) {
            if (minChannels < 1) {
                throw new IllegalArgumentException(
                        "minChannels " + minChannels + " is not accepted; it must be >= 1");
            }
            this.minChannels = minChannels;
            return this;
        }

        /**
         * Sets the fewest input and output features a linear layer needs (default 1).
         *
         * @param minFeatures at least 1
         * @return this builder
         */
        public Builder optMinFeatures(long minFeatures) {
            if (minFeatures < 1) {
                throw new IllegalArgumentException(
                        "minFeatures " + minFeatures + " is not accepted; it must be >= 1");
            }
            this.minFeatures = minFeatures;
            return this;
        }

        /**
         * Sets the method for convolutions (default {@link LayerMethods#lowRank()}).
         *
         * @param method the method
         * @return this builder
         */
        public Builder optConvMethod(LayerMethod method) {
            this.convMethod = requireMethod(method);
            return this;
        }

        /**
         * Sets the tensor format for convolutions; see {@link LayerMethods#forConv}.
         *
         * @param factorization the format
         * @return this builder
         * @throws IllegalArgumentException if that method is not available
         */
        public Builder optConvFactorization(Factorization factorization) {
            this.convMethod = LayerMethods.forConv(factorization);
            return this;
        }

        /**
         * Sets the method for linear layers (default {@link LayerMethods#lowRank()}).
         *
         * @param method the method
         * @return this builder
         */
        public Builder optLinearMethod(LayerMethod method) {
            this.linearMethod = requireMethod(method);
            return this;
        }

        /**
         * Sets the tensor format for linear layers; see {@link LayerMethods#forLinear}.
         *
         * @param factorization the format
         * @return this builder
         * @throws IllegalArgumentException if that method is not available
         */
        public Builder optLinearFactorization(Factorization factorization) {
            this.linearMethod = LayerMethods.forLinear(factorization);
            return this;
        }

        /**
         * Sets the method for one layer.
         *
         * @param path the layer's path
         * @param method the method
         * @return this builder
         */
        public Builder optLayerMethod(String path, LayerMethod method) {
            if (path == null) {
                throw new IllegalArgumentException("path null is not accepted; a layer path is");
            }
            layerMethods.put(path, requireMethod(method));
            return this;
        }

        /**
         * Sets the forward implementation asked of the methods (default {@link
         * ConvImplementation#AUTO}); the low-rank method has one implementation and ignores it, the
         * tensorized linear methods accept FACTORIZED, RECONSTRUCTED and AUTO, the convolution
         * methods of {@link LayerMethods#forConv} those and MOBILENET for CP only.
         *
         * @param implementation the implementation
         * @return this builder
         */
        public Builder optImplementation(ConvImplementation implementation) {
            if (implementation == null) {
                throw new IllegalArgumentException(
                        "implementation null is not accepted; one of ConvImplementation is");
            }
            this.implementation = implementation;
            return this;
        }

        /**
         * Sets whether a layer is swapped only when the new block has fewer parameters and fewer
         * FLOPs (default true).
         *
         * @param onlyIfCheaper whether to require both savings
         * @return this builder
         */
        public Builder optOnlyIfCheaper(boolean onlyIfCheaper) {
            this.onlyIfCheaper = onlyIfCheaper;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return the policy
         * @throws IllegalArgumentException if the rank is not set
         */
        public FactorizePolicy build() {
            if (rank == null) {
                throw new IllegalArgumentException(
                        "no rank was set; setRank(Rank.fraction(f)), setRank(Rank.of(r)),"
                                + " setRank(Rank.same()) or setRank(RankSelector...) is"
                                + " required");
            }
            return new FactorizePolicy(this);
        }

        private static LayerMethod requireMethod(LayerMethod method) {
            if (method == null) {
                throw new IllegalArgumentException(
                        "method null is not accepted; one of LayerMethods is");
            }
            return method;
        }

        private static String names() {
            StringBuilder b = new StringBuilder();
            for (Class<? extends Block> t : LAYER_TYPES) {
                b.append(b.length() == 0 ? "" : ", ").append(t.getSimpleName());
            }
            return b.toString();
        }
    }
}
