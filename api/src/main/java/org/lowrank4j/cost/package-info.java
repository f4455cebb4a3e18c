/**
 * Parameter and FLOP counts of factorized layers, and the cost model that picks their forward
 * implementation.
 */
package org.lowrank4j.cost;
