package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * One block shared by eight threads, each with its own manager and parameter store (as DJL's
 * predictors and serving workers share a model): every output is bit-identical to the
 * single-threaded one, nothing throws, and the block is sound afterwards.
 */
public class ConcurrentInferenceTest extends EngineTestBase {

    private static final int THREADS = 8;
    private static final int PASSES = 200;

    /** One case: a label, the block built on a manager, and its input's shape and type. */
    private record Case(
            String label, Function<NDManager, Block> block, Shape input, DataType type) {
        @Override
        public String toString() {
            return label;
        }
    }

    @DataProvider
    public Object[][] cases() {
        List<Case> cases = new ArrayList<>();
        Shape image = new Shape(2, 8, 6, 6);
        for (Factorization f : List.of(Factorization.CP, Factorization.TUCKER, Factorization.TT)) {
            List<ConvImplementation> impls =
                    new ArrayList<>(
                            List.of(
                                    ConvImplementation.FACTORIZED,
                                    ConvImplementation.RECONSTRUCTED,
                                    ConvImplementation.AUTO));
            if (f == Factorization.CP) {
                impls.add(ConvImplementation.MOBILENET);
            }
            for (ConvImplementation impl : impls) {
                cases.add(
                        new Case(
                                f + " conv " + impl,
                                m -> conv(m, f, impl, image),
                                image,
                                DataType.FLOAT32));
                if (impl != ConvImplementation.MOBILENET) {
                    cases.add(
                            new Case(
                                    f + " linear " + impl,
                                    m -> linear(m, f, impl),
                                    new Shape(3, 32),
                                    DataType.FLOAT32));
                }
            }
            cases.add(new Case(f + " embedding", m -> embedding(m, f), new Shape(2, 5), null));
        }
        cases.add(
                new Case(
                        "low-rank conv",
                        ConcurrentInferenceTest::lowRankConv,
                        image,
                        DataType.FLOAT32));
        cases.add(
                new Case(
                        "low-rank linear",
                        ConcurrentInferenceTest::lowRankLinear,
                        new Shape(3, 32),
                        DataType.FLOAT32));
        Object[][] rows = new Object[cases.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new Object[] {cases.get(i)};
        }
        return rows;
    }

    @Test(dataProvider = "cases")
    public void aSharedBlockGivesTheSameOutputsOnEveryThread(Case c) throws Exception {
        Block block = c.block().apply(manager);
        float[] data = inputData(c);
        float[] expected = forward(block, manager, data, c);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit(worker(block, data, expected, c)));
            }
            List<String> problems = new ArrayList<>();
            for (Future<String> r : results) {
                String problem = r.get(5, TimeUnit.MINUTES);
                if (problem != null) {
                    problems.add(problem);
                }
            }
            Assert.assertEquals(problems, List.of(), c + " on " + engine());
        } finally {
            pool.shutdownNow();
        }
        // the block is sound afterwards, on the test's own manager
        Assert.assertTrue(
                Arrays.equals(forward(block, manager, data, c), expected),
                c + ": the output changed after the concurrent passes");
    }

    /** A thread's passes: null if every output equals the expected one, else what went wrong. */
    private static Callable<String> worker(Block block, float[] data, float[] expected, Case c) {
        return () -> {
            int mismatches = 0;
            try (NDManager own = NDManager.newBaseManager()) {
                for (int i = 0; i < PASSES; i++) {
                    if (!Arrays.equals(forward(block, own, data, c), expected)) {
                        mismatches++;
                    }
                }
            } catch (RuntimeException e) {
                return Thread.currentThread().getName() + ": " + e;
            }
            return mismatches == 0
                    ? null
                    : Thread.currentThread().getName()
                            + ": "
                            + mismatches
                            + " of "
                            + PASSES
                            + " outputs differ";
        };
    }

    /** One inference pass in a scope of its own, as a predictor runs it. */
    private static float[] forward(Block block, NDManager parent, float[] data, Case c) {
        try (NDManager scope = parent.newSubManager()) {
            NDArray x = scope.create(data, c.input());
            if (c.type() == null) {
                x = x.toType(DataType.INT64, false);
            }
            NDList out = block.forward(new ParameterStore(scope, false), new NDList(x), false);
            return out.singletonOrThrow().toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    private static float[] inputData(Case c) {
        float[] v = new float[Math.toIntExact(c.input().size())];
        java.util.Random random = new java.util.Random(17);
        for (int i = 0; i < v.length; i++) {
            v[i] = c.type() == null ? random.nextInt(60) : (float) random.nextGaussian();
        }
        return v;
    }

    private static Block conv(NDManager m, Factorization f, ConvImplementation impl, Shape input) {
        FactorizedConv<?> block =
                FactorizedConv.builder()
                        .setInChannels(8)
                        .setOutChannels(8)
                        .setKernelShape(new Shape(3, 3))
                        .setFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optPadding(new Shape(1, 1))
                        .optImplementation(impl)
                        .optSeed(5)
                        .build();
        block.initialize(m, DataType.FLOAT32, input);
        return block;
    }

    private static Block linear(NDManager m, Factorization f, ConvImplementation impl) {
        FactorizedLinear block =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(new Shape(4, 8))
                        .setOutTensorizedFeatures(new Shape(4, 4))
                        .setFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optImplementation(impl)
                        .optSeed(5)
                        .build();
        block.initialize(m, DataType.FLOAT32, new Shape(3, 32));
        return block;
    }

    private static Block embedding(NDManager m, Factorization f) {
        FactorizedEmbedding block =
                FactorizedEmbedding.builder()
                        .setNumEmbeddings(60)
                        .setEmbeddingDim(12)
                        .optFactorization(f)
                        .setRank(Rank.fraction(0.5))
                        .optSeed(3)
                        .build();
        block.initialize(m, DataType.FLOAT32, new Shape(1));
        return block;
    }

    private static Block lowRankConv(NDManager m) {
        Conv2d dense =
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .optPadding(new Shape(1, 1))
                        .build();
        dense.initialize(m, DataType.FLOAT32, new Shape(2, 8, 6, 6));
        return LowRankConv.fromConv(dense, null, 3);
    }

    private static Block lowRankLinear(NDManager m) {
        Linear dense = Linear.builder().setUnits(16).build();
        dense.initialize(m, DataType.FLOAT32, new Shape(3, 32));
        return LowRankLinear.fromLinear(dense, null, 4);
    }
}
