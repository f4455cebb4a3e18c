package org.lowrank4j.cost;

/**
 * The cost of a block on one forward pass: its number of parameters and the floating-point
 * operations it performs.
 *
 * <p>A multiply–accumulate counts as one operation (so a dense {@code (out, in)} product on one row
 * costs {@code in · out}); adding a bias, an activation, a normalisation step or a pooling
 * comparison counts one per element. The counts are for the whole input, batch included.
 */
public final class BlockCost {

    /** No parameters and no operations. */
    public static final BlockCost ZERO = new BlockCost(0, 0);

    private final long parameters;
    private final long flops;

    private BlockCost(long parameters, long flops) {
        this.parameters = parameters;
        this.flops = flops;
    }

    /**
     * Returns a cost.
     *
     * @param parameters the number of parameters, at least 0
     * @param flops the number of operations, at least 0
     * @return the cost
     * @throws IllegalArgumentException if a count is negative
     */
    public static BlockCost of(long parameters, long flops) {
        if (parameters < 0 || flops < 0) {
            throw new IllegalArgumentException(
                    "cost ("
                            + parameters
                            + " parameters, "
                            + flops
                            + " FLOPs) is not accepted; both counts must be >= 0");
        }
        return new BlockCost(parameters, flops);
    }

    /**
     * Returns the number of parameters.
     *
     * @return the number of parameters
     */
    public long getParameters() {
        return parameters;
    }

    /**
     * Returns the number of floating-point operations of one forward pass.
     *
     * @return the number of operations
     */
    public long getFlops() {
        return flops;
    }

    /**
     * Returns the sum of this cost and another.
     *
     * @param other the other cost
     * @return the sum
     */
    public BlockCost plus(BlockCost other) {
        return new BlockCost(parameters + other.parameters, flops + other.flops);
    }

    /**
     * Returns whether this cost is below another in both parameters and operations.
     *
     * @param other the other cost
     * @return whether both counts are strictly lower
     */
    public boolean isCheaperThan(BlockCost other) {
        return parameters < other.parameters && flops < other.flops;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BlockCost)) {
            return false;
        }
        BlockCost c = (BlockCost) o;
        return parameters == c.parameters && flops == c.flops;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Long.hashCode(parameters) * 31 + Long.hashCode(flops);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return parameters + " parameters, " + flops + " FLOPs";
    }
}
