package org.lowrank4j.factorize;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.tensor.Rank;

/**
 * Chooses ranks for the user: for one layer from its {@link LayerProfile} (the singular values of
 * the unfoldings its method truncates, and with calibration data the spectrum of its outputs), or
 * for a whole model at once ({@link #budget(Budget)}).
 *
 * <pre>{@code
 * FactorizePolicy.builder().setRank(RankSelector.energy(0.9));              // per layer
 * FactorizePolicy.builder().setRank(RankSelector.vbmf().multipleOf(8));     // hardware-friendly
 * FactorizePolicy.builder().setRank(RankSelector.budget(Budget.flops(0.4))); // 40% of the FLOPs
 * FactorizePolicy.builder().setRank(RankSelector.budget(Budget.latency(0.5))); // half the time
 * }</pre>
 *
 * <p>A {@link FactorizePolicy} takes a selector wherever it takes a {@link Rank}, for the whole
 * model or for one layer; a fixed rank is {@link #fixed(Rank)}.
 */
public interface RankSelector {

    /**
     * Returns the selector that always asks for the same rank (a fraction is resolved per layer by
     * the method).
     *
     * @param rank the rank
     * @return the selector
     * @throws IllegalArgumentException if the rank is {@code null}
     */
    static RankSelector fixed(Rank rank) {
        return new Selectors.Fixed(rank);
    }

    /**
     * Returns the selector of the smallest rank that keeps a fraction {@code e} of the energy: of
     * the squared singular values of each unfolding, or, for a data-aware method given calibration
     * data, of the eigenvalues of the output covariance (so the output nmse is at most about {@code
     * 1 − e}).
     *
     * @param energy the fraction of energy to keep, in {@code (0, 1]}
     * @return the selector
     * @throws IllegalArgumentException if the fraction is outside {@code (0, 1]}
     */
    static RankSelector energy(double energy) {
        return new Selectors.Energy(energy);
    }

    /**
     * Returns the selector of the rank that empirical variational Bayesian matrix factorization
     * (Nakajima et al.) estimates for each unfolding of the weight: the number of singular values
     * above the analytic EVBMF threshold, with the noise variance estimated from the same singular
     * values by a one-dimensional minimisation. Components below the noise level are dropped.
     *
     * @return the selector
     */
    static RankSelector vbmf() {
        return new Selectors.Vbmf(0);
    }

    /**
     * Returns the VBMF selector weakened towards the full rank: the rank is {@code round(rVB + w ·
     * (max − rVB))} for the VBMF rank {@code rVB} and the largest rank {@code max}; {@code w = 0}
     * is plain VBMF, {@code w = 1} the full rank.
     *
     * @param weakening the weakening factor {@code w}, in {@code [0, 1]}
     * @return the selector
     * @throws IllegalArgumentException if the factor is outside {@code [0, 1]}
     */
    static RankSelector vbmf(double weakening) {
        return new Selectors.Vbmf(weakening);
    }

    /**
     * Returns the global selector that spends a budget of FLOPs or parameters over the layers with
     * the least total error: the sum over the layers of {@link LayerProfile#errorAt(int...)} (the
     * relative squared truncation error, or the output nmse with calibration data). Each layer's
     * error-versus-cost curve is computed once from its spectrum; a greedy search over their lower
     * convex hulls, followed by a fill of the remaining budget, picks one point per layer. A layer
     * whose best choice is to stay dense is kept. The budget counts the whole model, so layers the
     * selector does not choose for (kept layers, fixed-rank layers, normalisation) use part of it.
     *
     * <p>With a latency budget ({@link Budget#latency(double, LatencyMeter)}), the costs are
     * measured by the budget's meter on the engine, device and thread count the model runs on, with
     * each layer's real input shape: the cost of a rank is the measured latency of the factorized
     * block with the fastest implementation it can run among those cheaper than the dense layer
     * (for a convolution in {@link org.lowrank4j.nn.ConvImplementation#AUTO}, every implementation
     * is timed and the fastest is then fixed on the block), the cost of staying dense is the
     * measured latency of the dense layer, and a rank that measures no faster than the dense layer
     * is never chosen. The target counts the whole model's measured latency; what the layers the
     * selector chooses for do not take is the rest of the model's. The meter's cache keeps every
     * configuration's measurement, so each candidate is timed once; {@link #multipleOf(int)} times
     * fewer candidates.
     *
     * @param budget the target
     * @return the selector
     * @throws IllegalArgumentException if the budget is {@code null}
     */
    static RankSelector budget(Budget budget) {
        return new Selectors.BudgetSelector(budget);
    }

    /**
     * Returns the global selector that spends a budget as {@link #budget(Budget)} does, but with
     * each layer's error curve measured on data instead of computed from its spectrum: the
     * candidates of a layer the sweep measured are the ranks it measured, and the error of each is
     * the metric drop with only that layer factorized at it (a negative drop counts as 0). A layer
     * the sweep did not measure keeps its spectral curve, whose scale differs from the drops';
     * sweep the same layers the policy swaps. With {@link #multipleOf(int)}, the measured ranks are
     * rounded to the multiple after the allocation.
     *
     * @param budget the target
     * @param sensitivity the drops measured by a {@link SensitivitySweep}
     * @return the selector
     * @throws IllegalArgumentException if the budget or the sensitivity report is {@code null}
     */
    static RankSelector budget(Budget budget, SensitivityReport sensitivity) {
        if (sensitivity == null) {
            throw new IllegalArgumentException(
                    "sensitivity report null is not accepted; the result of"
                            + " SensitivitySweep.sweep(block) is");
        }
        return new Selectors.BudgetSelector(budget, sensitivity);
    }

    /**
     * Chooses the rank of one layer.
     *
     * @param layer the layer's profile
     * @return the rank: explicit values (one per mode) or a fixed request
     * @throws IllegalStateException if this is a global selector
     */
    Rank select(LayerProfile layer);

    /**
     * Returns whether this selector needs the whole model ({@link #selectAll}) rather than one
     * layer at a time.
     *
     * @return whether it is global
     */
    default boolean isGlobal() {
        return false;
    }

    /**
     * Chooses the ranks of several layers together.
     *
     * @param model the layers' profiles and the rest of the model's cost
     * @return a rank per layer path; a layer without an entry is kept dense
     */
    default Map<String, Rank> selectAll(ModelProfile model) {
        Map<String, Rank> out = new LinkedHashMap<>();
        for (LayerProfile layer : model.getLayers()) {
            out.put(layer.getPath(), select(layer));
        }
        return out;
    }

    /**
     * Chooses the ranks of several layers together, as {@link #selectAll(ModelProfile)} does, and
     * may add sentences for the report's notes (a budget that cannot be met, for example). The
     * factorizer calls this one; the default adds no note.
     *
     * @param model the layers' profiles and the rest of the model's cost
     * @param notes where sentences for {@link FactorizeReport#getNotes()} go
     * @return a rank per layer path; a layer without an entry is kept dense
     */
    default Map<String, Rank> selectAll(ModelProfile model, List<String> notes) {
        return selectAll(model);
    }

    /**
     * Returns the meter a global selector spends a latency budget with. When it is not null, the
     * factorizer measures with it: the model's latency before the swaps and that of the layers the
     * selector does not choose for ({@link ModelProfile#withLatency}), AUTO by measurement, and the
     * whole model after the swaps (undoing those that make it slower).
     *
     * @return the meter, or null (the default) for a selector that spends no latency budget
     */
    default LatencyMeter latencyMeter() {
        return null;
    }

    /**
     * Returns this selector with every rank rounded to the nearest multiple of {@code multiple}
     * (halves up; at least {@code multiple}, at most the largest multiple that fits the layer; a
     * layer too small for one multiple gets its largest rank). A global selector chooses among
     * multiples only.
     *
     * @param multiple the multiple, at least 1
     * @return the rounding selector
     * @throws IllegalArgumentException if the multiple is below 1
     */
    default RankSelector multipleOf(int multiple) {
        return new Selectors.MultipleOf(this, multiple);
    }
}
