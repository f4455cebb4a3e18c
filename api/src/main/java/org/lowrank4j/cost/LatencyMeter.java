package org.lowrank4j.cost;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.lowrank4j.engine.EngineCheck;
import org.lowrank4j.internal.Engines;

/**
 * Measures the inference latency of any block on the engine, device and thread count it runs on,
 * with a given input shape: warm-up runs, then timed runs, and the median. Results are cached by
 * {@link LatencyKey} (the block's configuration with its input shapes, the engine, the device and
 * the threads), so each configuration is timed once.
 *
 * <p>A meter checks the default engine with {@link EngineCheck#verify} when it is built, and the
 * engine of every block it measures before measuring it (each engine once per JVM), which logs a
 * warning naming the fault and its remedy when the engine computes wrongly on this machine; {@link
 * #time}, the single pass that tuning loops call many times, adds no check of its own.
 *
 * <pre>{@code
 * LatencyMeter meter = LatencyMeter.builder().optRepeats(20).build();
 * double dense = meter.measure(conv, new Shape(1, 64, 56, 56));
 * double factorized = meter.measure(lowRankConv, new Shape(1, 64, 56, 56));
 * }</pre>
 *
 * <p>The configuration of a block ({@link #signature}) is its class, the settings of known layers
 * (convolution kernel, stride, padding, dilation, groups; for factorized convolutions and linear
 * layers also the format, ranks and implementation, and for {@code AUTO} what it runs on the
 * input), the names and shapes of its parameters and, recursively, its children; a block type whose
 * forward pass depends on settings none of these show should include them in its {@code
 * toString()}, which the signature of an unknown type adds. Inputs are random, of the data type of
 * the block's first parameter, on its device.
 */
public final class LatencyMeter {

    /** The {@code waitToRead} method of each array class seen, if it has one. */
    private static final Map<Class<?>, Optional<Method>> WAIT_METHODS = new ConcurrentHashMap<>();

    private final int warmup;
    private final int repeats;
    private final int threads;
    private final LatencyCache cache;
    private final BlockTimer timer;

    private LatencyMeter(Builder b) {
        warmup = b.warmup;
        repeats = b.repeats;
        threads = b.threads;
        cache = b.cache;
        LongSupplier clock = b.clock;
        timer = b.timer != null ? b.timer : (block, inputs) -> timeOnce(block, inputs, clock);
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the median latency of a block's forward pass, measuring it unless its key is cached.
     *
     * @param block the block, initialised
     * @param inputShapes the shapes of its inputs, batch included
     * @return the latency in milliseconds
     * @throws IllegalArgumentException if no input shape is given
     * @throws IllegalStateException if the block is not initialised
     */
    public double measure(Block block, Shape... inputShapes) {
        LatencyKey key = keyOf(block, inputShapes);
        return cache.computeIfAbsent(key, k -> run(block, inputShapes));
    }

    /**
     * Returns the cache key of a block with input shapes on this meter's threads and the block's
     * engine and device.
     *
     * @param block the block, initialised
     * @param inputShapes the shapes of its inputs
     * @return the key
     * @throws IllegalArgumentException if no input shape is given
     * @throws IllegalStateException if the block is not initialised
     */
    public LatencyKey keyOf(Block block, Shape... inputShapes) {
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException(
                    "no input shape was given; the shapes of the block's inputs are accepted");
        }
        NDArray anchor = firstArray(block);
        NDManager manager = anchor == null ? null : anchor.getManager();
        String engine;
        String device;
        if (manager != null) {
            engine = manager.getEngine().getEngineName() + " " + manager.getEngine().getVersion();
            device = manager.getDevice().toString();
        } else {
            try (NDManager m = NDManager.newBaseManager()) {
                engine = m.getEngine().getEngineName() + " " + m.getEngine().getVersion();
                device = m.getDevice().toString();
            }
        }
        return LatencyKey.of(signature(block, inputShapes), engine, device, threads);
    }

    /**
     * Runs one inference forward pass of a block with this meter's timer, without caching: what the
     * warm-up and timed runs of {@link #measure} each do. Use it to time alternatives round-robin.
     *
     * @param block the block, initialised
     * @param inputs the inputs, on the block's device
     * @return the duration in nanoseconds
     */
    public long time(Block block, NDList inputs) {
        return timer.time(block, inputs);
    }

    /**
     * Returns the number of untimed warm-up runs.
     *
     * @return the warm-up runs
     */
    public int getWarmup() {
        return warmup;
    }

    /**
     * Returns the number of timed runs whose median is the latency.
     *
     * @return the timed runs
     */
    public int getRepeats() {
        return repeats;
    }

    /**
     * Returns the cache this meter fills.
     *
     * @return the cache
     */
    public LatencyCache getCache() {
        return cache;
    }

    /**
     * Returns the thread count this meter's keys carry.
     *
     * @return the threads
     */
    public int getThreads() {
        return threads;
    }

    /**
     * Returns the configuration of a block with its input shapes, as the cache keys use it.
     *
     * @param block the block
     * @param inputShapes the shapes of its inputs
     * @return the signature
     */
    public static String signature(Block block, Shape... inputShapes) {
        StringBuilder b = new StringBuilder();
        describe(block, b, inputShapes);
        b.append(" <- ").append(Arrays.toString(inputShapes));
        NDArray anchor = firstArray(block);
        if (anchor != null) {
            b.append(' ').append(anchor.getDataType());
        }
        return b.toString();
    }

    private static void describe(Block block, StringBuilder b) {
        describe(block, b, null);
    }

    /** The configuration of a block; {@code inputShapes} is known for the measured block only. */
    private static void describe(Block block, StringBuilder b, Shape[] inputShapes) {
        b.append(block.getClass().getName()).append('{');
        if (block instanceof Convolution) {
            Convolution c = (Convolution) block;
            b.append("kernel=").append(c.getKernelShape());
            b.append(",stride=").append(c.getStride());
            b.append(",padding=").append(c.getPadding());
            b.append(",dilation=").append(c.getDilation());
            b.append(",filters=").append(c.getFilters());
            b.append(",groups=").append(c.getGroups());
            b.append(",bias=").append(c.isIncludeBias()).append(',');
        } else if (block instanceof DescribedBlock) {
            ((DescribedBlock) block).describeConfiguration(b, inputShapes);
        } else if (!block.getClass().getName().startsWith("ai.djl.")
                && !block.getClass().getName().startsWith("org.lowrank4j.")) {
            b.append("config=").append(block).append(',');
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Parameter param = p.getValue();
            Shape s = param.isInitialized() ? param.getArray().getShape() : param.getShape();
            b.append(p.getKey()).append('=').append(s).append(',');
        }
        for (Pair<String, Block> child : block.getChildren()) {
            b.append(child.getKey()).append(':');
            describe(child.getValue(), b);
            b.append(',');
        }
        b.append('}');
    }

    private static NDArray firstArray(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().isInitialized()) {
                return p.getValue().getArray();
            }
        }
        return null;
    }

    private double run(Block block, Shape[] inputShapes) {
        EngineCheck.verify(Engine.getEngine(Engines.nameOf(block)));
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalStateException(
                        "parameter "
                                + p.getKey()
                                + " of the block is not initialised; an initialised block is"
                                + " accepted");
            }
        }
        NDArray anchor = firstArray(block);
        NDManager manager =
                anchor == null ? NDManager.newBaseManager() : anchor.getManager().newSubManager();
        try {
            DataType type = anchor == null ? DataType.FLOAT32 : anchor.getDataType();
            NDList inputs = new NDList();
            for (Shape s : inputShapes) {
                inputs.add(manager.randomUniform(-1, 1, s, type));
            }
            for (int i = 0; i < warmup; i++) {
                timer.time(block, inputs);
            }
            long[] times = new long[repeats];
            for (int i = 0; i < repeats; i++) {
                times[i] = timer.time(block, inputs);
            }
            Arrays.sort(times);
            double median =
                    repeats % 2 == 1
                            ? times[repeats / 2]
                            : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
            return Math.max(0, median) / 1e6;
        } finally {
            manager.close();
        }
    }

    private static long timeOnce(Block block, NDList inputs, LongSupplier clock) {
        NDManager manager = inputs.head().getManager();
        long start = clock.getAsLong();
        NDList out = block.forward(new ParameterStore(manager, false), inputs, false);
        awaitResult(out.head());
        long end = clock.getAsLong();
        for (NDArray a : out) {
            if (inputs.stream().noneMatch(x -> x == a)) {
                a.close();
            }
        }
        return end - start;
    }

    /**
     * Waits until the engine has computed an array, at a cost that does not depend on its size.
     * Engines such as MXNet return from an operation before its result exists, so a timed pass must
     * wait for it. An array that offers a public {@code waitToRead()} method (MXNet's) is waited
     * for through it; any other array has one element copied to the host, read through a full index
     * (PyTorch on a CPU computes synchronously, and on a GPU the copy waits for the device).
     * Reductions such as {@code sum()} are no substitute: on MXNet they take milliseconds for a
     * layer's output, and slicing an MXNet array held in a blocked oneDNN layout can crash the
     * engine for some shapes.
     *
     * @param array the array to wait for; an empty array is returned at once
     */
    public static void awaitResult(NDArray array) {
        if (array.size() == 0) {
            return;
        }
        Optional<Method> wait =
                WAIT_METHODS.computeIfAbsent(array.getClass(), LatencyMeter::waitMethod);
        if (wait.isPresent()) {
            try {
                wait.get().invoke(array);
                return;
            } catch (IllegalAccessException e) {
                // fall back to reading an element
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                throw new IllegalStateException("waiting for the array failed", cause);
            }
        }
        try (NDArray element = array.get(new NDIndex(new long[array.getShape().dimension()]))) {
            element.toByteBuffer();
        }
    }

    /** The public no-argument {@code waitToRead} method of an array class, if it has one. */
    private static Optional<Method> waitMethod(Class<?> type) {
        try {
            return Optional.of(type.getMethod("waitToRead"));
        } catch (NoSuchMethodException e) {
            return Optional.empty();
        }
    }

    /** Builds a {@link LatencyMeter}. */
    public static final class Builder {

        private int warmup = 3;
        private int repeats = 10;
        private int threads = defaultThreads();
        private LatencyCache cache;
        private LongSupplier clock = System::nanoTime;
        private BlockTimer timer;

        private Builder() {}

        /**
         * Sets the number of untimed warm-up runs (default 3).
         *
         * @param warmup at least 0
         * @return this builder
         */
        public Builder optWarmup(int warmup) {
            if (warmup < 0) {
                throw new IllegalArgumentException(
                        "warm-up runs " + warmup + " is not accepted; it must be >= 0");
            }
            this.warmup = warmup;
            return this;
        }

        /**
         * Sets the number of timed runs whose median is the latency (default 10).
         *
         * @param repeats at least 1
         * @return this builder
         */
        public Builder optRepeats(int repeats) {
            if (repeats < 1) {
                throw new IllegalArgumentException(
                        "repeats " + repeats + " is not accepted; it must be >= 1");
            }
            this.repeats = repeats;
            return this;
        }

        /**
         * Sets the thread count the keys carry (default the {@code OMP_NUM_THREADS} environment
         * variable, else the available processors). Set it to the engine's intra-op thread count
         * when that is configured otherwise.
         *
         * @param threads at least 1
         * @return this builder
         */
        public Builder optThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException(
                        "threads " + threads + " is not accepted; it must be >= 1");
            }
            this.threads = threads;
            return this;
        }

        /**
         * Sets the cache (default a new one), to share measurements between meters and runs.
         *
         * @param cache the cache
         * @return this builder
         */
        public Builder optCache(LatencyCache cache) {
            if (cache == null) {
                throw new IllegalArgumentException("cache null is not accepted; a LatencyCache is");
            }
            this.cache = cache;
            return this;
        }

        /**
         * Sets the clock of the default timer, in nanoseconds (default {@link System#nanoTime}).
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder optClock(LongSupplier clock) {
            if (clock == null) {
                throw new IllegalArgumentException(
                        "clock null is not accepted; a nanosecond clock is");
            }
            this.clock = clock;
            return this;
        }

        /**
         * Sets what times one run (default: the forward pass timed with the clock).
         *
         * @param timer the timer
         * @return this builder
         */
        public Builder optTimer(BlockTimer timer) {
            if (timer == null) {
                throw new IllegalArgumentException("timer null is not accepted; a BlockTimer is");
            }
            this.timer = timer;
            return this;
        }

        /**
         * Builds the meter.
         *
         * @return the meter
         */
        public LatencyMeter build() {
            if (cache == null) {
                cache = new LatencyCache();
            }
            EngineCheck.verify(Engine.getInstance());
            return new LatencyMeter(this);
        }

        private static int defaultThreads() {
            String omp = System.getenv("OMP_NUM_THREADS");
            if (omp != null) {
                try {
                    int n = Integer.parseInt(omp.trim());
                    if (n >= 1) {
                        return n;
                    }
                } catch (NumberFormatException e) {
                    // fall back to the processors
                }
            }
            return Runtime.getRuntime().availableProcessors();
        }
    }
}
