package org.lowrank4j.examples;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.util.ProgressBar;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.examples.demo.CompactResNet;
import org.lowrank4j.examples.demo.DemoCharts;
import org.lowrank4j.examples.demo.DemoDataset;
import org.lowrank4j.examples.demo.DemoOptions;
import org.lowrank4j.examples.demo.LatencyMeter;
import org.lowrank4j.examples.demo.ResultRow;
import org.lowrank4j.examples.demo.ResultTable;
import org.lowrank4j.factorize.Budget;
import org.lowrank4j.factorize.FactorizePolicy;
import org.lowrank4j.factorize.FactorizeReport;
import org.lowrank4j.factorize.Factorizer;
import org.lowrank4j.factorize.LayerMethod;
import org.lowrank4j.factorize.LayerMethods;
import org.lowrank4j.factorize.ProgressiveCompression;
import org.lowrank4j.factorize.RankSelector;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;

/**
 * The demo: trains a compact ResNet on MNIST digits or Fashion-MNIST clothing images ({@code
 * --dataset}), or reuses its cached parameters, compresses its convolutions with the {@link
 * Factorizer} by each method at a few ranks, evaluates every compressed model before and after a
 * short fine-tune, times it against the original in the same run, and writes a table (text, CSV,
 * markdown) and charts.
 *
 * <p>Run it with {@code mvn -B -q -Dai.djl.offline=true -pl examples -am compile exec:java}; add
 * {@code -Dengine=MXNet} for MXNet and {@code -Dexec.args="--help"} for its options.
 */
public final class Demo {

    /** The tensor formats compared with the data-aware low-rank method (Tucker is Tucker-2). */
    static final List<Factorization> TENSOR_FORMATS =
            List.of(Factorization.CP, Factorization.TUCKER, Factorization.TT);

    /** The ranks of the data-aware low-rank method, as fractions of each layer's parameters. */
    static final double[] RANK_FRACTIONS = {0.5, 0.3, 0.2};

    /** The test accuracy a quick run's trained model must exceed: five times chance. */
    static final double QUICK_MIN_ACCURACY = 0.5;

    /** The one rank of every method in a quick run. */
    static final double QUICK_RANK_FRACTION = 0.3;

    /** The FLOP budget of the budget run, as a fraction of the original model's. */
    static final double FLOP_BUDGET = 1.0 / 3;

    /** The ranks of the tensor formats, as fractions of each layer's parameters. */
    static final double[] TENSOR_RANK_FRACTIONS = {0.5, 0.3};

    /** The schedule of the progressive row: it ends at 0.3, one of the one-shot fractions. */
    static final double[] PROGRESSIVE_SCHEDULE = {0.7, 0.5, 0.3};

    private static final String MODEL_NAME = "compact-resnet";
    private static final int STEM_CHANNELS = 16;
    private static final int CLASSES = 10;
    private static final int TRAIN_BATCH = 64;
    private static final int TEST_BATCH = 128;
    private static final int CALIBRATION_BATCHES = 8;
    private static final int LATENCY_WARMUP = 10;
    private static final int LATENCY_REPEATS = 50;
    private static final int QUICK_LATENCY_WARMUP = 2;
    private static final int QUICK_LATENCY_REPEATS = 5;
    private static final Shape IMAGE = new Shape(1, 1, 28, 28);

    /**
     * The shape the compressed models run at (a test batch): layers choose their implementation,
     * and are costed, at this shape.
     */
    private static final Shape BATCH = new Shape(TEST_BATCH, 1, 28, 28);

    private static final int SEED = 7;

    private Demo() {}

    /** A compressed model's last factorization and its accuracy right after it. */
    private record Compressed(FactorizeReport report, double accuracy) {}

    /** One method of the comparison. */
    private record Method(String label, LayerMethod method, List<Choice> choices) {}

    /**
     * How the ranks of one run are chosen: a label for the table, and the selector; or a schedule
     * of fractions for progressive compression (the selector is then null).
     */
    private record Choice(String label, RankSelector selector, double[] schedule) {

        static List<Choice> fractions(double... fractions) {
            List<Choice> choices = new ArrayList<>();
            for (double f : fractions) {
                choices.add(
                        new Choice(String.valueOf(f), RankSelector.fixed(Rank.fraction(f)), null));
            }
            return choices;
        }

        static Choice progressive(double... schedule) {
            StringBuilder label = new StringBuilder();
            for (double f : schedule) {
                label.append(label.length() == 0 ? "" : "→").append(f);
            }
            return new Choice(label + ", progressive", null, schedule);
        }
    }

    /**
     * Runs the demo.
     *
     * @param args the options, see {@link DemoOptions#USAGE}
     * @throws IOException if data, parameters or results cannot be read or written
     * @throws TranslateException if a dataset cannot be read
     * @throws MalformedModelException if cached parameters do not fit the model
     */
    public static void main(String[] args)
            throws IOException, TranslateException, MalformedModelException {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args, DemoOptions.projectRoot());
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage() + "\n" + DemoOptions.USAGE);
            return;
        }
        if (options.isHelp()) {
            System.out.println(DemoOptions.USAGE);
            return;
        }
        if (EngineRemedy.relaunchIfFaulty(Demo.class, args, options.isEngineAsIs())) {
            return; // the demo ran in a child JVM with the engine's remedy applied
        }
        Engine engine = Engine.getInstance();
        engine.setRandomSeed(SEED); // same initialisation, shuffling and calibration each run
        long start = System.nanoTime();
        System.out.printf(
                Locale.ROOT,
                "Lowrank4J demo on %s %s, %d CPU cores%n",
                engine.getEngineName(),
                engine.getVersion(),
                Runtime.getRuntime().availableProcessors());

        DemoDataset dataset = options.getDataset();
        String data = options.isFullMnist() ? "MNIST (60,000 + 10,000)" : dataset.getTitle();
        ArrayDataset train =
                MnistData.load(
                        dataset,
                        Dataset.Usage.TRAIN,
                        TRAIN_BATCH,
                        true,
                        options.isFullMnist(),
                        options.getTrainLimit());
        ArrayDataset test =
                MnistData.load(
                        dataset,
                        Dataset.Usage.TEST,
                        TEST_BATCH,
                        false,
                        options.isFullMnist(),
                        options.getTestLimit());
        System.out.printf(
                Locale.ROOT,
                "%s: %,d training and %,d test %s%n%n",
                data,
                train.size(),
                test.size(),
                dataset.getNoun());

        List<Method> methods = methods(options.isQuick());
        Path cache = options.getModelCache(engine.getEngineName(), STEM_CHANNELS);
        try (Model original = originalModel(options, cache, train, test)) {
            // the same compression results whether the model was just trained or read from cache
            engine.setRandomSeed(SEED);
            double originalAccuracy = accuracy(original, test);
            if (options.isQuick() && !(originalAccuracy > QUICK_MIN_ACCURACY)) {
                // a smoke test: training that diverged (a faulty engine, a broken layer) fails it
                throw new IllegalStateException(
                        "the quick run's trained model has "
                                + percent(originalAccuracy)
                                + " test accuracy; more than "
                                + percent(QUICK_MIN_ACCURACY)
                                + " (five times chance) is expected");
            }
            long originalConv = convParameters(original.getBlock());
            System.out.printf(
                    Locale.ROOT,
                    "Original: %s test accuracy, %,d parameters (%,d in convolutions), %.2fM"
                            + " multiply-accumulates per image%n",
                    percent(originalAccuracy),
                    CostCounter.count(original.getBlock(), IMAGE).getParameters(),
                    originalConv,
                    flopsPerImage(original.getBlock()) / 1e6);

            List<Model> models = new ArrayList<>();
            List<ResultRow> rows = new ArrayList<>();
            try {
                int total = methods.stream().mapToInt(m -> m.choices().size()).sum();
                Files.createDirectories(options.getResults());
                for (Method m : methods) {
                    for (Choice choice : m.choices()) {
                        System.out.printf(
                                Locale.ROOT,
                                "%n[%d/%d] %s at rank %s%n",
                                rows.size() + 1,
                                total,
                                m.label(),
                                choice.label());
                        Model model = loadCached(cache);
                        models.add(model);
                        rows.add(
                                compressAndFineTune(
                                        model,
                                        m,
                                        choice,
                                        options,
                                        train,
                                        test,
                                        CostCounter.count(original.getBlock(), IMAGE)
                                                        .getParameters()
                                                - originalConv));
                    }
                }
                ResultTable table =
                        timeAll(original, originalAccuracy, models, rows, test, options.isQuick());
                double minutes = (System.nanoTime() - start) / 60e9;
                report(table, options, engine, data, minutes);
            } finally {
                models.forEach(Model::close);
            }
        }
    }

    /**
     * Compresses a model (at once, or step by step along the choice's schedule), evaluates it,
     * fine-tunes it and evaluates it again.
     */
    private static ResultRow compressAndFineTune(
            Model model,
            Method m,
            Choice choice,
            DemoOptions options,
            ArrayDataset train,
            ArrayDataset test,
            long otherParameters)
            throws IOException, TranslateException {
        long started = System.nanoTime();
        Compressed compressed;
        if (choice.schedule() == null) {
            FactorizeReport once = compress(model, m.method(), choice.selector(), train);
            compressed = new Compressed(once, accuracy(model, test));
            System.out.printf(
                    Locale.ROOT,
                    "  accuracy right after compression: %s%n",
                    percent(compressed.accuracy()));
            fineTune(model, train, options.getFinetuneEpochs());
        } else {
            compressed = progressive(model, m.method(), choice.schedule(), options, train, test);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        FactorizeReport report = compressed.report();
        double before = compressed.accuracy();
        Files.writeString(
                options.getResults()
                        .resolve(
                                "report-"
                                        + m.method().getName()
                                        + "-"
                                        + choice.label().replaceAll("[^A-Za-z0-9.]+", "-")
                                        + ".csv"),
                report.toCsv(),
                StandardCharsets.UTF_8);
        double after = accuracy(model, test);
        System.out.printf(Locale.ROOT, "  accuracy after fine-tuning: %s%n", percent(after));
        long parameters = CostCounter.count(model.getBlock(), IMAGE).getParameters();
        return new ResultRow(
                m.label(),
                choice.label(),
                ranks(report),
                parameters,
                parameters - otherParameters, // only convolutions are swapped
                flopsPerImage(model.getBlock()),
                before,
                after,
                Double.NaN,
                Double.NaN,
                seconds);
    }

    /**
     * Compresses a model step by step along a schedule, fine-tuning after each step; the
     * fine-tuning epochs are shared out over the steps (at least one each). Returns the last step's
     * report and the accuracy right after its compression.
     */
    private static Compressed progressive(
            Model model,
            LayerMethod method,
            double[] schedule,
            DemoOptions options,
            ArrayDataset train,
            ArrayDataset test) {
        int epochs = Math.max(1, options.getFinetuneEpochs() / schedule.length);
        List<Double> accuracies = new ArrayList<>();
        List<FactorizeReport> steps =
                ProgressiveCompression.builder()
                        .setSchedule(schedule)
                        .setFactorizer(
                                f ->
                                        factorizer(
                                                method,
                                                RankSelector.fixed(Rank.fraction(f)),
                                                train))
                        .setFineTuning(
                                (step, fraction, report) -> {
                                    summarize(report, method);
                                    try {
                                        accuracies.add(accuracy(model, test));
                                        System.out.printf(
                                                Locale.ROOT,
                                                "  step %d (%s): accuracy right after compression"
                                                        + " %s; fine-tuning %d epoch(s)%n",
                                                step + 1,
                                                fraction,
                                                percent(accuracies.get(step)),
                                                epochs);
                                        fineTune(model, train, epochs);
                                    } catch (IOException | TranslateException e) {
                                        throw new IllegalStateException(
                                                "fine-tuning step " + (step + 1) + " failed", e);
                                    }
                                })
                        .build()
                        .compress(model.getBlock());
        int last = steps.size() - 1;
        return new Compressed(steps.get(last), accuracies.get(last));
    }

    /**
     * Times the original and every compressed model together, in interleaved rounds over a short
     * window (so that a busy machine slows them alike), and builds the table.
     */
    private static ResultTable timeAll(
            Model original,
            double originalAccuracy,
            List<Model> models,
            List<ResultRow> rows,
            Dataset test,
            boolean quick)
            throws IOException, TranslateException {
        int warmup = quick ? QUICK_LATENCY_WARMUP : LATENCY_WARMUP;
        int repeats = quick ? QUICK_LATENCY_REPEATS : LATENCY_REPEATS;
        System.out.printf(
                Locale.ROOT,
                "%nTiming the original and the %d compressed models: %d warm-up and %d timed"
                        + " rounds of one batch of %d test images each%n",
                models.size(),
                warmup,
                repeats,
                TEST_BATCH);
        try (NDManager timing = NDManager.newBaseManager()) {
            NDList input = firstBatch(test, timing);
            List<Runnable> candidates = new ArrayList<>();
            candidates.add(forward(original.getBlock(), input, timing));
            for (Model m : models) {
                candidates.add(forward(m.getBlock(), input, timing));
            }
            double[] ms = new LatencyMeter(warmup, repeats).medianMillis(candidates);
            ResultTable table =
                    new ResultTable(
                            new ResultRow(
                                    "original",
                                    "",
                                    "",
                                    CostCounter.count(original.getBlock(), IMAGE).getParameters(),
                                    convParameters(original.getBlock()),
                                    flopsPerImage(original.getBlock()),
                                    originalAccuracy,
                                    Double.NaN,
                                    ms[0],
                                    1.0,
                                    Double.NaN));
            for (int i = 0; i < rows.size(); i++) {
                ResultRow r = rows.get(i);
                table.add(
                        new ResultRow(
                                r.method(),
                                r.rank(),
                                r.realisedRanks(),
                                r.parameters(),
                                r.convParameters(),
                                r.flops(),
                                r.accuracyBefore(),
                                r.accuracyAfter(),
                                ms[i + 1],
                                ms[0] / ms[i + 1],
                                r.seconds()));
            }
            return table;
        }
    }

    /**
     * The methods to compare: the data-aware low-rank method and the tensor formats; a quick run
     * takes each at {@link #QUICK_RANK_FRACTION} only.
     */
    private static List<Method> methods(boolean quick) {
        List<Method> methods = new ArrayList<>();
        if (quick) {
            List<Choice> lowRank = new ArrayList<>(Choice.fractions(QUICK_RANK_FRACTION));
            lowRank.add(Choice.progressive(PROGRESSIVE_SCHEDULE));
            methods.add(new Method("low-rank (data-aware)", LayerMethods.lowRank(), lowRank));
            for (Factorization f : TENSOR_FORMATS) {
                methods.add(
                        new Method(
                                label(f),
                                LayerMethods.forConv(f),
                                Choice.fractions(QUICK_RANK_FRACTION)));
            }
            return methods;
        }
        List<Choice> lowRank = new ArrayList<>(Choice.fractions(RANK_FRACTIONS));
        // one global budget instead of one fraction everywhere: ranks chosen per layer so that the
        // model keeps a third of its multiply-accumulates with the least total error
        lowRank.add(
                new Choice(
                        "budget: 1/3 of the FLOPs",
                        RankSelector.budget(Budget.flops(FLOP_BUDGET)),
                        null));
        // the same final size as 0.3, reached in three steps with fine-tuning between them
        lowRank.add(Choice.progressive(PROGRESSIVE_SCHEDULE));
        methods.add(new Method("low-rank (data-aware)", LayerMethods.lowRank(), lowRank));
        for (Factorization f : TENSOR_FORMATS) {
            methods.add(
                    new Method(
                            label(f),
                            LayerMethods.forConv(f),
                            Choice.fractions(TENSOR_RANK_FRACTIONS)));
        }
        return methods;
    }

    private static String label(Factorization f) {
        switch (f) {
            case CP:
                return "CP";
            case TUCKER:
                return "Tucker-2";
            case TT:
                return "tensor train";
            default:
                return f.name();
        }
    }

    /** Trains the original model, or loads its cached parameters. */
    private static Model originalModel(
            DemoOptions options, Path cache, ArrayDataset train, ArrayDataset test)
            throws IOException, TranslateException, MalformedModelException {
        if (!options.isRetrain() && Files.exists(cache.resolve(MODEL_NAME + ".txt"))) {
            System.out.println("Reusing the trained parameters in " + cache);
            System.out.println("(pass -Dexec.args=\"--retrain\" to train again)");
            return loadCached(cache);
        }
        System.out.printf(
                Locale.ROOT,
                "Training the compact ResNet for %d epochs (cached afterwards in %s)%n",
                options.getEpochs(),
                cache);
        Model model = Model.newInstance(MODEL_NAME);
        model.setBlock(CompactResNet.build(STEM_CHANNELS, CLASSES));
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .addEvaluator(new Accuracy())
                        .optOptimizer(adam(2e-3f, options.getEpochs() * batches(train)))
                        .addTrainingListeners(TrainingListener.Defaults.logging());
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.setMetrics(new Metrics()); // shows loss and accuracy beside the progress bar
            trainer.initialize(new Shape(TRAIN_BATCH, 1, 28, 28));
            for (int epoch = 1; epoch <= options.getEpochs(); epoch++) {
                EasyTrain.fit(trainer, 1, train, test);
                TrainingResult r = trainer.getTrainingResult();
                System.out.printf(
                        Locale.ROOT,
                        "Epoch %d/%d: training loss %.4f, test accuracy %s%n",
                        epoch,
                        options.getEpochs(),
                        r.getTrainLoss(),
                        percent(r.getValidateEvaluation("Accuracy")));
            }
        }
        Files.createDirectories(cache);
        model.setProperty("Epoch", String.valueOf(options.getEpochs()));
        model.save(cache, MODEL_NAME);
        Files.writeString(
                cache.resolve(MODEL_NAME + ".txt"),
                "compact ResNet, stem " + STEM_CHANNELS + " channels\n",
                StandardCharsets.UTF_8);
        return model;
    }

    private static Model loadCached(Path cache) throws IOException, MalformedModelException {
        Model model = Model.newInstance(MODEL_NAME);
        Block block = CompactResNet.build(STEM_CHANNELS, CLASSES);
        block.initialize(model.getNDManager(), DataType.FLOAT32, IMAGE);
        model.setBlock(block);
        model.load(cache, MODEL_NAME);
        return model;
    }

    /** Swaps the convolutions (all but the stem) for factorized ones. */
    private static FactorizeReport compress(
            Model model, LayerMethod method, RankSelector selector, Dataset train) {
        FactorizeReport report = factorizer(method, selector, train).factorize(model.getBlock());
        summarize(report, method);
        return report;
    }

    /** The factorizer of the convolutions (all but the stem) with a method and a selector. */
    private static Factorizer factorizer(LayerMethod method, RankSelector selector, Dataset train) {
        FactorizePolicy policy =
                FactorizePolicy.builder()
                        .optLayerTypes(ai.djl.nn.convolutional.Conv2d.class)
                        .optConvMethod(method)
                        .setRank(selector)
                        .optSkipFirst(true) // the stem has one input channel: nothing to gain
                        .build();
        Factorizer.Builder factorizer =
                Factorizer.builder()
                        .setPolicy(policy)
                        .optInputShapes(BATCH)
                        .optProgress(new ProgressBar()); // calibration batches, then layers
        if (method.isDataAware()) {
            factorizer.optCalibration(train, CALIBRATION_BATCHES);
        }
        return factorizer.build();
    }

    private static void summarize(FactorizeReport report, LayerMethod method) {
        System.out.printf(
                Locale.ROOT,
                "  %d convolutions factorized%s; parameters %,d -> %,d, multiply-accumulates"
                        + " %.2fM -> %.2fM%n",
                report.getSwapped().size(),
                method.isDataAware()
                        ? " (fitted to " + CALIBRATION_BATCHES * TRAIN_BATCH + " training images)"
                        : "",
                report.getTotalBefore().getParameters(),
                report.getTotalAfter().getParameters(),
                report.getTotalBefore().getFlops() / 1e6 / TEST_BATCH,
                report.getTotalAfter().getFlops() / 1e6 / TEST_BATCH);
    }

    /** Fine-tunes with a new Trainer (one made before the swap would hold the old parameters). */
    private static void fineTune(Model model, ArrayDataset train, int epochs)
            throws IOException, TranslateException {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .addEvaluator(new Accuracy())
                        .optOptimizer(adam(1e-3f, epochs * batches(train)))
                        .addTrainingListeners(TrainingListener.Defaults.logging());
        // parameters read by Model.load carry no gradient on MXNet; a Trainer made without
        // initialize() does not attach one, so attach them here (harmless on PyTorch)
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.requiresGradient()
                    && parameter.isInitialized()
                    && !parameter.getArray().hasGradient()) {
                parameter.getArray().setRequiresGradient(true);
            }
        }
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.setMetrics(new Metrics());
            EasyTrain.fit(trainer, epochs, train, null);
        }
    }

    /** Adam with a learning rate that decays along a cosine to 1% of its start. */
    private static Optimizer adam(float learningRate, int steps) {
        Tracker cosine =
                Tracker.cosine()
                        .setBaseValue(learningRate)
                        .optFinalValue(learningRate / 100)
                        .setMaxUpdates(steps)
                        .build();
        return Optimizer.adam().optLearningRateTracker(cosine).build();
    }

    private static int batches(ArrayDataset train) {
        return (int) ((train.size() + TRAIN_BATCH - 1) / TRAIN_BATCH);
    }

    /** The fraction of the test images the model classifies correctly. */
    static double accuracy(Model model, Dataset test) throws IOException, TranslateException {
        long correct = 0;
        long count = 0;
        try (NDManager manager = model.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            for (Batch batch : test.getData(manager)) {
                try (batch) {
                    NDArray logits =
                            model.getBlock()
                                    .forward(store, batch.getData(), false)
                                    .singletonOrThrow();
                    NDArray labels = batch.getLabels().singletonOrThrow();
                    correct +=
                            logits.argMax(1)
                                    .toType(DataType.INT64, false)
                                    .eq(labels.toType(DataType.INT64, false))
                                    .sum()
                                    .getLong();
                    count += labels.size();
                }
            }
        }
        return (double) correct / count;
    }

    private static NDList firstBatch(Dataset test, NDManager manager)
            throws IOException, TranslateException {
        for (Batch batch : test.getData(manager)) {
            try (batch) {
                NDArray x = batch.getData().singletonOrThrow().duplicate();
                x.attach(manager);
                return new NDList(x);
            }
        }
        throw new IOException("the test set is empty");
    }

    /** One inference forward pass of a batch, waiting for its result, freeing what it made. */
    private static Runnable forward(Block block, NDList input, NDManager manager) {
        return () -> {
            try (NDManager scope = manager.newSubManager()) {
                input.tempAttach(scope);
                NDList out = block.forward(new ParameterStore(scope, false), input, false);
                out.singletonOrThrow().toFloatArray(); // waits for lazy engines
            }
        };
    }

    /** Multiply-accumulates per image, counted at the batch the models run at. */
    private static long flopsPerImage(Block block) {
        return CostCounter.count(block, BATCH).getFlops() / TEST_BATCH;
    }

    private static long convParameters(Block block) {
        long n = 0;
        for (LayerCost c : CostCounter.layers(block, IMAGE)) {
            if (c.getBlock() instanceof Convolution) {
                n += c.getCost().getParameters();
            }
        }
        return n;
    }

    private static String ranks(FactorizeReport report) {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (FactorizeReport.Layer l : report.getSwapped()) {
            for (int r : l.getRanks()) {
                min = Math.min(min, r);
                max = Math.max(max, r);
            }
        }
        if (max == 0) {
            return "none swapped";
        }
        return min == max ? String.valueOf(min) : min + "-" + max;
    }

    private static void report(
            ResultTable table, DemoOptions options, Engine engine, String data, double minutes)
            throws IOException {
        System.out.println();
        System.out.print(table.toText());
        System.out.println();
        System.out.print(targetSummary(table));
        Path dir = options.getResults();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.csv"), table.toCsv(), StandardCharsets.UTF_8);
        String markdown = markdown(table, options, engine, data, minutes);
        Files.writeString(dir.resolve("results.md"), markdown, StandardCharsets.UTF_8);
        List<Path> charts = DemoCharts.write(table, dir);
        System.out.println("\nResults written to " + dir + " (results.csv, results.md, charts)");
        if (options.getPublish() != null) {
            Path pub = options.getPublish();
            Files.createDirectories(pub);
            Files.writeString(pub.resolve("results.md"), markdown, StandardCharsets.UTF_8);
            Files.copy(
                    dir.resolve("results.csv"),
                    pub.resolve("results.csv"),
                    StandardCopyOption.REPLACE_EXISTING);
            for (Path c : charts) {
                Files.copy(c, pub.resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            System.out.println("Copied to " + pub);
        }
        System.out.printf(Locale.ROOT, "Demo finished in %.1f minutes%n", minutes);
    }

    /** Which compressed models keep the accuracy within 0.5 points, 3× smaller and faster. */
    private static String targetSummary(ResultTable table) {
        List<ResultRow> good = table.meeting(0.5, 3);
        if (good.isEmpty()) {
            return "No compressed model kept the accuracy within 0.5 points of the original with 3×"
                    + " fewer convolution parameters and a measured speed-up.\n";
        }
        StringBuilder sb = new StringBuilder();
        for (ResultRow r : good) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "%s at rank %s keeps the accuracy within 0.5 points of the original"
                                    + " (%s vs %s) with %.2f× fewer convolution parameters and"
                                    + " runs %.2f× faster.\n",
                            r.method(),
                            r.rank(),
                            percent(r.finalAccuracy()),
                            percent(table.getOriginal().finalAccuracy()),
                            r.convReduction(table.getOriginal()),
                            r.speedup()));
        }
        return sb.toString();
    }

    private static String markdown(
            ResultTable table, DemoOptions options, Engine engine, String data, double minutes) {
        StringBuilder sb = new StringBuilder("# Demo results\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Compact ResNet (stem %d channels, 4 residual units) trained %d epochs on the"
                                + " %s, convolutions compressed with the `Factorizer` and"
                                + " fine-tuned %d epoch(s); %s %s, %d CPU cores, %s; whole run %.1f"
                                + " minutes.\n\n",
                        STEM_CHANNELS,
                        options.getEpochs(),
                        data,
                        options.getFinetuneEpochs(),
                        engine.getEngineName(),
                        engine.getVersion(),
                        Runtime.getRuntime().availableProcessors(),
                        LocalDate.now(),
                        minutes));
        if (!options.getNote().isEmpty()) {
            sb.append(options.getNote()).append("\n\n");
        }
        sb.append(table.toMarkdown());
        sb.append(
                String.format(
                        Locale.ROOT,
                        "\n*rank*: the fraction of each layer's parameters asked for; *layer ranks*:"
                                + " the ranks the layers received. *acc. compressed*: test accuracy"
                                + " right after compression, before any training; *acc. fine-tuned*:"
                                + " after the fine-tune (which gives each compressed model %d more"
                                + " epoch(s) of training than the original had). FLOPs are"
                                + " multiply-accumulates per image. Latency is the median of %d"
                                + " forward passes of a batch of %d test images after %d warm-up"
                                + " passes; all models are timed together at the end of the run, in"
                                + " rounds that run each model once in a rotating order, and the"
                                + " speed-up is the original's median over the model's. The"
                                + " progressive row compresses along its schedule with"
                                + " ProgressiveCompression, each step from the fine-tuned factors of"
                                + " the one before, and shares the same fine-tuning epochs out over"
                                + " its steps; its *acc. compressed* is right after the last step."
                                + " *compress + tune (s)*: the wall time of compressing and"
                                + " fine-tuning.\n\n",
                        options.getFinetuneEpochs(),
                        options.isQuick() ? QUICK_LATENCY_REPEATS : LATENCY_REPEATS,
                        TEST_BATCH,
                        options.isQuick() ? QUICK_LATENCY_WARMUP : LATENCY_WARMUP));
        sb.append(targetSummary(table).replace("\n", "\n\n"));
        sb.append("![accuracy vs parameters](")
                .append(DemoCharts.ACCURACY_VS_PARAMETERS)
                .append(")\n![accuracy vs latency](")
                .append(DemoCharts.ACCURACY_VS_LATENCY)
                .append(")\n");
        return sb.toString();
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
