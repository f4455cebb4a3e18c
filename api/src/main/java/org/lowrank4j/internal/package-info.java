/**
 * Helpers shared by the other packages: scoped {@link ai.djl.ndarray.NDArray} lifetimes, argument
 * checks and seeded host-side random numbers.
 *
 * <p>Not part of the public API: types here may change without notice.
 */
package org.lowrank4j.internal;
