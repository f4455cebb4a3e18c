package org.lowrank4j.factorize;

import ai.djl.engine.Engine;
import java.util.List;
import org.lowrank4j.testing.ChildJvm;
import org.testng.Assert;
import org.testng.annotations.Test;

/** What the library logs, seen in a fresh JVM on this run's engine with its loggers at DEBUG. */
public class LoggingTest {

    private static String run(String engine) throws Exception {
        return ChildJvm.run(
                false,
                List.of(
                        "-Dai.djl.default_engine=" + engine,
                        "-Dorg.slf4j.simpleLogger.log.org.lowrank4j=debug"),
                LogEcho.class);
    }

    private static void assertLogs(String out) {
        String factorizer = "org.lowrank4j.factorize.Factorizer - ";
        String[] expected = {
            "DEBUG " + factorizer + "Calibrated 7 data-aware layer(s) on 1 batch(es) in ",
            "INFO " + factorizer + "Factorized 7 of 7 candidate layer(s) in ",
            // a swapped layer at DEBUG, with its method and ranks
            "DEBUG " + factorizer + "01Conv2d: Conv2d -> LowRankConv by low-rank, ranks [",
            // kept because not cheaper: INFO
            "INFO " + factorizer + "Kept 01Conv2d dense: not cheaper at rank ",
            "INFO " + factorizer + "Factorized 0 of 7 candidate layer(s) in ",
            "; 7 kept dense",
            "INFO org.lowrank4j.factorize.FactorizedModels - Saved model 'net' with a plan of 7"
                    + " factorized layer(s) to ",
            "INFO " + factorizer + "Restored the plan: 7 factorized layer(s) {low-rank=7}",
            "INFO org.lowrank4j.factorize.FactorizedModels - Loaded model 'net' from ",
            "DEBUG org.lowrank4j.factorize.SensitivitySweep - 01Conv2d (low-rank), drop per rank: [",
            "INFO org.lowrank4j.factorize.SensitivitySweep - Swept 7 layer(s) at 14 rank(s) in all"
                    + " on 1 batch(es) in ",
            "INFO org.lowrank4j.nn.Tuning - Tuned CPConv for input (2, 3, 8, 8): RECONSTRUCTED ",
            "INFO " + factorizer + "Replaced 7 factorized block(s) by standard DJL blocks",
        };
        for (String e : expected) {
            Assert.assertTrue(out.contains(e), "missing '" + e + "' in:\n" + out);
        }
        Assert.assertFalse(out.contains("WARN org.lowrank4j"), out);
    }

    @Test
    public void everyOperationLogsOnThisEngine() throws Exception {
        assertLogs(run(Engine.getInstance().getEngineName()));
    }
}
