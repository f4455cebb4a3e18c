package org.lowrank4j.engine;

import ai.djl.engine.Engine;
import java.util.List;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The engine check: a sound engine passes, and wrong results of any kind are caught and named. */
public class EngineCheckTest extends EngineTestBase {

    private static final String FIRST_CONV = "conv1d in (2, 30, 12) weight (11, 30, 3)";

    @Test
    public void theEngineTheSuiteRunsOnIsSound() {
        EngineHealth health = EngineCheck.check(manager);
        Assert.assertTrue(health.isSound(), health.toString());
        Assert.assertEquals(health.getComputations(), 7);
        Assert.assertEquals(health.getEngineName(), engine());
        Assert.assertEquals(health.getRemedy(), "");
        Assert.assertTrue(health.getRemedyEnvironment().isEmpty());
        Assert.assertTrue(health.toString().contains("sound"), health.toString());
    }

    @Test
    public void aWrongConvolutionIsDetectedAndNamed() {
        // a quarter of the outputs halved: relative error about 0.5 * sqrt(1/4) = 0.25
        EngineHealth health =
                EngineCheck.check(
                        manager,
                        (name, result) -> {
                            if (!name.startsWith(FIRST_CONV)) {
                                return result;
                            }
                            float[] wrong = result.clone();
                            for (int i = 0; i < wrong.length; i += 4) {
                                wrong[i] *= 0.5f;
                            }
                            return wrong;
                        });
        Assert.assertFalse(health.isSound());
        List<EngineFault> faults = health.getFaults();
        Assert.assertEquals(faults.size(), 1, faults.toString());
        Assert.assertTrue(faults.get(0).computation().startsWith(FIRST_CONV), faults.toString());
        Assert.assertEquals(faults.get(0).relativeError(), 0.25, 0.05);
        Assert.assertTrue(health.toString().contains("FAULTY"), health.toString());
        Assert.assertFalse(health.getRemedy().isEmpty());
    }

    @Test
    public void aNaNOrAWrongSizeIsAFault() {
        EngineHealth health =
                EngineCheck.check(
                        manager,
                        (name, result) -> {
                            float[] wrong = result.clone();
                            if (name.startsWith("matMul")) {
                                wrong[3] = Float.NaN;
                                return wrong;
                            }
                            if (name.startsWith("conv2d") && name.contains("groups 24")) {
                                return new float[result.length - 1];
                            }
                            return result;
                        });
        Assert.assertEquals(health.getFaults().size(), 2, health.getFaults().toString());
        for (EngineFault f : health.getFaults()) {
            Assert.assertTrue(Double.isNaN(f.relativeError()), f.toString());
        }
    }

    @Test
    public void anErrorWithinFloat32RoundingIsNotAFault() {
        // 1e-5 relative noise: well above float32 rounding, far below the tolerance
        EngineHealth health =
                EngineCheck.check(
                        manager,
                        (name, result) -> {
                            float[] noisy = result.clone();
                            for (int i = 0; i < noisy.length; i++) {
                                noisy[i] *= 1 + ((i % 2 == 0) ? 1e-5f : -1e-5f);
                            }
                            return noisy;
                        });
        Assert.assertTrue(health.isSound(), health.toString());
        // while 2e-3 everywhere is one
        EngineHealth off =
                EngineCheck.check(
                        manager,
                        (name, result) -> {
                            float[] scaled = result.clone();
                            for (int i = 0; i < scaled.length; i++) {
                                scaled[i] *= 1.002f;
                            }
                            return scaled;
                        });
        Assert.assertEquals(off.getFaults().size(), 7, off.toString());
    }

    @Test
    public void theRemedyNamesTheEngineSetting() {
        EngineHealth health =
                EngineCheck.check(manager, (name, result) -> new float[result.length]);
        Assert.assertEquals(health.getFaults().size(), 7);
        boolean knownRemedy =
                "PyTorch".equals(engine())
                        && !EngineCheck.SAFE_ISA.equals(System.getenv(EngineCheck.ISA_VARIABLE));
        if (knownRemedy) {
            Assert.assertEquals(
                    health.getRemedyEnvironment().get(EngineCheck.ISA_VARIABLE),
                    EngineCheck.SAFE_ISA);
            Assert.assertTrue(health.getRemedy().contains("ONEDNN_MAX_CPU_ISA=SSE41"));
        } else {
            Assert.assertTrue(health.getRemedyEnvironment().isEmpty());
            Assert.assertTrue(health.getRemedy().contains("another engine"), health.getRemedy());
        }
    }

    @Test
    public void verifyChecksOncePerEngine() {
        Engine e = Engine.getInstance();
        EngineHealth first = EngineCheck.verify(e);
        Assert.assertSame(EngineCheck.verify(e), first);
        Assert.assertTrue(first.isSound(), first.toString());
    }

    @Test
    public void theSimulatedFaultIsReported() {
        String previous = System.getProperty(EngineCheck.SIMULATE_FAULT_PROPERTY);
        System.setProperty(EngineCheck.SIMULATE_FAULT_PROPERTY, "true");
        try {
            EngineHealth health = EngineCheck.check(manager);
            Assert.assertEquals(health.getFaults().size(), 1, health.toString());
            Assert.assertTrue(health.getFaults().get(0).computation().startsWith(FIRST_CONV));
        } finally {
            if (previous == null) {
                System.clearProperty(EngineCheck.SIMULATE_FAULT_PROPERTY);
            } else {
                System.setProperty(EngineCheck.SIMULATE_FAULT_PROPERTY, previous);
            }
        }
    }
}
