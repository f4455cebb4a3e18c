/**
 * Checks that the engine computes correctly before the library relies on it.
 *
 * <p>{@link org.lowrank4j.engine.EngineCheck} runs a handful of small float32 convolutions and a
 * matrix product on an engine and compares them with a double-precision reference computed on the
 * host; {@link org.lowrank4j.engine.EngineHealth} says what it found and, for a known fault, how to
 * avoid it. The factorizer, the latency meter, the demo and the benchmarks run the check once per
 * engine and warn when it fails.
 */
package org.lowrank4j.engine;
