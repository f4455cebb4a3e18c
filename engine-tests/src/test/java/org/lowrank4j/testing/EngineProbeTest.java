package org.lowrank4j.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.lowrank4j.engine.EngineCheck;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * The probe that sets the test runs' oneDNN setting, on a sound and on a (simulated) faulty engine.
 */
public class EngineProbeTest {

    @Test
    public void aFaultyPyTorchGetsTheRemedyAndMXNetKeepsItsSetting() throws Exception {
        Properties p = probe(true, ChildJvm.SIMULATED_FAULT, "faulty");
        Assert.assertEquals(p.getProperty("lowrank4j.pytorch.isa"), EngineCheck.SAFE_ISA);
        // no setting of MXNet is known to help, so its tests keep oneDNN's default
        Assert.assertEquals(p.getProperty("lowrank4j.mxnet.isa"), "ALL");
    }

    @Test
    public void aSoundEngineKeepsItsSetting() throws Exception {
        // the setting the build chose for PyTorch: the remedy on a machine that needs it, else the
        // default; the child inherits it, and MXNet keeps what it inherits
        String current = ChildJvm.pytorchIsa();
        String expected = current == null || current.isEmpty() ? "ALL" : current;
        Properties p = probe(false, List.of(), "sound");
        Assert.assertEquals(p.getProperty("lowrank4j.pytorch.isa"), expected);
        Assert.assertEquals(p.getProperty("lowrank4j.mxnet.isa"), expected);
    }

    private static Properties probe(boolean clearIsa, List<String> options, String verdict)
            throws Exception {
        Path file = Files.createTempFile("engine-check", ".properties");
        try {
            String out =
                    ChildJvm.run(
                            clearIsa,
                            options,
                            EngineProbe.class,
                            file.toString(),
                            "PyTorch",
                            "MXNet");
            Assert.assertTrue(
                    out.contains(
                            "Engine check before the PyTorch tests: "
                                    + ("sound".equals(verdict) ? "sound" : "PyTorch")),
                    out);
            if (!"sound".equals(verdict)) {
                Assert.assertTrue(out.contains("FAULTY"), out);
                Assert.assertTrue(out.contains("tests run with ONEDNN_MAX_CPU_ISA=SSE41"), out);
            }
            Properties p = new Properties();
            p.load(Files.newBufferedReader(file, StandardCharsets.UTF_8));
            return p;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
