package org.lowrank4j.engine;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@link EngineCheck} found on one engine and device: the computations that came out
 * wrong, and, where the fault is known, how to avoid it.
 *
 * <p>An engine is sound when every float32 result agrees with the double-precision reference to
 * {@link EngineCheck#TOLERANCE}. A known fault of libtorch's oneDNN on some AVX-512 CPUs computes
 * float32 convolutions wrongly (relative errors of 0.1 or more, or NaN); its remedy is to start the
 * JVM with {@code ONEDNN_MAX_CPU_ISA=SSE41} in the environment, which {@link
 * #getRemedyEnvironment()} gives so that a launcher can apply it.
 */
public final class EngineHealth {

    private final String engineName;
    private final String engineVersion;
    private final String device;
    private final int computations;
    private final List<EngineFault> faults;
    private final String isaSetting;
    private final Map<String, String> remedyEnvironment;
    private final String remedy;

    EngineHealth(
            String engineName,
            String engineVersion,
            String device,
            int computations,
            List<EngineFault> faults,
            String isaSetting,
            Map<String, String> remedyEnvironment,
            String remedy) {
        this.engineName = engineName;
        this.engineVersion = engineVersion;
        this.device = device;
        this.computations = computations;
        this.faults = List.copyOf(faults);
        this.isaSetting = isaSetting;
        this.remedyEnvironment = Map.copyOf(remedyEnvironment);
        this.remedy = remedy;
    }

    /**
     * Returns the name of the engine checked, as {@code Engine.getEngineName()} gives it.
     *
     * @return the engine's name
     */
    public String getEngineName() {
        return engineName;
    }

    /**
     * Returns the version of the engine checked.
     *
     * @return the engine's version
     */
    public String getEngineVersion() {
        return engineVersion;
    }

    /**
     * Returns the device the computations ran on.
     *
     * @return the device, e.g. {@code cpu()}
     */
    public String getDevice() {
        return device;
    }

    /**
     * Returns how many computations were compared with the reference.
     *
     * @return the number of computations
     */
    public int getComputations() {
        return computations;
    }

    /**
     * Returns the computations whose results were wrong.
     *
     * @return the faults, empty when the engine is sound
     */
    public List<EngineFault> getFaults() {
        return faults;
    }

    /**
     * Returns whether every computation agreed with the reference.
     *
     * @return true if no fault was found
     */
    public boolean isSound() {
        return faults.isEmpty();
    }

    /**
     * Returns the value of {@code ONEDNN_MAX_CPU_ISA} in the environment of this JVM, which limits
     * the instruction set of oneDNN's kernels.
     *
     * @return the setting, or {@code "default"} when it is not set
     */
    public String getIsaSetting() {
        return isaSetting;
    }

    /**
     * Returns the environment variables that avoid the fault found, for a new process (the
     * variables are read when the engine's native library starts, so they cannot be applied to a
     * running JVM).
     *
     * @return the variables and values; empty when the engine is sound or no remedy is known
     */
    public Map<String, String> getRemedyEnvironment() {
        return remedyEnvironment;
    }

    /**
     * Returns what to do about the fault found, in a sentence.
     *
     * @return the remedy; empty when the engine is sound
     */
    public String getRemedy() {
        return remedy;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        String where =
                String.format(
                        Locale.ROOT,
                        "%s %s on %s (ONEDNN_MAX_CPU_ISA %s)",
                        engineName,
                        engineVersion,
                        device,
                        isaSetting);
        if (isSound()) {
            return String.format(
                    Locale.ROOT,
                    "%s: sound, %d float32 computations agree with the float64 reference",
                    where,
                    computations);
        }
        return String.format(
                Locale.ROOT,
                "%s: FAULTY, %d of %d float32 computations are wrong (%s); %s",
                where,
                faults.size(),
                computations,
                faults.get(0),
                remedy);
    }
}
