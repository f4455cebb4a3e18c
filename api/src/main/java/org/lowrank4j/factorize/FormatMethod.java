package org.lowrank4j.factorize;

import java.util.Locale;
import org.lowrank4j.nn.Factorization;

/**
 * What the methods that factorize a layer's weight in a tensor format (CP, Tucker, TT) share: the
 * format, the plan name derived from it, and the fact that they use no calibration data.
 */
abstract class FormatMethod implements LayerMethod {

    private final Factorization format;
    private final String name;

    /**
     * Creates the method for one format.
     *
     * @param format CP, TUCKER or TT
     * @param prefix the plan name's prefix, the format's name in lower case follows
     * @param what how the method is called in error messages
     */
    FormatMethod(Factorization format, String prefix, String what) {
        if (format == null || format == Factorization.DENSE) {
            throw new IllegalArgumentException(
                    "factorization "
                            + format
                            + " is not accepted by the "
                            + what
                            + " method; CP, TUCKER or TT are");
        }
        this.format = format;
        this.name = prefix + format.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the format.
     *
     * @return CP, TUCKER or TT
     */
    Factorization format() {
        return format;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isDataAware() {
        return false;
    }
}
