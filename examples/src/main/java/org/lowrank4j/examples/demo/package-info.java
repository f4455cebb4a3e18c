/**
 * The pieces of the end-to-end demo ({@link org.lowrank4j.examples.Demo}): its command-line
 * options, the compact ResNet it trains, the latency harness, the results table and the charts.
 */
package org.lowrank4j.examples.demo;
