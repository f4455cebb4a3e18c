package org.lowrank4j.examples.demo;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The demo's command-line options. With Maven they are passed as {@code -Dexec.args="--retrain
 * --epochs 5"}.
 */
public final class DemoOptions {

    /** What {@code --help} prints. */
    public static final String USAGE =
            String.join(
                    "\n",
                    "options:",
                    "  --dataset NAME         the data set: mnist (default; the 10,000 digits in"
                            + " data/mnist-10k)",
                    "                         or fashion (the 12,000 Fashion-MNIST images in"
                            + " data/fashion-mnist);",
                    "                         the cache and the results are kept apart per data"
                            + " set",
                    "  --quick                a short run for a smoke test: 1,024 training and 256 test"
                            + " images,",
                    "                         3 epochs, 1 of fine-tuning, every method at one rank;"
                            + " fails if",
                    "                         the trained model is not well above chance (50%)",
                    "  --engine-as-is         run the engine as it is even where the engine check finds"
                            + " a fault",
                    "                         (by default the demo runs again with the remedy applied)",
                    "  --full-mnist           use the full MNIST (60,000 + 10,000 digits, downloaded"
                            + " once by DJL;",
                    "                         needs the internet and no -Dai.djl.offline=true);"
                            + " only with",
                    "                         --dataset mnist",
                    "  --retrain              train the original model again instead of reusing the"
                            + " cached parameters",
                    "  --epochs N             training epochs of the original model (default 3)",
                    "  --finetune-epochs N    fine-tuning epochs of each compressed model (default"
                            + " 3)",
                    "  --cache DIR            where trained parameters are cached (default"
                            + " target/demo-cache;",
                    "                         one folder inside per engine, data set and"
                            + " training)",
                    "  --results DIR          where the table and charts are written (default"
                            + " results/demo,",
                    "                         results/demo/fashion-mnist with --dataset fashion,"
                            + " and",
                    "                         results/demo-quick[/fashion-mnist] with --quick)",
                    "  --publish DIR          also copy the markdown table and charts there (e.g."
                            + " docs/demo)",
                    "  --note TEXT            a line added to the markdown (e.g. the machine)",
                    "  --help                 print this and exit");

    /** The training images of a quick run. */
    public static final int QUICK_TRAIN = 1024;

    /** The test images of a quick run. */
    public static final int QUICK_TEST = 256;

    private DemoDataset dataset = DemoDataset.MNIST;
    private boolean quick;
    private boolean engineAsIs;
    private boolean fullMnist;
    private boolean retrain;
    private int epochs;
    private int finetuneEpochs;
    private Path cache;
    private Path results;
    private Path publish;
    private String note = "";
    private boolean help;

    private DemoOptions() {}

    /**
     * Parses the options; relative folders are resolved against {@code root}.
     *
     * @param args the arguments
     * @param root the project root
     * @return the options
     * @throws IllegalArgumentException if an option is unknown or its value is not accepted
     */
    public static DemoOptions parse(String[] args, Path root) {
        DemoOptions o = new DemoOptions();
        o.cache = root.resolve("target").resolve("demo-cache");
        o.results = root.resolve("results").resolve("demo");
        boolean resultsGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dataset":
                    o.dataset = DemoDataset.fromOption(value(args, ++i, a));
                    break;
                case "--quick":
                    o.quick = true;
                    break;
                case "--engine-as-is":
                    o.engineAsIs = true;
                    break;
                case "--full-mnist":
                    o.fullMnist = true;
                    break;
                case "--retrain":
                    o.retrain = true;
                    break;
                case "--help":
                case "-h":
                    o.help = true;
                    break;
                case "--epochs":
                    o.epochs = positive(a, value(args, ++i, a));
                    break;
                case "--finetune-epochs":
                    o.finetuneEpochs = positive(a, value(args, ++i, a));
                    break;
                case "--cache":
                    o.cache = root.resolve(value(args, ++i, a));
                    break;
                case "--results":
                    o.results = root.resolve(value(args, ++i, a));
                    resultsGiven = true;
                    break;
                case "--publish":
                    o.publish = root.resolve(value(args, ++i, a));
                    break;
                case "--note":
                    o.note = value(args, ++i, a);
                    break;
                default:
                    throw new IllegalArgumentException(
                            "option '"
                                    + a
                                    + "' is not known; accepted are --dataset, --quick,"
                                    + " --engine-as-is,"
                                    + " --full-mnist, --retrain,"
                                    + " --epochs, --finetune-epochs, --cache, --results, --publish,"
                                    + " --note and --help");
            }
        }
        o.epochs = o.epochs == 0 ? 3 : o.epochs;
        o.finetuneEpochs = o.finetuneEpochs == 0 ? (o.quick ? 1 : 3) : o.finetuneEpochs;
        if (o.fullMnist && o.dataset != DemoDataset.MNIST) {
            throw new IllegalArgumentException(
                    "option --full-mnist is not accepted with --dataset "
                            + o.dataset.getOption()
                            + "; it is with --dataset mnist only");
        }
        if (!resultsGiven) {
            o.results = root.resolve("results").resolve(o.quick ? "demo-quick" : "demo");
            if (o.dataset != DemoDataset.MNIST) {
                o.results = o.results.resolve(o.dataset.getFolder());
            }
        }
        return o;
    }

    /**
     * Returns the project root: the working directory or the first parent holding {@code
     * data/mnist-10k}, else the working directory.
     *
     * @return the root
     */
    public static Path projectRoot() {
        Path cwd = Paths.get("").toAbsolutePath();
        for (Path dir = cwd; dir != null; dir = dir.getParent()) {
            if (dir.resolve("data").resolve("mnist-10k").toFile().isDirectory()) {
                return dir;
            }
        }
        return cwd;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("option " + option + " needs a value after it");
        }
        return args[i];
    }

    private static int positive(String option, String value) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "value '" + value + "' of " + option + " is not accepted; a whole number >= 1 is");
    }

    /**
     * Returns the data set the demo runs on.
     *
     * @return the data set, {@link DemoDataset#MNIST} by default
     */
    public DemoDataset getDataset() {
        return dataset;
    }

    /**
     * Returns whether this is a quick run (a few hundred images, one epoch, one rank per method).
     *
     * @return true for a quick run
     */
    public boolean isQuick() {
        return quick;
    }

    /**
     * Returns whether the engine runs as it is even where the engine check finds a fault.
     *
     * @return true to skip the remedy
     */
    public boolean isEngineAsIs() {
        return engineAsIs;
    }

    /**
     * Returns how many training images are used.
     *
     * @return the number, {@code Long.MAX_VALUE} for all
     */
    public long getTrainLimit() {
        return quick ? QUICK_TRAIN : Long.MAX_VALUE;
    }

    /**
     * Returns how many test images are used.
     *
     * @return the number, {@code Long.MAX_VALUE} for all
     */
    public long getTestLimit() {
        return quick ? QUICK_TEST : Long.MAX_VALUE;
    }

    /**
     * Returns whether the full MNIST is used.
     *
     * @return whether it is
     */
    public boolean isFullMnist() {
        return fullMnist;
    }

    /**
     * Returns whether the original model is trained even if cached parameters exist.
     *
     * @return whether it is
     */
    public boolean isRetrain() {
        return retrain;
    }

    /**
     * Returns the training epochs of the original model.
     *
     * @return the epochs
     */
    public int getEpochs() {
        return epochs;
    }

    /**
     * Returns the fine-tuning epochs of each compressed model.
     *
     * @return the epochs
     */
    public int getFinetuneEpochs() {
        return finetuneEpochs;
    }

    /**
     * Returns the folder of the cached parameters.
     *
     * @return the folder
     */
    public Path getCache() {
        return cache;
    }

    /**
     * Returns the folder inside {@link #getCache()} that holds the trained original model of this
     * run: one per engine, data set (the shipped subset or the full MNIST), quick or full run,
     * width and training epochs, so that no run reuses or overwrites the parameters another one
     * trained.
     *
     * @param engineName the engine's name, such as {@code PyTorch}
     * @param stemChannels the stem channels of the network
     * @return the folder, such as {@code target/demo-cache/pytorch-fashion-mnist-w16-e3}
     */
    public Path getModelCache(String engineName, int stemChannels) {
        String key =
                String.format(
                        Locale.ROOT,
                        "%s-%s%s-w%d-e%d",
                        engineName.toLowerCase(Locale.ROOT),
                        fullMnist ? "mnist" : dataset.getCacheKey(),
                        quick ? "-quick" : "",
                        stemChannels,
                        epochs);
        return cache.resolve(key);
    }

    /**
     * Returns the results folder.
     *
     * @return the folder
     */
    public Path getResults() {
        return results;
    }

    /**
     * Returns the folder the markdown and charts are copied to, or {@code null}.
     *
     * @return the folder or {@code null}
     */
    public Path getPublish() {
        return publish;
    }

    /**
     * Returns the note added to the markdown, possibly empty.
     *
     * @return the note
     */
    public String getNote() {
        return note;
    }

    /**
     * Returns whether only the usage is asked for.
     *
     * @return whether it is
     */
    public boolean isHelp() {
        return help;
    }
}
