package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.decompose.RankTooLargeException;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.Rank;

/**
 * The candidate layers of a model under one {@link FactorizePolicy}: which of them are selected
 * (with the reason for each one kept), the profile a rank selector reads, and the fit at a rank
 * with the decision whether the swap pays. {@link Factorizer} and {@link SensitivitySweep} work
 * through it.
 */
final class Candidates {

    private final FactorizePolicy policy;

    Candidates(FactorizePolicy policy) {
        this.policy = policy;
    }

    /**
     * The layers of a model the policy may swap, each at its first place, with {@link #select}
     * applied: a layer kept has its reason.
     *
     * @param nodes the model's blocks
     * @param costs the cost of each layer, by path
     * @return the candidates, in model order
     */
    List<Candidate> collect(List<BlockTree.Node> nodes, Map<String, LayerCost> costs) {
        List<Candidate> candidates = new ArrayList<>();
        for (BlockTree.Node n : nodes) {
            if (isLayer(n.block) && policy.isCandidate(n.block) && n.isFirstPlace()) {
                candidates.add(new Candidate(n, costs.get(n.path)));
            }
        }
        select(candidates);
        return candidates;
    }

    /** The candidates without a reason to be kept. */
    static List<Candidate> selected(List<Candidate> candidates) {
        List<Candidate> selected = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.reason == null) {
                selected.add(c);
            }
        }
        return selected;
    }

    static boolean isLayer(Block block) {
        return block instanceof Convolution || block instanceof Linear;
    }

    /** Decides which candidates are selected, giving a reason to the others. */
    void select(List<Candidate> candidates) {
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            BlockTree.Node n = c.node;
            c.method = policy.methodFor(n.path, n.block);
            if (n.parent == null) {
                c.reason = "the root block cannot be replaced in place";
            } else if (n.refusedBy != null) {
                c.reason =
                        "inside "
                                + n.refusedBy
                                + ", which forwards through fields and cannot be rewritten";
            } else if (c.cost == null) {
                c.reason = "its input shape is unknown";
            } else if (!policy.acceptsPath(n.path)) {
                c.reason = "excluded by the path filter";
            } else if (policy.isSkipFirst() && i == 0) {
                c.reason = "first layer, skipped by the policy";
            } else if (policy.isSkipLast() && i == candidates.size() - 1) {
                c.reason = "last layer, skipped by the policy";
            } else {
                c.reason = sizeReason(c);
                if (c.reason == null) {
                    c.reason = c.method.unsupportedReason(n.block, c.inputShapes());
                }
            }
        }
    }

    private String sizeReason(Candidate c) {
        Shape in = c.cost.getInputShapes()[0];
        Shape out = c.cost.getOutputShapes()[0];
        if (c.node.block instanceof Linear) {
            long din = in.get(in.dimension() - 1);
            long dout = out.get(out.dimension() - 1);
            long min = policy.getMinFeatures();
            return Math.min(din, dout) < min
                    ? din + " -> " + dout + " features, fewer than minFeatures " + min
                    : null;
        }
        long cin = in.get(1);
        long cout = out.get(1);
        long min = policy.getMinChannels();
        return Math.min(cin, cout) < min
                ? cin + " -> " + cout + " channels, fewer than minChannels " + min
                : null;
    }

    /** The profile of a candidate, for a rank selector. */
    LayerProfile profile(Candidate c, LayerRecorder recorder) {
        try {
            return c.method.profile(
                    new LayerRequest(
                            c.node.path,
                            c.node.block,
                            c.inputShapes(),
                            null,
                            policy.getImplementation(),
                            recorder));
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException(
                    "layer '"
                            + c.node.path
                            + "' needs its rank chosen by "
                            + policy.selectorFor(c.node.path)
                            + ", but "
                            + e.getMessage(),
                    e);
        }
    }

    /** Factorizes one candidate at a rank, and decides whether the swap pays. */
    void fit(Candidate c, Rank rank, LayerRecorder recorder, List<Block> made, LatencyMeter meter) {
        LayerRequest request =
                new LayerRequest(
                        c.node.path,
                        c.node.block,
                        c.inputShapes(),
                        rank,
                        policy.getImplementation(),
                        recorder);
        LayerResult result;
        try {
            result = c.method.factorize(request);
        } catch (IllegalArgumentException e) {
            boolean userRank = !rank.isFraction() && policy.rankFor(c.node.path) != null;
            if (e instanceof RankTooLargeException && !userRank) {
                // a rank the user did not give: this layer stays dense, the others go on
                c.reason = e.getMessage();
                return;
            }
            // name the layer, unless the method's message does already
            String named = "'" + c.node.path + "'";
            if (e.getMessage() != null && e.getMessage().contains(named)) {
                throw e;
            }
            throw new IllegalArgumentException("layer " + named + ": " + e.getMessage(), e);
        }
        made.add(result.getBlock());
        if (meter != null) {
            // AUTO is decided by measurement: every implementation is timed, the fastest fixed
            Block b = result.getBlock();
            c.latencyBefore = meter.measure(c.node.block, c.inputShapes());
            c.latencyAfter =
                    Latencies.fastest(
                            meter, b, c.inputShapes(), policy.isOnlyIfCheaper() ? c.before : null);
            if (b instanceof FactorizedConv
                    && policy.getImplementation() == ConvImplementation.AUTO) {
                result =
                        LayerResult.of(
                                b,
                                result.getRanks(),
                                "auto, measured: "
                                        + ((FactorizedConv<?>) b)
                                                .getImplementation()
                                                .name()
                                                .toLowerCase(Locale.ROOT),
                                result.getWeightError(),
                                result.getOutputNmse());
            }
        }
        c.result = result;
        c.after = CostCounter.layer(result.getBlock(), c.inputShapes());
        if (policy.isOnlyIfCheaper() && !c.after.isCheaperThan(c.before)) {
            c.unprofitable = true;
            c.reason =
                    "not cheaper at rank "
                            + Arrays.toString(result.getRanks())
                            + ": parameters "
                            + c.before.getParameters()
                            + " -> "
                            + c.after.getParameters()
                            + ", FLOPs "
                            + c.before.getFlops()
                            + " -> "
                            + c.after.getFlops();
        }
        if (c.reason == null && meter != null) {
            if (c.latencyAfter >= c.latencyBefore) {
                c.unprofitable = true;
                c.reason =
                        String.format(
                                Locale.ROOT,
                                "measured slower than the dense layer: %.4g ms -> %.4g ms",
                                c.latencyBefore,
                                c.latencyAfter);
            }
        }
    }

    /**
     * Adds the measured latencies a latency budget spends: the whole model's before any swap, and
     * the rest's after the swaps already decided (the model less the layers the budget chooses for,
     * plus what the other swapped layers changed).
     */
    static ModelProfile withLatency(
            ModelProfile model,
            Block block,
            Shape[] shapes,
            List<Candidate> selected,
            List<Candidate> global,
            LatencyMeter meter) {
        double before = meter.measure(block, shapes);
        double others = before;
        for (Candidate c : global) {
            others -= meter.measure(c.node.block, c.inputShapes());
        }
        for (Candidate c : selected) {
            if (!global.contains(c) && c.reason == null && c.result != null) {
                others += c.latencyAfter - c.latencyBefore;
            }
        }
        return model.withLatency(before, Math.max(0, others));
    }

    String typeNames() {
        StringBuilder b = new StringBuilder();
        for (Class<? extends Block> t : policy.getLayerTypes()) {
            b.append(b.length() == 0 ? "" : ", ").append(t.getSimpleName());
        }
        return b.toString();
    }
}
