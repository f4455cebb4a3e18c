package org.lowrank4j.examples.demo;

import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.cost.LayerCost;
import org.lowrank4j.examples.MnistData;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The reusable parts of the demo: latency harness, results table, options, network, charts. */
public class DemoPartsTest extends EngineTestBase {

    @Test
    public void medianOfOddAndEvenCounts() {
        Assert.assertEquals(LatencyMeter.median(new double[] {5, 1, 3}), 3.0);
        Assert.assertEquals(LatencyMeter.median(new double[] {4, 1, 3, 2}), 2.5);
        Assert.assertEquals(LatencyMeter.median(new double[] {7}), 7.0);
        assertIllegalArgument(() -> LatencyMeter.median(new double[0]), "no value");
    }

    @Test
    public void meterWarmsUpRotatesAndTakesMedians() {
        // a fake clock advanced by the candidates themselves: candidate 0 takes 2 ms, candidate
        // 1 takes 1 ms except one slow outlier of 50 ms that the median must ignore
        AtomicLong now = new AtomicLong();
        List<String> order = new ArrayList<>();
        int[] calls = new int[2];
        Runnable a =
                () -> {
                    order.add("a");
                    now.addAndGet(2_000_000);
                };
        Runnable b =
                () -> {
                    order.add("b");
                    calls[1]++;
                    now.addAndGet(calls[1] == 4 ? 50_000_000 : 1_000_000);
                };
        double[] ms = new LatencyMeter(1, 5, now::get).medianMillis(List.of(a, b));
        Assert.assertEquals(ms[0], 2.0, 1e-9);
        Assert.assertEquals(ms[1], 1.0, 1e-9);
        // warm-up a b, then rounds starting with a, b, a, b, a
        Assert.assertEquals(String.join("", order), "ab" + "ab" + "ba" + "ab" + "ba" + "ab");
        assertIllegalArgument(() -> new LatencyMeter(-1, 3), "warm-up -1");
        assertIllegalArgument(() -> new LatencyMeter(0, 0), "repeats 0");
        assertIllegalArgument(() -> new LatencyMeter(0, 1).medianMillis(List.of()), "no candidate");
    }

    private static ResultTable table() {
        ResultTable t =
                new ResultTable(
                        new ResultRow(
                                "original",
                                "",
                                "",
                                1000,
                                900,
                                5_000_000,
                                0.99,
                                Double.NaN,
                                10,
                                1,
                                Double.NaN));
        // within 0.5 points, 3× fewer conv parameters, faster: meets the target
        t.add(new ResultRow("m", "0.3", "2-9", 400, 300, 2_000_000, 0.5, 0.986, 5, 2.0, 12.25));
        // too large a drop
        t.add(new ResultRow("m", "0.1", "1-3", 200, 100, 1_000_000, 0.2, 0.98, 4, 2.5, 8));
        // not 3× fewer
        t.add(new ResultRow("m", "0.5", "4-15", 700, 600, 3_000_000, 0.9, 0.99, 8, 1.2, 9));
        // slower
        t.add(new ResultRow("n, quoted", "0.3", "", 400, 300, 2_000_000, 0.9, 0.99, 12, 0.8, 10));
        return t;
    }

    @Test
    public void tableFindsTheRowsMeetingTheTarget() {
        ResultTable t = table();
        List<ResultRow> good = t.meeting(0.5, 3);
        Assert.assertEquals(good.size(), 1);
        Assert.assertEquals(good.get(0).rank(), "0.3");
        Assert.assertEquals(good.get(0).convReduction(t.getOriginal()), 3.0, 1e-12);
        Assert.assertEquals(t.getOriginal().finalAccuracy(), 0.99);
    }

    @Test
    public void tableExportsCsvMarkdownAndText() {
        ResultTable t = table();
        String[] csv = t.toCsv().split("\n");
        Assert.assertEquals(csv.length, 6);
        Assert.assertTrue(csv[0].startsWith("method,rank,layer_ranks,parameters,conv_parameters"));
        Assert.assertEquals(csv[1], "original,,,1000,900,1.000,5000000,0.9900,,10.000,1.000,");
        Assert.assertEquals(
                csv[2], "m,0.3,2-9,400,300,3.000,2000000,0.5000,0.9860,5.000,2.000,12.3");
        Assert.assertTrue(csv[5].startsWith("\"n, quoted\",0.3,,"), csv[5]);

        String[] md = t.toMarkdown().split("\n");
        Assert.assertEquals(md.length, 7);
        Assert.assertTrue(md[1].startsWith("|---|---|---|---:|"), md[1]);
        Assert.assertTrue(md[3].contains("| 98.60% |"), md[3]);
        Assert.assertTrue(md[3].contains("| 3.00 |"), md[3]);
        Assert.assertTrue(md[3].endsWith("| 12.3 |"), md[3]);

        String[] text = t.toText().split("\n");
        Assert.assertEquals(text.length, 7);
        for (String line : text) {
            Assert.assertEquals(line.length(), text[0].length(), "misaligned: " + line);
        }
    }

    @Test
    public void optionsHaveDefaultsAndRejectUnknownValues() {
        Path root = Paths.get("/project");
        DemoOptions d = DemoOptions.parse(new String[0], root);
        Assert.assertFalse(d.isFullMnist());
        Assert.assertFalse(d.isRetrain());
        Assert.assertEquals(d.getEpochs(), 3);
        Assert.assertEquals(d.getFinetuneEpochs(), 3);
        Assert.assertEquals(d.getCache(), root.resolve("target/demo-cache"));
        Assert.assertEquals(d.getResults(), root.resolve("results/demo"));
        Assert.assertNull(d.getPublish());
        Assert.assertEquals(d.getDataset(), DemoDataset.MNIST);
        Assert.assertEquals(
                d.getModelCache("PyTorch", 16),
                root.resolve("target/demo-cache/pytorch-mnist10k-w16-e3"));

        DemoOptions o =
                DemoOptions.parse(
                        new String[] {
                            "--retrain", "--full-mnist", "--epochs", "5", "--finetune-epochs", "2",
                            "--cache", "c", "--publish", "docs/demo", "--note", "a note"
                        },
                        root);
        Assert.assertTrue(o.isRetrain());
        Assert.assertTrue(o.isFullMnist());
        Assert.assertEquals(o.getEpochs(), 5);
        Assert.assertEquals(o.getFinetuneEpochs(), 2);
        Assert.assertEquals(o.getCache(), root.resolve("c"));
        Assert.assertEquals(o.getPublish(), root.resolve("docs/demo"));
        Assert.assertEquals(o.getNote(), "a note");

        Assert.assertEquals(o.getModelCache("MXNet", 8), root.resolve("c/mxnet-mnist-w8-e5"));

        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--fast"}, root), "option '--fast'");
        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--epochs", "0"}, root), "value '0'");
        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--epochs", "x"}, root), "value 'x'");
        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--cache"}, root), "needs a value");
    }

    @Test
    public void datasetOptionKeepsCacheAndResultsApart() {
        Path root = Paths.get("/project");
        DemoOptions f = DemoOptions.parse(new String[] {"--dataset", "fashion"}, root);
        Assert.assertEquals(f.getDataset(), DemoDataset.FASHION);
        Assert.assertEquals(f.getResults(), root.resolve("results/demo/fashion-mnist"));
        Assert.assertEquals(f.getCache(), root.resolve("target/demo-cache"));
        Assert.assertEquals(
                f.getModelCache("PyTorch", 16),
                root.resolve("target/demo-cache/pytorch-fashion-mnist-w16-e3"));
        Assert.assertFalse(f.isFullMnist());

        DemoOptions q = DemoOptions.parse(new String[] {"--quick", "--dataset", "FASHION"}, root);
        Assert.assertEquals(q.getDataset(), DemoDataset.FASHION);
        Assert.assertEquals(q.getResults(), root.resolve("results/demo-quick/fashion-mnist"));
        Assert.assertEquals(
                q.getModelCache("PyTorch", 16),
                root.resolve("target/demo-cache/pytorch-fashion-mnist-quick-w16-e3"));
        Assert.assertEquals(q.getTrainLimit(), DemoOptions.QUICK_TRAIN);

        DemoOptions m = DemoOptions.parse(new String[] {"--quick", "--dataset", "mnist"}, root);
        Assert.assertEquals(m.getDataset(), DemoDataset.MNIST);
        Assert.assertEquals(m.getResults(), root.resolve("results/demo-quick"));
        Assert.assertEquals(
                m.getModelCache("PyTorch", 16),
                root.resolve("target/demo-cache/pytorch-mnist10k-quick-w16-e3"));

        // an explicit results folder is taken as it is
        DemoOptions r =
                DemoOptions.parse(new String[] {"--dataset", "fashion", "--results", "out"}, root);
        Assert.assertEquals(r.getResults(), root.resolve("out"));

        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--dataset", "cifar"}, root),
                "value 'cifar' of --dataset is not accepted; mnist or fashion is");
        assertIllegalArgument(
                () -> DemoOptions.parse(new String[] {"--dataset"}, root), "needs a value");
        assertIllegalArgument(
                () ->
                        DemoOptions.parse(
                                new String[] {"--full-mnist", "--dataset", "fashion"}, root),
                "--full-mnist is not accepted with --dataset fashion");
        assertIllegalArgument(
                () ->
                        DemoOptions.parse(
                                new String[] {"--dataset", "fashion", "--full-mnist"}, root),
                "--full-mnist is not accepted with --dataset fashion");
        Assert.assertTrue(DemoOptions.USAGE.contains("--dataset NAME"), DemoOptions.USAGE);
    }

    /** Reads a whole split in order and checks its size, image shape, range and labels. */
    private int[] classCounts(ArrayDataset data, int expectedSize)
            throws IOException, TranslateException {
        Assert.assertEquals(data.size(), expectedSize);
        int[] counts = new int[10];
        int seen = 0;
        for (Batch batch : data.getData(manager)) {
            try (batch) {
                NDArray x = batch.getData().singletonOrThrow();
                Assert.assertEquals(x.getShape().slice(1), new Shape(1, 28, 28));
                Assert.assertEquals(x.getDataType(), DataType.FLOAT32);
                Assert.assertTrue(x.min().getFloat() >= 0f);
                Assert.assertTrue(x.max().getFloat() <= 1f);
                for (float label : batch.getLabels().singletonOrThrow().toFloatArray()) {
                    int c = (int) label;
                    Assert.assertEquals(label, (float) c, "label " + label + " is not whole");
                    counts[c]++;
                    seen++;
                }
            }
        }
        Assert.assertEquals(seen, expectedSize);
        return counts;
    }

    @Test
    public void fashionSubsetLoadsBalancedWithItsLabelsAndPixels()
            throws IOException, TranslateException {
        ArrayDataset train =
                MnistData.load(
                        DemoDataset.FASHION,
                        Dataset.Usage.TRAIN,
                        1000,
                        false,
                        false,
                        Long.MAX_VALUE);
        int[] counts = classCounts(train, 10_000);
        for (int c = 0; c < 10; c++) {
            Assert.assertEquals(counts[c], 1000, "training images of class " + c);
        }
        // classes interleaved: the first ten images are classes 0 to 9, the first of each in the
        // full training set; the first (class 0, index 1 of the full set) sums to 84,598 grey
        // levels
        Record first = train.get(manager, 0);
        // a record as stored (batches go through the ToTensor pipeline to (1, 28, 28) in [0, 1])
        Assert.assertEquals(first.getData().singletonOrThrow().getShape(), new Shape(28, 28, 1));
        Assert.assertEquals(first.getData().singletonOrThrow().sum().getFloat(), 84_598f, 1e-2);
        for (int i = 0; i < 10; i++) {
            Assert.assertEquals(
                    train.get(manager, i).getLabels().singletonOrThrow().getFloat(), (float) i);
        }

        ArrayDataset test =
                MnistData.load(
                        DemoDataset.FASHION, Dataset.Usage.TEST, 500, false, false, Long.MAX_VALUE);
        counts = classCounts(test, 2_000);
        for (int c = 0; c < 10; c++) {
            Assert.assertEquals(counts[c], 200, "test images of class " + c);
        }
        Assert.assertEquals(
                test.get(manager, 0).getData().singletonOrThrow().sum().getFloat(), 83_873f, 1e-2);

        // a quick run's prefix is balanced too
        ArrayDataset quick =
                MnistData.load(
                        DemoDataset.FASHION,
                        Dataset.Usage.TRAIN,
                        256,
                        false,
                        false,
                        DemoOptions.QUICK_TRAIN);
        counts = classCounts(quick, DemoOptions.QUICK_TRAIN);
        for (int c = 0; c < 10; c++) {
            Assert.assertEquals(counts[c], c < 4 ? 103 : 102, "quick images of class " + c);
        }

        IllegalArgumentException e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () ->
                                MnistData.load(
                                        DemoDataset.FASHION,
                                        Dataset.Usage.TEST,
                                        1,
                                        false,
                                        true,
                                        1));
        Assert.assertTrue(e.getMessage().contains("not available for fashion"), e.getMessage());
    }

    @Test
    public void mnistSubsetStillLoads() throws IOException, TranslateException {
        ArrayDataset test =
                MnistData.load(
                        DemoDataset.MNIST, Dataset.Usage.TEST, 500, false, false, Long.MAX_VALUE);
        Assert.assertTrue(test instanceof Mnist, test.getClass().getName());
        Assert.assertEquals(
                classCounts(test, 1_996),
                new int[] {200, 225, 198, 206, 196, 172, 202, 214, 188, 195});
        Assert.assertEquals(
                test.get(manager, 0).getData().singletonOrThrow().sum().getFloat(), 45_543f, 1e-2);
    }

    @Test
    public void compactResNetClassifiesDigitSizedImages() {
        SequentialBlock net = CompactResNet.build(4, 10);
        Shape in = new Shape(2, 1, 28, 28);
        net.initialize(manager, DataType.FLOAT32, in);
        NDList out =
                net.forward(
                        new ParameterStore(manager, false),
                        new NDList(randn(1, DataType.FLOAT32, 2, 1, 28, 28)),
                        false);
        Assert.assertEquals(out.singletonOrThrow().getShape(), new Shape(2, 10));
        int convs = 0;
        for (LayerCost c : CostCounter.layers(net, in)) {
            if (c.getBlock() instanceof Convolution) {
                convs++;
            }
        }
        // stem, 4 units of two 3×3 convolutions, 2 projection shortcuts
        Assert.assertEquals(convs, 11);
        assertIllegalArgument(() -> CompactResNet.build(0, 10), "stem channels 0");
    }

    @Test
    public void chartsAreWrittenAsPng() throws IOException {
        Path dir = Files.createTempDirectory("demo-charts");
        try {
            List<Path> files = DemoCharts.write(table(), dir);
            Assert.assertEquals(files.size(), 2);
            for (Path f : files) {
                byte[] head = Files.readAllBytes(f);
                Assert.assertTrue(head.length > 1000, f + " is too small");
                Assert.assertEquals(head[1], (byte) 'P', f + " is not a PNG");
                Assert.assertEquals(head[2], (byte) 'N', f + " is not a PNG");
                Files.delete(f);
            }
        } finally {
            Files.delete(dir);
        }
    }
}
