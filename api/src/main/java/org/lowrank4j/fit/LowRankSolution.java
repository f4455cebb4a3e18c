package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;

/**
 * The result of a data-aware low-rank fit: two factors, a bias, the rank and the error.
 *
 * <p>For a matrix fit ({@link LowRankFit#factorizeMatrix}) the approximation of {@code Y [N, M]}
 * from {@code X [N, D]} is {@code X · Wa · Wb + bias}: {@link #getWa()} is {@code [D, rank]} (it
 * embeds the input into {@code rank} dimensions) and {@link #getWb()} is {@code [rank, M]} (it maps
 * back). For a convolution fit ({@link LowRankFit#factorizeConv2d}) the factors are convolution
 * weights in DJL's layout: {@code Wa} is the {@code (rank, C, kh, kw)} kernel of the first
 * convolution and {@code Wb} the {@code (M, rank, 1, 1)} kernel of the second, 1×1 convolution.
 *
 * <p>A rank of {@code -1} means that no factorization was made because the requested rank would not
 * save computation: {@code Wa} is then the full weight ({@code [D, M]}, or the {@code (M, C, kh,
 * kw)} kernel) of the original layer, {@link #getWb()} is {@code null} and the bias is the original
 * one.
 *
 * <p>The normalised mean squared error {@link #getNmse()} is the mean over all {@code N·M} elements
 * of the squared difference between the target and the approximation, divided by the variance of
 * all elements of the target (population variance around their common mean): 0 is exact, 1 is no
 * better than predicting the mean.
 *
 * <p>Instances are immutable; {@link #close()} closes the arrays they hold.
 */
public final class LowRankSolution implements AutoCloseable {

    private final NDArray wa;
    private final NDArray wb;
    private final NDArray bias;
    private final int rank;
    private final double nmse;

    private LowRankSolution(NDArray wa, NDArray wb, NDArray bias, int rank, double nmse) {
        this.wa = wa;
        this.wb = wb;
        this.bias = bias;
        this.rank = rank;
        this.nmse = nmse;
    }

    /**
     * Creates a factorized solution.
     *
     * @param wa the first factor
     * @param wb the second factor
     * @param bias the bias, or {@code null} for none
     * @param rank the rank, at least 1
     * @param nmse the normalised mean squared error on the data it was fitted to ({@code NaN} when
     *     no data was used)
     * @return the solution
     * @throws IllegalArgumentException if a factor is {@code null} or the rank is below 1
     */
    public static LowRankSolution factorized(
            NDArray wa, NDArray wb, NDArray bias, int rank, double nmse) {
        if (wa == null || wb == null) {
            throw new IllegalArgumentException(
                    "a factorized solution needs both factors; got Wa "
                            + (wa == null ? "null" : wa.getShape())
                            + " and Wb "
                            + (wb == null ? "null" : wb.getShape()));
        }
        if (rank < 1) {
            throw new IllegalArgumentException(
                    "rank " + rank + " is not accepted for a factorized solution; it must be >= 1");
        }
        return new LowRankSolution(wa, wb, bias, rank, nmse);
    }

    /**
     * Creates the full (not factorized) solution, of rank {@code -1}.
     *
     * @param weight the full weight
     * @param bias the bias, or {@code null} for none
     * @param nmse the normalised mean squared error on the data it was evaluated on
     * @return the solution
     * @throws IllegalArgumentException if the weight is {@code null}
     */
    public static LowRankSolution full(NDArray weight, NDArray bias, double nmse) {
        if (weight == null) {
            throw new IllegalArgumentException("a full solution needs a weight; got null");
        }
        return new LowRankSolution(weight, null, bias, -1, nmse);
    }

    /**
     * Returns the first factor: {@code [D, rank]} for a matrix, {@code (rank, C, kh, kw)} for a
     * convolution; the full weight when {@link #getRank()} is {@code -1}.
     *
     * @return the first factor
     */
    public NDArray getWa() {
        return wa;
    }

    /**
     * Returns the second factor: {@code [rank, M]} for a matrix, {@code (M, rank, 1, 1)} for a
     * convolution; {@code null} when {@link #getRank()} is {@code -1}.
     *
     * @return the second factor, or {@code null}
     */
    public NDArray getWb() {
        return wb;
    }

    /**
     * Returns the bias, {@code [M]}.
     *
     * @return the bias, or {@code null} if the solution has none
     */
    public NDArray getBias() {
        return bias;
    }

    /**
     * Returns the rank of the factorization.
     *
     * @return the rank, or {@code -1} if the solution is the full, unfactorized weight
     */
    public int getRank() {
        return rank;
    }

    /**
     * Returns whether this solution is a factorization (its rank is not {@code -1}).
     *
     * @return whether the weight was factorized
     */
    public boolean isFactorized() {
        return rank != -1;
    }

    /**
     * Returns the normalised mean squared error: mean squared error over all elements divided by
     * the variance of the target's elements.
     *
     * @return the error, 0 for exact; {@code NaN} if no data was used
     */
    public double getNmse() {
        return nmse;
    }

    /** Closes the arrays this solution holds. */
    @Override
    public void close() {
        wa.close();
        if (wb != null) {
            wb.close();
        }
        if (bias != null) {
            bias.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LowRankSolution{rank="
                + rank
                + ", Wa="
                + wa.getShape()
                + ", Wb="
                + (wb == null ? "null" : wb.getShape())
                + ", bias="
                + (bias == null ? "null" : bias.getShape())
                + ", nmse="
                + nmse
                + "}";
    }
}
