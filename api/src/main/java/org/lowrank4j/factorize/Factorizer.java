package org.lowrank4j.factorize;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.Dataset;
import ai.djl.util.Pair;
import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LatencyMeter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.engine.EngineHealth;
import org.lowrank4j.internal.Engines;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedConv;
import org.lowrank4j.tensor.Rank;

/**
 * Compresses a whole DJL model in one call: walks its block tree and swaps convolution and linear
 * layers for factorized blocks as a {@link FactorizePolicy} says.
 *
 * <pre>{@code
 * FactorizeReport report = Factorizer.builder()
 *         .setPolicy(FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
 *         .optCalibration(batches)                 // optional: fit to the data
 *         .build()
 *         .factorize(model.getBlock());
 * System.out.println(report);
 * }</pre>
 *
 * <p>The walker enters {@link ai.djl.nn.SequentialBlock}s and {@link ai.djl.nn.ParallelBlock}s at
 * any depth (residual units, concatenations) and every container type given to {@link
 * Builder#optContainer(Class)}; it leaves every other block untouched with its trained parameters.
 * It also enters DJL's {@link ai.djl.nn.transformer.TransformerEncoderBlock}, {@link
 * ai.djl.nn.transformer.ScaledDotProductAttentionBlock} and {@link
 * ai.djl.nn.transformer.BertBlock}, which compute through fields: their layers are swapped by
 * pointing the field and the child list at the new block together (a field declared {@code Linear}
 * holds it in a thin {@code Linear} that forwards to it, and {@link #toStandardBlocks} puts one
 * plain {@code Linear} of the same function there). Any other container that computes through
 * fields rather than its children list cannot be rewritten safely: it is reported in {@link
 * FactorizeReport#getRefusedBlocks()} and the layers inside it are kept. A layer used at several
 * places (tied weights) is swapped for one block at all of them, and the plan names it once, at its
 * first path.
 *
 * <p>Every swapped layer starts from its trained weight: the decomposition of the weight, or with
 * calibration data a fit of the layer's outputs on that data. Calibration runs the batches through
 * the model once, recording bounded statistics of the inputs of every layer to swap (each is
 * wrapped in a recording block for the time being; DJL has no forward hooks).
 *
 * <p>Nothing is half done: every new block is built before the first one is put in place, and on
 * any error the model is left as it was. After a swap, a {@link ai.djl.training.Trainer} made
 * before must be made anew. The replaced layers' arrays stay in their manager.
 *
 * <p>The errors, costs and latencies behind every choice come from the engine, so the factorizer
 * first runs {@link org.lowrank4j.engine.EngineCheck#verify} on the model's engine: a faulty engine
 * is named in a logged warning and in {@link FactorizeReport#getNotes()}, with its remedy.
 */
public final class Factorizer {

    private final FactorizePolicy policy;
    private final Shape[] inputShapes;
    private final Calibration calibration;
    private final Set<Class<?>> containers;
    private final LatencyMeter latency;
    private final Progress progress;

    private Factorizer(Builder b) {
        policy = b.policy;
        inputShapes = b.inputShapes;
        calibration = b.calibration;
        containers = new LinkedHashSet<>(b.containers);
        latency = b.latency;
        progress = b.progress;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Factorizes a model in place.
     *
     * @param block the model's block, initialised with trained parameters
     * @return the report, with the plan that rebuilds the result
     * @throws IllegalArgumentException if the policy selects no layer or names a path the model
     *     does not have, or the calibration data does not fit the model; the model is unchanged
     * @throws IllegalStateException if the block is not initialised or its input shapes are not
     *     known
     */
    public FactorizeReport factorize(Block block) {
        Objects.requireNonNull(block, "block must not be null");
        if (!block.isInitialized()) {
            throw new IllegalStateException(
                    "the block is not initialised; a trained (initialised) block is accepted");
        }
        long started = System.nanoTime();
        // the plan, the export and refactorization find the blocks of every method used here
        for (LayerMethod m : policy.methods()) {
            LayerMethods.register(m);
        }
        Shape[] shapes = modelInputShapes(block);
        // errors, costs and latencies below come from this engine: check it computes correctly
        EngineHealth health = EngineCheck.verify(Engine.getEngine(Engines.nameOf(block)));
        List<BlockTree.Node> nodes = BlockTree.nodes(block, containers);
        Set<String> paths = new LinkedHashSet<>();
        for (BlockTree.Node n : nodes) {
            paths.add(n.path);
        }
        for (String p : policy.getOverriddenPaths()) {
            if (!paths.contains(p)) {
                throw new IllegalArgumentException(
                        "the policy names layer path '"
                                + p
                                + "', which the model does not have; its layer paths are "
                                + layerPaths(nodes));
            }
        }
        Map<String, LayerCost> costs = new HashMap<>();
        BlockCost totalBefore = BlockCost.ZERO;
        for (LayerCost c : CostCounter.layers(block, shapes)) {
            costs.put(c.getPath(), c);
            totalBefore = totalBefore.plus(c.getCost());
        }
        List<String> refused = new ArrayList<>();
        for (BlockTree.Node n : nodes) {
            String r = n.refusedBy;
            boolean layer = n.block.getChildren().isEmpty() && Candidates.isLayer(n.block);
            if (r != null && layer && !refused.contains(r)) {
                refused.add(r);
            }
        }
        Candidates layers = new Candidates(policy);
        List<Candidate> candidates = layers.collect(nodes, costs);
        List<Candidate> selected = Candidates.selected(candidates);
        if (selected.isEmpty()) {
            StringBuilder why = new StringBuilder();
            for (Candidate c : candidates) {
                why.append(why.length() == 0 ? "" : "; ").append(c.node.path).append(": ");
                why.append(c.reason);
            }
            throw new IllegalArgumentException(
                    "the policy selects no layer of the model"
                            + (candidates.isEmpty()
                                    ? "; the model has no layer of the types " + layers.typeNames()
                                    : "; the candidates were kept because " + why));
        }
        // the meter that decides AUTO by measurement and keeps swaps that measure slower: the
        // factorizer's own, else that of a latency budget
        LatencyMeter budgetMeter = null;
        for (Candidate c : selected) {
            RankSelector s = policy.selectorFor(c.node.path);
            if (s.isGlobal()) {
                budgetMeter = s.latencyMeter();
                break;
            }
        }
        LatencyMeter meter = latency != null ? latency : budgetMeter;
        // fit every selected layer (calibration first), then swap them all at once
        NDManager recorded = NDManager.newBaseManager();
        Map<Candidate, LayerRecorder> recorders = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        if (!health.isSound()) {
            notes.add(
                    "the engine check found the engine faulty, so the errors and latencies behind"
                            + " these choices may be wrong: "
                            + health);
            FactorizeLog.faultyEngine(health);
        }
        Steps steps = Steps.to(progress);
        List<Block> made = new ArrayList<>();
        try {
            if (calibration != null) {
                for (Candidate c : selected) {
                    if (c.method.isDataAware()) {
                        recorders.put(
                                c, c.method.newRecorder(c.node.block, c.inputShapes(), recorded));
                    }
                }
                if (!recorders.isEmpty()) {
                    calibrate(block, shapes, recorders, steps);
                }
            }
            List<Candidate> global = new ArrayList<>();
            int globalCount = 0;
            for (Candidate c : selected) {
                globalCount += policy.selectorFor(c.node.path).isGlobal() ? 1 : 0;
            }
            // a layer whose rank a global selector chooses is profiled first, fitted after
            steps.begin("Factorizing", selected.size() + globalCount);
            long othersParams = totalBefore.getParameters();
            long othersFlops = totalBefore.getFlops();
            for (Candidate c : selected) {
                RankSelector selector = policy.selectorFor(c.node.path);
                if (selector.isGlobal()) {
                    global.add(c);
                    othersParams -= c.before.getParameters();
                    othersFlops -= c.before.getFlops();
                    continue;
                }
                Rank rank = policy.rankFor(c.node.path);
                if (rank == null) {
                    rank = selector.select(layers.profile(c, recorders.get(c)));
                }
                layers.fit(c, rank, recorders.get(c), made, meter);
                steps.step(c.node.path);
                if (c.reason == null) {
                    othersParams += c.after.getParameters() - c.before.getParameters();
                    othersFlops += c.after.getFlops() - c.before.getFlops();
                }
            }
            if (!global.isEmpty()) {
                // per-layer overrides are never global, so every such layer has the policy's one
                RankSelector selector = policy.selectorFor(global.get(0).node.path);
                List<LayerProfile> profiles = new ArrayList<>();
                for (Candidate c : global) {
                    profiles.add(layers.profile(c, recorders.get(c)));
                    steps.step(c.node.path);
                }
                ModelProfile model =
                        ModelProfile.of(
                                profiles, totalBefore, BlockCost.of(othersParams, othersFlops));
                if (budgetMeter != null) {
                    model =
                            Candidates.withLatency(
                                    model, block, shapes, selected, global, budgetMeter);
                }
                Map<String, Rank> chosen = selector.selectAll(model, notes);
                for (Candidate c : global) {
                    Rank rank = chosen.get(c.node.path);
                    if (rank == null) {
                        c.reason = "kept dense by " + selector;
                        if (meter != null) {
                            c.latencyBefore = meter.measure(c.node.block, c.inputShapes());
                        }
                    } else {
                        layers.fit(c, rank, recorders.get(c), made, meter);
                    }
                    steps.step(c.node.path);
                }
            }
            steps.end();
        } catch (RuntimeException e) {
            for (Block b : made) {
                dispose(b);
            }
            throw e;
        } finally {
            for (LayerRecorder r : recorders.values()) {
                r.close();
            }
            recorded.close();
        }
        List<BlockTree.Node> targets = new ArrayList<>();
        List<Block> replacements = new ArrayList<>();
        List<Candidate> swapped = new ArrayList<>();
        for (Candidate c : selected) {
            if (c.reason == null) {
                targets.add(c.node);
                replacements.add(c.result.getBlock());
                swapped.add(c);
            } else if (c.result != null) {
                dispose(c.result.getBlock());
            }
        }
        // measured layer by layer, the swaps are also measured together
        double dense =
                meter == null || swapped.isEmpty() ? Double.NaN : meter.measure(block, shapes);
        BlockTree.swap(targets, replacements);
        if (meter != null) {
            WholeModelCheck.keepIfFaster(block, shapes, meter, dense, swapped, notes);
        }
        BlockCost totalAfter = CostCounter.count(block, shapes);
        List<FactorizeReport.Layer> lines = new ArrayList<>();
        List<FactorizePlan.Entry> entries = new ArrayList<>();
        for (Candidate c : candidates) {
            lines.add(c.reportLayer());
            if (c.reason == null) {
                entries.add(c.planEntry());
            }
        }
        FactorizeReport report =
                new FactorizeReport(
                        lines, totalBefore, totalAfter, refused, notes, FactorizePlan.of(entries));
        Set<String> unprofitable = new HashSet<>();
        for (Candidate c : candidates) {
            if (c.unprofitable) {
                unprofitable.add(c.node.path);
            }
        }
        FactorizeLog.factorized(report, unprofitable, System.nanoTime() - started);
        return report;
    }

    /**
     * Factorizes a model again, from the current weights of its factorized layers: each layer this
     * library factorized stands, for the time being, as the dense layer its factors multiply out to
     * ({@link LayerMethod#toDense}), with its bias; then the policy selects and factorizes the
     * model's layers as {@link #factorize} does, these ones with the others. Ranks given as a
     * fraction are therefore fractions of the original dense layer, as in the first factorization,
     * so {@code 0.7}, then {@code 0.5}, then {@code 0.3} compresses step by step (see {@link
     * ProgressiveCompression}). A factorized layer the policy keeps gets its factorized block back.
     *
     * <p>The report's layers compare with the dense stand-ins; its plan is the whole model's
     * ({@link #plan(Block)}), layers kept included. On any error the model is left as it was.
     *
     * @param block the model's block, initialised, holding layers made by {@link #factorize}
     * @return the report
     * @throws IllegalArgumentException if the model holds no factorized layer, or as {@link
     *     #factorize} does
     * @throws IllegalStateException if the block is not initialised or its input shapes are not
     *     known
     */
    public FactorizeReport refactorize(Block block) {
        Objects.requireNonNull(block, "block must not be null");
        if (!block.isInitialized()) {
            throw new IllegalStateException(
                    "the block is not initialised; a trained (initialised) block is accepted");
        }
        if (LayerMethods.producerOf(block) != null) {
            throw new IllegalArgumentException(
                    "the block is itself a factorized layer ("
                            + BlockTree.typeName(block)
                            + "), which cannot be swapped in place; a model holding factorized"
                            + " layers is accepted");
        }
        DenseStandIns stand = DenseStandIns.putIn(block, containers);
        FactorizeReport report;
        try {
            report = factorize(block);
        } catch (RuntimeException e) {
            stand.undo();
            throw e;
        }
        int kept = stand.takeOut(report);
        FactorizeLog.refactorized(stand.size() - kept, kept);
        return report.withPlan(plan(block));
    }

    /**
     * Returns the layers of a model that {@link #factorize} would consider for a swap: the
     * candidates the policy selects, each with its method and input shapes (for a sensitivity
     * sweep). The model is not changed.
     */
    List<Candidate> selectedLayers(Block block) {
        if (!block.isInitialized()) {
            throw new IllegalStateException(
                    "the block is not initialised; a trained (initialised) block is accepted");
        }
        Shape[] shapes = modelInputShapes(block);
        Map<String, LayerCost> costs = new HashMap<>();
        for (LayerCost c : CostCounter.layers(block, shapes)) {
            costs.put(c.getPath(), c);
        }
        Candidates layers = new Candidates(policy);
        List<Candidate> selected =
                Candidates.selected(layers.collect(BlockTree.nodes(block, containers), costs));
        if (selected.isEmpty()) {
            throw new IllegalArgumentException(
                    "the policy selects no layer of the model; layers of the types "
                            + layers.typeNames()
                            + " that pass its filters are accepted");
        }
        return selected;
    }

    /** Returns the input shapes of a model, as the factorizer counts costs with them. */
    Shape[] inputShapes(Block block) {
        return modelInputShapes(block);
    }

    /**
     * Rebuilds a plan's structure in a freshly built model, so that the parameters saved from the
     * factorized model load into it ({@code Model.load} or {@code Block.loadParameters}). The new
     * blocks are not initialised; loading gives them their parameters.
     *
     * @param block the model's block, built the same way as the one that was factorized
     * @param plan the plan from {@link FactorizeReport#getPlan()} or {@link #plan(Block)}
     * @throws IllegalArgumentException if the plan does not fit the block (a path it lacks, another
     *     layer type or configuration there, an unknown method); the block is then unchanged
     */
    public static void restore(Block block, FactorizePlan plan) {
        restoreUndoably(block, plan);
    }

    /**
     * Restores a plan like {@link #restore} and returns what puts the replaced layers back, for a
     * load that fails after the restore.
     */
    static Runnable restoreUndoably(Block block, FactorizePlan plan) {
        Objects.requireNonNull(block, "block must not be null");
        Objects.requireNonNull(plan, "plan must not be null");
        List<BlockTree.Node> nodes = BlockTree.nodes(block, Set.of());
        List<BlockTree.Node> targets = new ArrayList<>();
        List<Block> replacements = new ArrayList<>();
        for (FactorizePlan.Entry e : plan.getEntries()) {
            BlockTree.Node n = BlockTree.find(nodes, e.getPath());
            if (n == null) {
                throw new IllegalArgumentException(
                        "the plan does not fit the block: it names layer path '"
                                + e.getPath()
                                + "', which the block does not have; its layer paths are "
                                + layerPaths(nodes));
            }
            if (n.parent == null) {
                throw new IllegalArgumentException(
                        "the plan does not fit the block: it replaces the root block, which cannot"
                                + " be replaced in place");
            }
            if (n.refusedBy != null) {
                throw new IllegalArgumentException(
                        "the plan does not fit the block: layer '"
                                + e.getPath()
                                + "' lies inside "
                                + n.refusedBy
                                + ", which forwards through fields and cannot be rewritten");
            }
            if (!n.isFirstPlace() || targets.contains(n)) {
                throw new IllegalArgumentException(
                        "the plan does not fit the block: layer '"
                                + e.getPath()
                                + "' is the block at '"
                                + n.places.get(0).path
                                + "', named twice; a plan names each block once, at its first"
                                + " place");
            }
            LayerMethod method = LayerMethods.forName(e.getMethod());
            try {
                replacements.add(method.rebuild(n.block, e.getSettings()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(
                        "the plan does not fit the block at '"
                                + e.getPath()
                                + "': "
                                + ex.getMessage(),
                        ex);
            }
            targets.add(n);
        }
        BlockTree.swap(targets, replacements);
        FactorizeLog.restored(plan);
        return () -> BlockTree.putBack(targets);
    }

    /**
     * Returns the plan of a factorized model: every block made by one of {@link
     * LayerMethods#all()}, with its path and settings.
     *
     * @param block the model's block
     * @return the plan
     */
    public static FactorizePlan plan(Block block) {
        Objects.requireNonNull(block, "block must not be null");
        List<FactorizePlan.Entry> entries = new ArrayList<>();
        for (BlockTree.Node n : BlockTree.nodes(block, Set.of())) {
            LayerMethod m = LayerMethods.producerOf(n.block);
            if (m != null && n.isFirstPlace()) {
                entries.add(new FactorizePlan.Entry(n.path, m.getName(), m.describe(n.block)));
            }
        }
        return FactorizePlan.of(entries);
    }

    /**
     * Replaces, in place, every factorized block of a model by ordinary DJL layers that give the
     * same outputs (a {@link ai.djl.nn.SequentialBlock} of convolutions or linear layers for a
     * two-factor block or a factorized convolution, following its factorized forward pass; one
     * {@link Linear} with the reconstructed weight for a tensorized linear block), so the model can
     * be deployed without this library.
     *
     * @param block the model's block, initialised
     * @return the block, or the standard replacement if the block itself is a factorized block
     */
    public static Block toStandardBlocks(Block block) {
        Objects.requireNonNull(block, "block must not be null");
        LayerMethod rootMethod = LayerMethods.producerOf(block);
        if (rootMethod != null) {
            return rootMethod.toStandard(block);
        }
        List<BlockTree.Node> targets = new ArrayList<>();
        List<Block> replacements = new ArrayList<>();
        try {
            for (BlockTree.Node n : BlockTree.nodes(block, Set.of())) {
                LayerMethod m = LayerMethods.producerOf(n.block);
                if (m != null && n.parent != null && n.isFirstPlace()) {
                    Block standard = m.toStandard(n.block);
                    if (BlockTree.inLinearSlot(n) && !(standard instanceof Linear)) {
                        // a field declared Linear takes only a Linear: one of the same function
                        Block affine = standard;
                        standard = LinearSlot.toOneLinear(affine, n.block.getInputShapes()[0]);
                        dispose(affine);
                    }
                    replacements.add(standard);
                    targets.add(n);
                }
            }
        } catch (RuntimeException e) {
            for (Block b : replacements) {
                dispose(b);
            }
            throw e;
        }
        BlockTree.swap(targets, replacements);
        FactorizeLog.exported(targets.size());
        return block;
    }

    // ------------------------------------------------------------------------------------------

    private Shape[] modelInputShapes(Block block) {
        if (inputShapes != null) {
            return inputShapes.clone();
        }
        Shape[] shapes = null;
        try {
            shapes = block.getInputShapes();
        } catch (RuntimeException e) {
            // unknown: reported below
        }
        if (shapes == null || shapes.length == 0) {
            throw new IllegalStateException(
                    "the block's input shapes are not known; set them with"
                            + " Factorizer.Builder.optInputShapes");
        }
        return shapes;
    }

    /** Runs the calibration data through the model with the recorders in place. */
    private void calibrate(
            Block block, Shape[] shapes, Map<Candidate, LayerRecorder> recorders, Steps steps) {
        List<BlockTree.Node> targets = new ArrayList<>();
        for (Candidate c : recorders.keySet()) {
            targets.add(c.node);
        }
        long started = System.nanoTime();
        steps.begin("Calibrating", calibration.expectedBatches());
        long batches =
                calibration.run(block, shapes, targets, new ArrayList<>(recorders.values()), steps);
        steps.end();
        FactorizeLog.calibrated(targets.size(), batches, System.nanoTime() - started);
    }

    static void dispose(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().isInitialized()) {
                p.getValue().close();
            }
        }
    }

    private static String layerPaths(List<BlockTree.Node> nodes) {
        StringBuilder b = new StringBuilder();
        for (BlockTree.Node n : nodes) {
            if (n.block.getChildren().isEmpty()) {
                b.append(b.length() == 0 ? "" : ", ").append(n.path);
            }
        }
        return b.toString();
    }

    /** Builds a {@link Factorizer}. */
    public static final class Builder {

        private FactorizePolicy policy;
        private Shape[] inputShapes;
        private Calibration calibration;
        private final Set<Class<?>> containers = new LinkedHashSet<>();
        private LatencyMeter latency;
        private Progress progress;

        private Builder() {}

        /**
         * Sets where the factorizer reports its progress (default: nowhere): calibration one step
         * per batch ("Calibrating"), then one step per selected layer ("Factorizing"; two for a
         * layer whose rank a global selector such as a budget chooses: its profile, then its fit),
         * each step named by the layer's path. DJL's {@link ai.djl.training.util.ProgressBar} draws
         * them on the console.
         *
         * @param progress the progress
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = Steps.checked(progress);
            return this;
        }

        /**
         * Sets a latency meter: every layer that would be swapped is timed, dense and factorized,
         * on the engine and device of its parameters with its real input shape, and kept when the
         * factorized block measures no faster. A {@link FactorizedConv} in {@link
         * ConvImplementation#AUTO} is decided by measurement: every implementation is timed and the
         * fastest (among those cheaper than the dense layer when the policy swaps only cheaper
         * layers) is fixed on the block. The report shows both latencies. Measurements are cached
         * by the meter per layer configuration, engine, device and threads. Without this meter, a
         * latency budget's meter does the same.
         *
         * <p>The whole model is measured too, dense and with the swaps: where it is slower with
         * them (a model is more than its layers), swaps are undone, those of the smallest measured
         * gain first, until it measures no slower; the report's notes and the undone layers'
         * reasons say so. With a meter the factorized model is therefore never slower than the
         * dense one as the meter measures it.
         *
         * @param meter the meter
         * @return this builder
         */
        public Builder optLatency(LatencyMeter meter) {
            if (meter == null) {
                throw new IllegalArgumentException(
                        "latency meter null is not accepted; LatencyMeter.builder().build() is");
            }
            this.latency = meter;
            return this;
        }

        /**
         * Sets the policy (required).
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder setPolicy(FactorizePolicy policy) {
            this.policy = policy;
            return this;
        }

        /**
         * Sets the shapes of the model's inputs, batch included, used to count FLOPs (default: the
         * shapes the block was initialised with).
         *
         * @param shapes the input shapes
         * @return this builder
         */
        public Builder optInputShapes(Shape... shapes) {
            if (shapes == null || shapes.length == 0) {
                throw new IllegalArgumentException(
                        "no input shape was given; the shapes of the model's inputs are accepted");
            }
            this.inputShapes = shapes.clone();
            return this;
        }

        /**
         * Sets calibration batches: the model's inputs, run through it once to fit data-aware
         * methods. The batches are left unchanged.
         *
         * @param batches the batches
         * @return this builder
         */
        public Builder optCalibration(Iterable<NDList> batches) {
            if (batches == null) {
                throw new IllegalArgumentException(
                        "calibration batches null are not accepted; an Iterable of NDList is");
            }
            this.calibration = Calibration.of(batches);
            return this;
        }

        /**
         * Sets a calibration dataset: the data of its first {@code maxBatches} batches is run
         * through the model once to fit data-aware methods.
         *
         * @param dataset the dataset
         * @param maxBatches how many batches to use, at least 1
         * @return this builder
         */
        public Builder optCalibration(Dataset dataset, long maxBatches) {
            if (dataset == null || maxBatches < 1) {
                throw new IllegalArgumentException(
                        "calibration dataset "
                                + dataset
                                + " with "
                                + maxBatches
                                + " batches is not accepted; a dataset and at least 1 batch are");
            }
            this.calibration = Calibration.of(dataset, maxBatches);
            return this;
        }

        /**
         * Declares a container type that computes only through its children list, so that the
         * factorizer may enter it (sequential and parallel blocks are known already).
         *
         * @param type the container type
         * @return this builder
         */
        public Builder optContainer(Class<? extends AbstractBlock> type) {
            if (type == null) {
                throw new IllegalArgumentException(
                        "container type null is not accepted; a block class is");
            }
            containers.add(type);
            return this;
        }

        /**
         * Builds the factorizer.
         *
         * @return the factorizer
         * @throws IllegalArgumentException if the policy is not set
         */
        public Factorizer build() {
            if (policy == null) {
                throw new IllegalArgumentException(
                        "no policy was set; setPolicy(FactorizePolicy.builder()...build()) is"
                                + " required");
            }
            return new Factorizer(this);
        }
    }
}
