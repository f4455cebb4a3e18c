package org.lowrank4j.factorize;

/**
 * Rank estimation by empirical variational Bayesian matrix factorization, from the analytic global
 * solution of Nakajima, Sugiyama, Babacan and Tomioka (JMLR 2013) and the noise-variance objective
 * of Nakajima, Tomioka, Sugiyama and Babacan (JMLR 2015).
 *
 * <p>For an {@code L × M} matrix ({@code L <= M}, {@code α = L / M}) with singular values {@code
 * γ_h} and noise variance {@code σ²}, write {@code x_h = γ_h² / (M σ²)}. A component survives when
 * {@code x_h} exceeds {@code x̲ = (1 + τ̲)(1 + α / τ̲)}, where {@code τ̲} is the positive root of
 * {@code log(1 + τ) + α log(1 + τ / α) − τ = 0}. The noise variance minimises {@code Ω(σ²) = Σ_h
 * ψ0(x_h) + Σ_{x_h > x̲} ψ1(x_h)} with {@code ψ0(x) = x − log x} and {@code ψ1(x) = log(1 + τ) + α
 * log(1 + τ / α) − τ} at {@code τ(x) = ((x − 1 − α) + sqrt((x − 1 − α)² − 4α)) / 2}; the estimated
 * rank is the number of surviving components at that variance.
 */
final class Evbmf {

    private static final int GRID = 240;
    private static final double RANGE = 1e-8;

    private Evbmf() {}

    /**
     * Returns the EVBMF rank of a matrix.
     *
     * @param singularValues the singular values, descending
     * @param rows the rows of the matrix
     * @param cols the columns of the matrix
     * @return the number of components above the threshold, 0 for pure noise
     */
    static int rank(double[] singularValues, long rows, long cols) {
        double l = Math.min(rows, cols);
        double m = Math.max(rows, cols);
        double alpha = l / m;
        double energy = 0;
        for (double g : singularValues) {
            energy += g * g;
        }
        if (energy <= 0) {
            return 0;
        }
        double tau = tauLower(alpha);
        double xLow = (1 + tau) * (1 + alpha / tau);
        double sigma2 = noiseVariance(singularValues, l, m, alpha, xLow, energy);
        double threshold = Math.sqrt(m * xLow * sigma2);
        int count = 0;
        for (double g : singularValues) {
            if (g > threshold) {
                count++;
            }
        }
        return count;
    }

    /** The noise variance: a log-spaced grid search, then golden-section refinement. */
    static double noiseVariance(
            double[] gammas, double l, double m, double alpha, double xLow, double energy) {
        double upper = energy / (l * m);
        double lo = Math.log(upper * RANGE);
        double hi = Math.log(upper);
        int best = 0;
        double bestValue = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= GRID; i++) {
            double v = objective(gammas, l, m, alpha, xLow, Math.exp(lo + (hi - lo) * i / GRID));
            if (v < bestValue) {
                bestValue = v;
                best = i;
            }
        }
        double a = lo + (hi - lo) * Math.max(0, best - 1) / GRID;
        double b = lo + (hi - lo) * Math.min(GRID, best + 1) / GRID;
        double ratio = (Math.sqrt(5) - 1) / 2;
        double c = b - ratio * (b - a);
        double d = a + ratio * (b - a);
        double fc = objective(gammas, l, m, alpha, xLow, Math.exp(c));
        double fd = objective(gammas, l, m, alpha, xLow, Math.exp(d));
        for (int it = 0; it < 60; it++) {
            if (fc <= fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - ratio * (b - a);
                fc = objective(gammas, l, m, alpha, xLow, Math.exp(c));
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + ratio * (b - a);
                fd = objective(gammas, l, m, alpha, xLow, Math.exp(d));
            }
        }
        double refined = Math.exp((a + b) / 2);
        double gridBest = Math.exp(lo + (hi - lo) * best / GRID);
        return objective(gammas, l, m, alpha, xLow, refined) <= bestValue ? refined : gridBest;
    }

    /**
     * The EVBMF objective up to constants, over all {@code L} components ({@code ψ0} written as
     * {@code γ² / (M σ²) + log σ²} so that zero singular values only add a constant).
     */
    static double objective(
            double[] gammas, double l, double m, double alpha, double xLow, double sigma2) {
        double total = l * Math.log(sigma2);
        for (double g : gammas) {
            double x = g * g / (m * sigma2);
            total += x;
            if (x > xLow) {
                double t = tau(x, alpha);
                total += Math.log1p(t) + alpha * Math.log1p(t / alpha) - t;
            }
        }
        return total;
    }

    /** The larger root {@code τ} of {@code x = (1 + τ)(1 + α / τ)}. */
    static double tau(double x, double alpha) {
        double z = x - 1 - alpha;
        return 0.5 * (z + Math.sqrt(Math.max(0, z * z - 4 * alpha)));
    }

    /** The root {@code τ̲ > sqrt(α)} of {@code log(1 + τ) + α log(1 + τ / α) − τ}. */
    static double tauLower(double alpha) {
        double lo = Math.sqrt(alpha);
        double hi = Math.max(1, 2 * lo);
        while (psi1(hi, alpha) > 0) {
            hi *= 2;
        }
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (psi1(mid, alpha) > 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    private static double psi1(double tau, double alpha) {
        return Math.log1p(tau) + alpha * Math.log1p(tau / alpha) - tau;
    }
}
