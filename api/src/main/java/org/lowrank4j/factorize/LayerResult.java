package org.lowrank4j.factorize;

import ai.djl.nn.Block;

/** The factorized block a {@link LayerMethod} made for a layer, and how well it fits. */
public final class LayerResult {

    private final Block block;
    private final int[] ranks;
    private final String implementation;
    private final double weightError;
    private final double outputNmse;

    private LayerResult(
            Block block, int[] ranks, String implementation, double weightError, double nmse) {
        this.block = block;
        this.ranks = ranks.clone();
        this.implementation = implementation;
        this.weightError = weightError;
        this.outputNmse = nmse;
    }

    /**
     * Returns a result.
     *
     * @param block the new, initialised block
     * @param ranks the realised ranks
     * @param implementation the forward implementation the block uses, in words
     * @param weightError the relative Frobenius error of the reconstructed weight
     * @param outputNmse the normalised mean squared error of the outputs on the calibration data,
     *     NaN without calibration data
     * @return the result
     */
    public static LayerResult of(
            Block block,
            int[] ranks,
            String implementation,
            double weightError,
            double outputNmse) {
        return new LayerResult(block, ranks, implementation, weightError, outputNmse);
    }

    /**
     * Returns the new block.
     *
     * @return the block
     */
    public Block getBlock() {
        return block;
    }

    /**
     * Returns the realised ranks.
     *
     * @return a copy of the ranks
     */
    public int[] getRanks() {
        return ranks.clone();
    }

    /**
     * Returns the forward implementation.
     *
     * @return the implementation, in words
     */
    public String getImplementation() {
        return implementation;
    }

    /**
     * Returns the relative Frobenius error of the reconstructed weight.
     *
     * @return {@code ||W − W'|| / ||W||}
     */
    public double getWeightError() {
        return weightError;
    }

    /**
     * Returns the normalised mean squared error of the outputs on the calibration data.
     *
     * @return the nmse, NaN without calibration data
     */
    public double getOutputNmse() {
        return outputNmse;
    }
}
