package org.lowrank4j.examples;

import java.util.List;
import org.lowrank4j.testing.ChildJvm;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The remedy the demo and the benchmarks apply: a child JVM with the engine setting. */
public class EngineRemedyTest {

    @Test
    public void aFaultyEngineRunsTheProgramAgainWithTheRemedy() throws Exception {
        String out = ChildJvm.run(true, ChildJvm.SIMULATED_FAULT, RemedyEcho.class);
        Assert.assertTrue(out.contains("FAULTY"), out);
        Assert.assertTrue(out.contains("Applying the remedy"), out);
        Assert.assertTrue(out.contains("ran with ONEDNN_MAX_CPU_ISA=SSE41"), out);
        Assert.assertTrue(out.contains("parent finished after the child"), out);
        // the child runs once: with the remedy applied it does not relaunch again
        Assert.assertEquals(out.split("Applying the remedy", -1).length, 2, out);
    }

    @Test
    public void asIsRunsTheEngineUnchanged() throws Exception {
        String out = ChildJvm.run(true, ChildJvm.SIMULATED_FAULT, RemedyEcho.class, "as-is");
        Assert.assertTrue(out.contains("Running the engine as it is"), out);
        Assert.assertTrue(out.contains("ran with ONEDNN_MAX_CPU_ISA=null"), out);
        Assert.assertFalse(out.contains("Applying the remedy"), out);
    }

    @Test
    public void aSoundEngineRunsInPlace() throws Exception {
        // with the setting the build chose for PyTorch (the remedy where the machine needs it)
        String out = ChildJvm.run(false, List.of(), RemedyEcho.class);
        Assert.assertTrue(out.contains("Engine check: PyTorch"), out);
        Assert.assertTrue(out.contains("sound"), out);
        Assert.assertFalse(out.contains("Applying the remedy"), out);
        Assert.assertTrue(
                out.contains("ran with ONEDNN_MAX_CPU_ISA=" + ChildJvm.pytorchIsa()), out);
    }
}
