package org.lowrank4j.cost;

import java.util.Objects;

/**
 * What a measured latency depends on: the block's configuration with its input shapes, the engine,
 * the device and the number of threads. Two blocks of the same configuration share a measurement;
 * anything else that differs makes another key.
 */
public final class LatencyKey {

    private final String config;
    private final String engine;
    private final String device;
    private final int threads;

    private LatencyKey(String config, String engine, String device, int threads) {
        this.config = config;
        this.engine = engine;
        this.device = device;
        this.threads = threads;
    }

    /**
     * Returns a key.
     *
     * @param config the block's configuration and input shapes, as {@link LatencyMeter#signature}
     *     writes them
     * @param engine the engine's name and version
     * @param device the device
     * @param threads the number of threads, at least 1
     * @return the key
     * @throws IllegalArgumentException if a string is {@code null} or the threads are below 1
     */
    public static LatencyKey of(String config, String engine, String device, int threads) {
        if (config == null || engine == null || device == null || threads < 1) {
            throw new IllegalArgumentException(
                    "latency key ("
                            + config
                            + ", "
                            + engine
                            + ", "
                            + device
                            + ", "
                            + threads
                            + " threads) is not accepted; a configuration, an engine, a device and"
                            + " at least 1 thread are");
        }
        return new LatencyKey(config, engine, device, threads);
    }

    /**
     * Returns the block's configuration and input shapes.
     *
     * @return the configuration
     */
    public String getConfig() {
        return config;
    }

    /**
     * Returns the engine's name and version.
     *
     * @return the engine
     */
    public String getEngine() {
        return engine;
    }

    /**
     * Returns the device.
     *
     * @return the device
     */
    public String getDevice() {
        return device;
    }

    /**
     * Returns the number of threads.
     *
     * @return the threads
     */
    public int getThreads() {
        return threads;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LatencyKey)) {
            return false;
        }
        LatencyKey k = (LatencyKey) o;
        return threads == k.threads
                && config.equals(k.config)
                && engine.equals(k.engine)
                && device.equals(k.device);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Objects.hash(config, engine, device, threads);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return config + " on " + engine + ", " + device + ", " + threads + " threads";
    }
}
