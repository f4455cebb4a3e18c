package org.lowrank4j.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.Assert;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeMethod;

/** Gives every test a fresh manager on the engine under test, and numeric helpers. */
public abstract class EngineTestBase {

    /** The manager of the running test; closed after it. */
    protected NDManager manager;

    /**
     * Opens the test's manager and seeds the engine's random generators, so that what a test draws
     * does not depend on which tests ran before it.
     */
    @BeforeMethod
    public void openManager() {
        Engine.getInstance().setRandomSeed(SEED);
        manager = NDManager.newBaseManager();
    }

    /** The seed of the engine's random generators at the start of every test. */
    private static final int SEED = 1234;

    @AfterMethod(alwaysRun = true)
    public void closeManager() {
        manager.close();
    }

    /** Returns the name of the engine under test. */
    protected static String engine() {
        return Engine.getInstance().getEngineName();
    }

    /** Seeded standard normal array made on the host. */
    protected NDArray randn(long seed, DataType type, long... shape) {
        Random random = new Random(seed);
        Shape s = new Shape(shape);
        double[] v = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        NDArray a = manager.create(v, s);
        return type == DataType.FLOAT64 ? a : a.toType(type, false);
    }

    /** Runs a block in inference on one input and returns its one output. */
    protected NDArray infer(Block block, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow();
    }

    /**
     * Initialises a block and moves its biases, batch-norm shifts and running means away from their
     * defaults (seeded), so that every parameter matters to the output.
     */
    protected Block initialised(Block block, Shape shape) {
        block.initialize(manager, DataType.FLOAT32, shape);
        int i = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            String name = p.getKey();
            if (name.endsWith("bias") || name.endsWith("beta") || name.endsWith("runningMean")) {
                a.addi(randn(100 + i++, DataType.FLOAT32, a.getShape().getShape()).mul(0.1f));
            }
        }
        return block;
    }

    /** Frobenius norm of {@code a - b} divided by the norm of {@code b}, in double precision. */
    protected static double relError(NDArray a, NDArray b) {
        Assert.assertEquals(a.getShape(), b.getShape(), "shapes differ");
        double[] x = a.toType(DataType.FLOAT64, true).toDoubleArray();
        double[] y = b.toType(DataType.FLOAT64, true).toDoubleArray();
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return Math.sqrt(num / den);
    }

    /** Asserts {@code relError(actual, expected) <= tol}, naming the engine. */
    protected static void assertClose(NDArray actual, NDArray expected, double tol) {
        double err = relError(actual, expected);
        Assert.assertTrue(err <= tol, "relative error " + err + " > " + tol + " on " + engine());
    }

    /**
     * Asserts that running {@code body} throws an IllegalArgumentException mentioning {@code text}.
     */
    protected static void assertIllegalArgument(Runnable body, String text) {
        IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class, body::run);
        Assert.assertTrue(
                e.getMessage() != null && e.getMessage().contains(text),
                "message '" + e.getMessage() + "' does not mention '" + text + "'");
    }

    /**
     * Asserts that running {@code body} throws an IllegalStateException mentioning {@code text}.
     */
    protected static void assertIllegalState(Runnable body, String text) {
        IllegalStateException e = Assert.expectThrows(IllegalStateException.class, body::run);
        Assert.assertTrue(
                e.getMessage() != null && e.getMessage().contains(text),
                "message '" + e.getMessage() + "' does not mention '" + text + "'");
    }

    /**
     * Asserts that {@code body} throws an IllegalArgumentException mentioning {@code text} and
     * leaves every parameter of {@code block} as it was (values and whether it is set).
     */
    protected static void assertRefusedUnchanged(Block block, Runnable body, String text) {
        List<double[]> before = parameterValues(block);
        assertIllegalArgument(body, text);
        List<double[]> after = parameterValues(block);
        Assert.assertEquals(after.size(), before.size(), "parameters added or removed");
        for (int i = 0; i < before.size(); i++) {
            Assert.assertEquals(after.get(i), before.get(i), "parameter " + i + " changed");
        }
    }

    /** The values of a block's parameters in order, null for a parameter without an array. */
    protected static List<double[]> parameterValues(Block block) {
        List<double[]> values = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            values.add(
                    parameter.isInitialized()
                            ? parameter.getArray().toType(DataType.FLOAT64, true).toDoubleArray()
                            : null);
        }
        return values;
    }
}
