/**
 * Factorized layers as DJL blocks, and the vocabulary they are configured with: {@link
 * org.lowrank4j.nn.Rank} (how large a factorization is) and {@link org.lowrank4j.nn.Factorization}
 * (which format it uses).
 */
package org.lowrank4j.nn;
