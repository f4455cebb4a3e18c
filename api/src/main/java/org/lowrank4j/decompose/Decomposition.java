package org.lowrank4j.decompose;

import java.util.Collections;
import java.util.List;
import org.lowrank4j.tensor.FactorizedTensor;

/**
 * The result of a decomposition: the factorized tensor and how well it fits.
 *
 * @param <T> the format of the factorized tensor
 */
public final class Decomposition<T extends FactorizedTensor> {

    private final T tensor;
    private final List<Double> errors;
    private final double relativeError;
    private final boolean converged;

    /**
     * Bundles a result.
     *
     * @param tensor the factorized tensor
     * @param errors the relative error after each iteration (one entry for one-pass methods)
     * @param relativeError the final relative error {@code ‖X − X̂‖ / ‖X‖}, measured on the
     *     reconstruction
     * @param converged whether the tolerance was met before the iteration limit
     */
    public Decomposition(T tensor, List<Double> errors, double relativeError, boolean converged) {
        this.tensor = tensor;
        this.errors = Collections.unmodifiableList(errors);
        this.relativeError = relativeError;
        this.converged = converged;
    }

    /**
     * Returns the factorized tensor.
     *
     * @return the tensor, in the input's manager and data type
     */
    public T getTensor() {
        return tensor;
    }

    /**
     * Returns the realised rank (what the tensor has, after clipping).
     *
     * @return the rank, as {@link FactorizedTensor#getRank()}
     */
    public int[] getRank() {
        return tensor.getRank();
    }

    /**
     * Returns the relative error after each iteration.
     *
     * @return the error history (unmodifiable)
     */
    public List<Double> getErrors() {
        return errors;
    }

    /**
     * Returns the number of iterations run.
     *
     * @return the number of iterations (1 for one-pass methods)
     */
    public int getIterations() {
        return errors.size();
    }

    /**
     * Returns the final relative error {@code ‖X − X̂‖ / ‖X‖}, measured on the reconstruction in
     * double precision.
     *
     * @return the relative error
     */
    public double getRelativeError() {
        return relativeError;
    }

    /**
     * Returns whether the tolerance was met before the iteration limit.
     *
     * @return whether the method converged (always true for one-pass methods)
     */
    public boolean isConverged() {
        return converged;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return tensor
                + ": relative error "
                + relativeError
                + " after "
                + getIterations()
                + " iterations";
    }
}
