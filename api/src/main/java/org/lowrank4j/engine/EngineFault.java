package org.lowrank4j.engine;

import java.util.Locale;

/**
 * One computation of the {@link EngineCheck} whose engine result is wrong.
 *
 * @param computation what was computed, e.g. {@code conv1d in (2, 30, 12) weight (11, 30, 3)}
 * @param relativeError the Frobenius norm of the difference to the double-precision reference over
 *     the reference's norm ({@code NaN} when the engine returned a NaN or an infinity)
 */
public record EngineFault(String computation, double relativeError) {

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: relative error %.3g", computation, relativeError);
    }
}
