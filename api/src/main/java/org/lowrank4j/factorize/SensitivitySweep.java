package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.AbstractAccuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Rank;

/**
 * Measures how much a model's metric suffers when one layer alone is factorized: for every layer a
 * {@link FactorizePolicy} would swap and every candidate rank, the layer is factorized, put in
 * place, the metric is evaluated on a few batches, and the layer is put back. The model is left
 * exactly as it was: the same blocks with the same parameters.
 *
 * <pre>{@code
 * SensitivityReport sensitivity = SensitivitySweep.builder()
 *         .setMetric(new Accuracy())
 *         .setData(validationSet)        // a Dataset, or batches of inputs and labels
 *         .optMaxBatches(4)
 *         .build()
 *         .sweep(model.getBlock());
 * System.out.println(sensitivity);       // the metric drop per layer and rank
 * RankSelector selector = RankSelector.budget(Budget.flops(0.4), sensitivity);
 * }</pre>
 *
 * <p>The candidate ranks of a layer are fractions of its largest ranks ({@link
 * Builder#optRankFractions}): fraction {@code f} asks for {@code round(f · max)} (at least 1) in
 * every mode of the layer's method. A sweep evaluates the model once, then once per layer and rank;
 * keep the data small.
 */
public final class SensitivitySweep {

    private static final String KEY = "sensitivity";

    private final FactorizePolicy policy;
    private final Evaluator metric;
    private final boolean higherIsBetter;
    private final Iterable<NDList> batches;
    private final Dataset dataset;
    private final long maxBatches;
    private final double[] fractions;
    private final Shape[] inputShapes;
    private final Set<Class<? extends AbstractBlock>> containers;
    private final Progress progress;

    private SensitivitySweep(Builder b) {
        policy = b.policy;
        metric = b.metric;
        higherIsBetter = b.metric instanceof AbstractAccuracy;
        batches = b.batches;
        dataset = b.dataset;
        maxBatches = b.maxBatches;
        fractions = b.fractions.clone();
        inputShapes = b.inputShapes;
        containers = new LinkedHashSet<>(b.containers);
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
     * Runs the sweep on a model.
     *
     * @param block the model's block, initialised with trained parameters; left unchanged
     * @return the metric drop of every selected layer at every candidate rank
     * @throws IllegalArgumentException if the policy selects no layer, the data holds no batch, or
     *     a batch does not fit the model
     * @throws IllegalStateException if the block is not initialised or the dataset cannot be read
     */
    public SensitivityReport sweep(Block block) {
        Factorizer.Builder fb = Factorizer.builder().setPolicy(policy);
        if (inputShapes != null) {
            fb.optInputShapes(inputShapes);
        }
        for (Class<? extends AbstractBlock> c : containers) {
            fb.optContainer(c);
        }
        Factorizer factorizer = fb.build();
        long started = System.nanoTime();
        List<Candidate> targets = factorizer.selectedLayers(block);
        int inputs = factorizer.inputShapes(block).length;
        try (NDManager owned = NDManager.newBaseManager()) {
            List<NDList[]> data = load(owned, inputs);
            Steps steps = Steps.to(progress);
            // the baseline, then every layer at each fraction (fewer where fractions coincide)
            steps.begin("Sweeping", 1 + (long) targets.size() * fractions.length);
            double baseline = evaluate(block, data);
            steps.step("baseline");
            List<SensitivityReport.Layer> layers = new ArrayList<>();
            for (Candidate c : targets) {
                SensitivityReport.Layer layer = sweepLayer(block, c, data, baseline, steps);
                FactorizeLog.sweptLayer(layer);
                layers.add(layer);
            }
            steps.end();
            SensitivityReport report =
                    new SensitivityReport(metric.getName(), higherIsBetter, baseline, layers);
            FactorizeLog.swept(report, data.size(), System.nanoTime() - started);
            return report;
        }
    }

    private SensitivityReport.Layer sweepLayer(
            Block root, Candidate c, List<NDList[]> data, double baseline, Steps steps) {
        BlockTree.Node node = c.node;
        LayerProfile profile;
        try {
            profile =
                    c.method.profile(
                            new LayerRequest(
                                    node.path,
                                    node.block,
                                    c.inputShapes(),
                                    null,
                                    policy.getImplementation(),
                                    null));
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException(
                    "layer '" + node.path + "' cannot be swept: " + e.getMessage(), e);
        }
        List<int[]> candidates = new ArrayList<>();
        for (double f : fractions) {
            int[] r = new int[profile.getModes()];
            for (int i = 0; i < r.length; i++) {
                int max = profile.getMaxRank(i);
                r[i] = (int) Math.max(1, Math.min(max, Math.round(f * max)));
            }
            boolean seen = false;
            for (int[] other : candidates) {
                seen |= Arrays.equals(other, r);
            }
            if (!seen) {
                candidates.add(r);
            }
        }
        candidates.sort(Arrays::compare);
        List<SensitivityReport.Point> points = new ArrayList<>();
        for (int[] r : candidates) {
            LayerResult result =
                    c.method.factorize(
                            new LayerRequest(
                                    node.path,
                                    node.block,
                                    c.inputShapes(),
                                    Rank.of(r),
                                    policy.getImplementation(),
                                    null));
            double value;
            try {
                BlockTree.swap(List.of(node), List.of(result.getBlock()));
                try {
                    value = evaluate(root, data);
                } finally {
                    BlockTree.putBack(List.of(node));
                }
            } finally {
                Factorizer.dispose(result.getBlock());
            }
            double drop = higherIsBetter ? baseline - value : value - baseline;
            points.add(new SensitivityReport.Point(r, profile.costAt(r), value, drop));
            steps.step(node.path);
        }
        return new SensitivityReport.Layer(node.path, c.method.getName(), points);
    }

    /** The batches as (inputs, labels), the dataset's copied into {@code owned}. */
    private List<NDList[]> load(NDManager owned, int inputs) {
        List<NDList[]> out = new ArrayList<>();
        if (batches != null) {
            for (NDList batch : batches) {
                if (out.size() >= maxBatches) {
                    break;
                }
                if (batch == null || batch.size() <= inputs) {
                    throw new IllegalArgumentException(
                            "sweep batch "
                                    + out.size()
                                    + " holds "
                                    + (batch == null ? "null" : batch.size() + " array(s)")
                                    + "; the model's "
                                    + inputs
                                    + " input(s) followed by at least one label are accepted");
                }
                out.add(
                        new NDList[] {
                            new NDList(batch.subList(0, inputs)),
                            new NDList(batch.subList(inputs, batch.size()))
                        });
            }
        } else {
            try {
                for (Batch batch : dataset.getData(owned)) {
                    try (Batch b = batch) {
                        if (out.size() >= maxBatches) {
                            break;
                        }
                        NDList x = b.getData();
                        NDList y = b.getLabels();
                        x.attach(owned);
                        y.attach(owned);
                        out.add(new NDList[] {x, y});
                    }
                }
            } catch (IOException | TranslateException e) {
                throw new IllegalStateException("the sweep dataset cannot be read", e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "the sweep data holds 0 batches; at least 1 batch is accepted");
        }
        return out;
    }

    /** The metric of the model over all batches. */
    private double evaluate(Block block, List<NDList[]> data) {
        metric.addAccumulator(KEY);
        metric.resetAccumulator(KEY);
        for (NDList[] batch : data) {
            NDArray anchor = batch[0].head();
            try (Workspace ws = Workspace.of(anchor)) {
                for (NDArray a : batch[0]) {
                    ws.adopt(a);
                }
                for (NDArray a : batch[1]) {
                    ws.adopt(a);
                }
                NDList out =
                        block.forward(new ParameterStore(ws.manager(), false), batch[0], false);
                out.attach(ws.manager());
                metric.updateAccumulator(KEY, batch[1], out);
            }
        }
        return metric.getAccumulator(KEY);
    }

    /** Builds a {@link SensitivitySweep}. */
    public static final class Builder {

        private FactorizePolicy policy =
                FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build();
        private Evaluator metric;
        private Iterable<NDList> batches;
        private Dataset dataset;
        private long maxBatches = 8;
        private double[] fractions = {0.125, 0.25, 0.5, 0.75};
        private Shape[] inputShapes;
        private final Set<Class<? extends AbstractBlock>> containers = new LinkedHashSet<>();
        private Progress progress;

        private Builder() {}

        /**
         * Sets where the sweep reports its progress (default: nowhere): one step for the baseline,
         * then one per layer and candidate rank ("Sweeping"), each named by the layer's path.
         *
         * @param progress the progress, such as DJL's {@link ai.djl.training.util.ProgressBar}
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = Steps.checked(progress);
            return this;
        }

        /**
         * Sets the metric (required): an accuracy (any {@link AbstractAccuracy}, higher is better)
         * or a {@link Loss} (lower is better). Its accumulator {@code "sensitivity"} is used.
         *
         * @param metric the evaluator
         * @return this builder
         * @throws IllegalArgumentException if the evaluator is neither an accuracy nor a loss
         */
        public Builder setMetric(Evaluator metric) {
            if (!(metric instanceof AbstractAccuracy) && !(metric instanceof Loss)) {
                throw new IllegalArgumentException(
                        "metric "
                                + (metric == null
                                        ? "null"
                                        : metric.getName()
                                                + " ("
                                                + metric.getClass().getSimpleName()
                                                + ")")
                                + " is not accepted; an accuracy (AbstractAccuracy) or a Loss"
                                + " is");
            }
            this.metric = metric;
            return this;
        }

        /**
         * Sets the data as batches (required, or a dataset): each batch holds the model's inputs
         * followed by the labels the metric compares the outputs with. The batches are left
         * unchanged.
         *
         * @param batches the batches; at least one
         * @return this builder
         * @throws IllegalArgumentException if the batches are {@code null} or an empty collection
         */
        public Builder setData(Iterable<NDList> batches) {
            if (batches == null
                    || (batches instanceof Collection && ((Collection<?>) batches).isEmpty())) {
                throw new IllegalArgumentException(
                        "sweep data "
                                + (batches == null ? "null" : "of 0 batches")
                                + " is not accepted; at least 1 batch of inputs and labels is");
            }
            this.batches = batches;
            this.dataset = null;
            return this;
        }

        /**
         * Sets the data as a dataset (required, or batches): its first {@link #optMaxBatches}
         * batches, data and labels, are read once and kept for the whole sweep.
         *
         * @param dataset the dataset
         * @return this builder
         * @throws IllegalArgumentException if the dataset is {@code null}
         */
        public Builder setData(Dataset dataset) {
            if (dataset == null) {
                throw new IllegalArgumentException(
                        "sweep dataset null is not accepted; a Dataset is");
            }
            this.dataset = dataset;
            this.batches = null;
            return this;
        }

        /**
         * Sets how many batches to evaluate on (default 8).
         *
         * @param maxBatches the number of batches, at least 1
         * @return this builder
         * @throws IllegalArgumentException if the number is below 1
         */
        public Builder optMaxBatches(long maxBatches) {
            if (maxBatches < 1) {
                throw new IllegalArgumentException(
                        "maxBatches " + maxBatches + " is not accepted; it must be >= 1");
            }
            this.maxBatches = maxBatches;
            return this;
        }

        /**
         * Sets the candidate ranks as fractions of each mode's largest rank (default 0.125, 0.25,
         * 0.5, 0.75); fraction 1 is the full rank, at which the drop is about 0.
         *
         * @param fractions the fractions, each in {@code (0, 1]}; at least one
         * @return this builder
         * @throws IllegalArgumentException if no fraction is given or one is outside {@code (0, 1]}
         */
        public Builder optRankFractions(double... fractions) {
            if (fractions == null || fractions.length == 0) {
                throw new IllegalArgumentException(
                        "no rank fraction was given; at least one fraction in (0, 1] is accepted");
            }
            for (double f : fractions) {
                if (!(f > 0 && f <= 1)) {
                    throw new IllegalArgumentException(
                            "rank fraction " + f + " is not accepted; a fraction in (0, 1] is");
                }
            }
            this.fractions = fractions.clone();
            return this;
        }

        /**
         * Sets the policy that decides which layers are swept and with which method (default: every
         * convolution and linear layer, two-factor low rank); its ranks are ignored.
         *
         * @param policy the policy
         * @return this builder
         * @throws IllegalArgumentException if the policy is {@code null}
         */
        public Builder optPolicy(FactorizePolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException(
                        "policy null is not accepted; FactorizePolicy.builder()...build() is");
            }
            this.policy = policy;
            return this;
        }

        /**
         * Sets the shapes of the model's inputs, batch included (default: the shapes the block was
         * initialised with), as {@link Factorizer.Builder#optInputShapes} does.
         *
         * @param shapes the input shapes
         * @return this builder
         * @throws IllegalArgumentException if no shape is given
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
         * Declares a container type that computes only through its children list, as {@link
         * Factorizer.Builder#optContainer} does.
         *
         * @param type the container type
         * @return this builder
         * @throws IllegalArgumentException if the type is {@code null}
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
         * Builds the sweep.
         *
         * @return the sweep
         * @throws IllegalArgumentException if the metric or the data is not set
         */
        public SensitivitySweep build() {
            if (metric == null || (batches == null && dataset == null)) {
                throw new IllegalArgumentException(
                        "the sweep needs "
                                + (metric == null ? "a metric (setMetric)" : "")
                                + (metric == null && batches == null && dataset == null
                                        ? " and "
                                        : "")
                                + (batches == null && dataset == null ? "data (setData)" : "")
                                + "; both are required");
            }
            return new SensitivitySweep(this);
        }
    }
}
