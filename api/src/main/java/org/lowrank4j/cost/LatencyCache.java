package org.lowrank4j.cost;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Measured latencies by {@link LatencyKey}, in milliseconds. A cache can be shared by several
 * {@link LatencyMeter}s (other thread counts, other devices): their keys differ, so they never mix
 * measurements. It is safe for concurrent use.
 */
public final class LatencyCache {

    private final Map<LatencyKey, Double> values = new ConcurrentHashMap<>();

    /** Creates an empty cache. */
    public LatencyCache() {}

    /**
     * Returns the cached latency of a key.
     *
     * @param key the key
     * @return the latency in milliseconds, NaN if not measured
     */
    public double get(LatencyKey key) {
        Double v = values.get(key);
        return v == null ? Double.NaN : v;
    }

    /**
     * Records a latency, replacing any earlier one.
     *
     * @param key the key
     * @param millis the latency in milliseconds, finite and at least 0
     * @throws IllegalArgumentException if the latency is negative or not finite
     */
    public void put(LatencyKey key, double millis) {
        if (!Double.isFinite(millis) || millis < 0) {
            throw new IllegalArgumentException(
                    "latency " + millis + " ms is not accepted; a finite value >= 0 is");
        }
        values.put(key, millis);
    }

    /**
     * Returns the cached latency of a key, measuring it first if it is not cached.
     *
     * @param key the key
     * @param measure measures the latency in milliseconds
     * @return the latency
     */
    public double computeIfAbsent(LatencyKey key, Function<LatencyKey, Double> measure) {
        return values.computeIfAbsent(key, measure);
    }

    /**
     * Returns how many latencies are cached.
     *
     * @return the size
     */
    public int size() {
        return values.size();
    }

    /**
     * Returns a snapshot of the cache.
     *
     * @return the latencies by key
     */
    public Map<LatencyKey, Double> asMap() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Forgets every latency. */
    public void clear() {
        values.clear();
    }
}
