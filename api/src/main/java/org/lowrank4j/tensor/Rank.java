package org.lowrank4j.tensor;

import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How large a factorization should be: the same number of parameters as the dense tensor, a
 * fraction of it, or explicit ranks.
 *
 * <p>A rank is only a request: {@link org.lowrank4j.tensor.Ranks} turns it into concrete ranks for
 * a given tensor shape and format, clipped to what the decomposition can realise.
 *
 * <pre>{@code
 * Rank.same();             // about as many parameters as the dense tensor
 * Rank.fraction(0.25);     // about a quarter of the dense parameters
 * Rank.of(8);              // rank 8 (CP), or 8 for every mode (Tucker) or every bond (TT)
 * Rank.of(24, 12, 3, 3);   // one rank per mode (Tucker) or per bond (TT)
 * }</pre>
 */
public final class Rank {

    private static final Logger logger = LoggerFactory.getLogger(Rank.class);

    private static final Rank SAME = new Rank(1.0, null, true);

    /** The largest fraction accepted: ten times the dense parameters. */
    public static final double MAX_FRACTION = 10;

    private final double fraction;
    private final int[] values;
    private final boolean same;

    private Rank(double fraction, int[] values, boolean same) {
        this.fraction = fraction;
        this.values = values;
        this.same = same;
    }

    /**
     * Returns the rank that keeps about as many parameters as the dense tensor (fraction 1.0).
     *
     * @return the rank
     */
    public static Rank same() {
        return SAME;
    }

    /**
     * Returns the rank that keeps about {@code fraction} of the dense tensor's parameters.
     *
     * @param fraction the fraction of parameters, in {@code (0, MAX_FRACTION]} (values above 1 ask
     *     for an over-parametrised factorization, and are logged as a warning)
     * @return the rank
     * @throws IllegalArgumentException if the fraction is not finite, not positive or above {@link
     *     #MAX_FRACTION} (a percentage, {@code 30} for 30%, is refused rather than read as 30
     *     times)
     */
    public static Rank fraction(double fraction) {
        if (!Double.isFinite(fraction) || fraction <= 0 || fraction > MAX_FRACTION) {
            throw new IllegalArgumentException(
                    "rank fraction "
                            + fraction
                            + " is not accepted; a share of the dense parameters in (0, "
                            + MAX_FRACTION
                            + "] is (for 30% write 0.3)");
        }
        if (fraction > 1) {
            logger.warn(
                    "rank fraction {} keeps more parameters than the dense layer (an"
                            + " over-parametrised factorization, as TensorLy allows); fractions in"
                            + " (0, 1] compress",
                    fraction);
        }
        return new Rank(fraction, null, false);
    }

    /**
     * Returns explicit ranks: one value for every mode or bond, or one value per mode (Tucker) or
     * per bond (TT).
     *
     * @param ranks the ranks, each at least 1
     * @return the rank
     * @throws IllegalArgumentException if no rank is given or one is below 1
     */
    public static Rank of(int... ranks) {
        if (ranks == null || ranks.length == 0) {
            throw new IllegalArgumentException("Rank.of needs at least one rank value, got none");
        }
        for (int r : ranks) {
            if (r < 1) {
                throw new IllegalArgumentException(
                        "rank "
                                + r
                                + " in "
                                + Arrays.toString(ranks)
                                + " is not accepted; ranks must be >= 1");
            }
        }
        return new Rank(Double.NaN, ranks.clone(), false);
    }

    /**
     * Returns whether this rank is given as a fraction of parameters ({@link #same()} included).
     *
     * @return whether this is a fraction
     */
    public boolean isFraction() {
        return values == null;
    }

    /**
     * Returns whether this is {@link #same()}.
     *
     * @return whether this is the "same" rank
     */
    public boolean isSame() {
        return same;
    }

    /**
     * Returns the fraction of parameters.
     *
     * @return the fraction (1.0 for {@link #same()})
     * @throws IllegalStateException if the rank is explicit
     */
    public double getFraction() {
        if (values != null) {
            throw new IllegalStateException("rank " + this + " is explicit and has no fraction");
        }
        return fraction;
    }

    /**
     * Returns the explicit rank values.
     *
     * @return a copy of the values
     * @throws IllegalStateException if the rank is a fraction
     */
    public int[] getValues() {
        if (values == null) {
            throw new IllegalStateException("rank " + this + " is a fraction and has no values");
        }
        return values.clone();
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Rank)) {
            return false;
        }
        Rank other = (Rank) o;
        return same == other.same
                && Double.compare(fraction, other.fraction) == 0
                && Arrays.equals(values, other.values);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * Double.hashCode(fraction) + Arrays.hashCode(values) + (same ? 1 : 0);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        if (same) {
            return "same";
        }
        if (values == null) {
            return "fraction(" + fraction + ")";
        }
        return values.length == 1 ? String.valueOf(values[0]) : Arrays.toString(values);
    }
}
