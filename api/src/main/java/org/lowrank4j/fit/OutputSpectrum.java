package org.lowrank4j.fit;

import java.util.Arrays;

/**
 * The spectrum of a layer's outputs on calibration data: the eigenvalues of the (centred) output
 * Gram matrix {@code Σ (y − ȳ)(y − ȳ)ᵀ}, descending, and the total sum of squares that normalises
 * the output error.
 *
 * <p>The closed-form data-aware fit of rank {@code k} keeps the top {@code k} eigen-directions, so
 * its output nmse is the sum of the eigenvalues it drops divided by the total: {@link #nmseAt(int)}
 * gives the error of every rank without fitting.
 */
public final class OutputSpectrum {

    private final double[] eigenvalues;
    private final double total;
    private final double[] tail;

    /**
     * Creates a spectrum.
     *
     * @param eigenvalues the eigenvalues, descending; negative rounding noise is set to 0
     * @param total the total sum of squares of the outputs around their grand mean, at least 0
     * @throws IllegalArgumentException if a value is not finite or the total is negative
     */
    public OutputSpectrum(double[] eigenvalues, double total) {
        if (!Double.isFinite(total) || total < 0) {
            throw new IllegalArgumentException(
                    "total sum of squares "
                            + total
                            + " is not accepted; it must be finite and >= 0");
        }
        this.eigenvalues = new double[eigenvalues.length];
        for (int i = 0; i < eigenvalues.length; i++) {
            double v = eigenvalues[i];
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(
                        "eigenvalue " + v + " at " + i + " is not accepted; finite values are");
            }
            this.eigenvalues[i] = Math.max(0, v);
        }
        Arrays.sort(this.eigenvalues);
        for (int i = 0, j = this.eigenvalues.length - 1; i < j; i++, j--) {
            double t = this.eigenvalues[i];
            this.eigenvalues[i] = this.eigenvalues[j];
            this.eigenvalues[j] = t;
        }
        this.total = total;
        this.tail = new double[this.eigenvalues.length + 1];
        for (int i = this.eigenvalues.length - 1; i >= 0; i--) {
            tail[i] = tail[i + 1] + this.eigenvalues[i];
        }
    }

    /**
     * Returns the eigenvalues, descending.
     *
     * @return a copy of the eigenvalues
     */
    public double[] getEigenvalues() {
        return eigenvalues.clone();
    }

    /**
     * Returns the total sum of squares of the outputs, the denominator of the nmse.
     *
     * @return the total
     */
    public double getTotal() {
        return total;
    }

    /**
     * Returns the output nmse of the closed-form fit of a rank: the dropped eigenvalues over the
     * total.
     *
     * @param rank the rank, at least 0 (ranks beyond the spectrum give 0)
     * @return the nmse
     * @throws IllegalArgumentException if the rank is negative
     */
    public double nmseAt(int rank) {
        if (rank < 0) {
            throw new IllegalArgumentException(
                    "rank " + rank + " is not accepted; it must be >= 0");
        }
        double dropped = tail[Math.min(rank, eigenvalues.length)];
        if (total <= 0) {
            return dropped <= 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return dropped / total;
    }
}
