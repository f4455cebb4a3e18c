package org.lowrank4j.factorize;

import java.util.List;
import org.lowrank4j.testing.ChildJvm;
import org.testng.Assert;
import org.testng.annotations.Test;

/** A faulty engine is never used silently: the factorizer warns and notes it in the report. */
public class FaultyEngineFactorizerTest {

    @Test
    public void theReportAndTheLogNameAFaultyEngine() throws Exception {
        String out = ChildJvm.run(true, ChildJvm.SIMULATED_FAULT, FactorizeOnFaultyEngine.class);
        Assert.assertTrue(
                out.contains("WARN org.lowrank4j.engine.EngineCheck - Engine check: PyTorch"), out);
        Assert.assertTrue(out.contains("note: the engine check found the engine faulty"), out);
        Assert.assertTrue(out.contains("ONEDNN_MAX_CPU_ISA=SSE41"), out);
    }

    @Test
    public void aSoundEngineAddsNoNote() throws Exception {
        String out = ChildJvm.run(false, List.of(), FactorizeOnFaultyEngine.class);
        Assert.assertFalse(out.contains("engine check found"), out);
        Assert.assertFalse(out.contains("WARN org.lowrank4j.engine"), out);
        Assert.assertTrue(out.contains("swapped: "), out);
    }
}
