package org.lowrank4j.examples.demo;

/**
 * One line of the demo's results: a model (the original, or one compressed with a method at a
 * rank), its size and cost, its accuracy before and after fine-tuning and its measured latency.
 *
 * @param method the method, {@code "original"} for the uncompressed model
 * @param rank the requested rank (for example {@code "0.3"}), empty for the original
 * @param realisedRanks the ranks the layers received (for example {@code "5-19"}), empty for the
 *     original
 * @param parameters the parameters of the whole model
 * @param convParameters the parameters of its convolutions
 * @param flops the multiply–accumulates of one forward pass of one image
 * @param accuracyBefore the test accuracy (0..1) right after compression, or of the original
 * @param accuracyAfter the test accuracy (0..1) after fine-tuning, NaN for the original
 * @param latencyMillis the median time of a forward pass of one batch, in milliseconds
 * @param speedup the original's median latency divided by this one's, measured in the same rounds
 * @param seconds the wall time of compressing and fine-tuning, NaN for the original
 */
public record ResultRow(
        String method,
        String rank,
        String realisedRanks,
        long parameters,
        long convParameters,
        long flops,
        double accuracyBefore,
        double accuracyAfter,
        double latencyMillis,
        double speedup,
        double seconds) {

    /**
     * Returns the accuracy to judge the model by: after fine-tuning, or the original's.
     *
     * @return the accuracy (0..1)
     */
    public double finalAccuracy() {
        return Double.isNaN(accuracyAfter) ? accuracyBefore : accuracyAfter;
    }

    /**
     * Returns how many times fewer convolution parameters this model has than another.
     *
     * @param original the row of the original model
     * @return the ratio of the original's convolution parameters to this one's
     */
    public double convReduction(ResultRow original) {
        return (double) original.convParameters() / convParameters;
    }
}
