package org.lowrank4j.testing;

import ai.djl.engine.Engine;
import org.lowrank4j.engine.EngineCheck;
import org.testng.ISuite;
import org.testng.ISuiteListener;
import org.testng.ITestResult;
import org.testng.TestListenerAdapter;

/**
 * Prints the engine a suite runs on with the engine check's verdict (a faulty engine fails the
 * numerical tests, and this line says why), and names the engine in every failure.
 */
public final class EngineListener extends TestListenerAdapter implements ISuiteListener {

    /** {@inheritDoc} */
    @Override
    public void onStart(ISuite suite) {
        Engine engine = Engine.getInstance();
        System.out.println("Lowrank4J engine tests; engine check: " + EngineCheck.verify(engine));
    }

    /** {@inheritDoc} */
    @Override
    public void onFinish(ISuite suite) {}

    /** {@inheritDoc} */
    @Override
    public void onTestFailure(ITestResult result) {
        System.out.println(
                "FAILED on "
                        + Engine.getInstance().getEngineName()
                        + ": "
                        + result.getTestClass().getName()
                        + "."
                        + result.getName());
    }
}
