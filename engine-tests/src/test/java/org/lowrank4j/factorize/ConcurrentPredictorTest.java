package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * A factorized model saved, restored and loaded the normal way, then served by eight threads with a
 * predictor each (as DJL Serving's workers do): every output equals the single-threaded one.
 */
public class ConcurrentPredictorTest extends EngineTestBase {

    private static final Shape IMAGE = new Shape(2, 3, 8, 8);
    private static final int THREADS = 8;
    private static final int PREDICTIONS = 50;

    @DataProvider
    public Object[][] methods() {
        List<Object[]> rows = new ArrayList<>();
        for (ConvImplementation impl :
                List.of(ConvImplementation.AUTO, ConvImplementation.FACTORIZED)) {
            rows.add(new Object[] {"low-rank", LayerMethods.lowRank(), impl});
            for (Factorization f :
                    List.of(Factorization.CP, Factorization.TUCKER, Factorization.TT)) {
                rows.add(new Object[] {f.name(), LayerMethods.forConv(f), impl});
            }
        }
        return rows.toArray(new Object[0][]);
    }

    @Test(dataProvider = "methods")
    public void predictorsOnThreadsAgreeWithOne(
            String label, LayerMethod method, ConvImplementation impl) throws Exception {
        Block net = initialised(Nets.resnet(), IMAGE);
        FactorizeReport report =
                Factorizer.builder()
                        .setPolicy(
                                FactorizePolicy.builder()
                                        .setRank(Rank.fraction(0.5))
                                        .optConvMethod(method)
                                        .optImplementation(impl)
                                        .optOnlyIfCheaper(false)
                                        .build())
                        .build()
                        .factorize(net);
        Assert.assertFalse(report.getSwapped().isEmpty(), label + ": nothing swapped");
        Path dir = Files.createTempDirectory("concurrent");
        try (Model model = Model.newInstance("net")) {
            model.setBlock(net);
            model.save(dir, "net");
        }
        Block fresh = Nets.resnet();
        Factorizer.restore(fresh, report.getPlan());
        float[] data = randn(9, DataType.FLOAT32, IMAGE.getShape()).toFloatArray();
        try (Model model = Model.newInstance("net")) {
            model.setBlock(fresh);
            model.load(dir, "net");
            float[] expected = predict(model, data);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    results.add(
                            pool.submit(
                                    () -> {
                                        int wrong = 0;
                                        for (int i = 0; i < PREDICTIONS; i++) {
                                            if (!Arrays.equals(predict(model, data), expected)) {
                                                wrong++;
                                            }
                                        }
                                        return wrong;
                                    }));
                }
                int wrong = 0;
                for (Future<Integer> r : results) {
                    wrong += r.get(5, TimeUnit.MINUTES);
                }
                Assert.assertEquals(
                        wrong, 0, label + " " + impl + ": outputs that differ, on " + engine());
            } finally {
                pool.shutdownNow();
            }
            Assert.assertEquals(predict(model, data), expected, "after the concurrent run");
        }
    }

    /** One prediction with a predictor of its own, as a serving worker makes it. */
    private static float[] predict(Model model, float[] data) throws Exception {
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            NDArray x = model.getNDManager().create(data, IMAGE);
            try {
                NDList out = predictor.predict(new NDList(x));
                float[] v = out.singletonOrThrow().toFloatArray();
                out.close();
                return v;
            } finally {
                x.close();
            }
        }
    }
}
