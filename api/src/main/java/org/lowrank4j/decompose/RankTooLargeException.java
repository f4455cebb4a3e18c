package org.lowrank4j.decompose;

/**
 * A rank a decomposition does not fit in bounded time: its message names the rank, the tensor's
 * shape and the ranks that are accepted.
 *
 * <p>It is an {@link IllegalArgumentException}, so a caller that asked for the rank gets the usual
 * error. The {@link org.lowrank4j.factorize.Factorizer} treats it apart when the rank was not the
 * user's own: a layer whose rank comes from a fraction or a rank selector and resolves to such a
 * rank is kept dense with this message as the reason, instead of failing the whole model.
 */
public class RankTooLargeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The rank asked for. */
    private final long rank;

    /** The largest rank fitted iteratively. */
    private final long largestAccepted;

    /**
     * Makes the exception.
     *
     * @param message what was asked and what is accepted
     * @param rank the rank asked for
     * @param largestAccepted the largest rank fitted iteratively
     */
    public RankTooLargeException(String message, long rank, long largestAccepted) {
        super(message);
        this.rank = rank;
        this.largestAccepted = largestAccepted;
    }

    /**
     * Returns the rank asked for.
     *
     * @return the rank
     */
    public long getRank() {
        return rank;
    }

    /**
     * Returns the largest rank fitted iteratively.
     *
     * @return the rank
     */
    public long getLargestAccepted() {
        return largestAccepted;
    }
}
