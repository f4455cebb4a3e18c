/**
 * Model surgery: compress a whole DJL model in one call.
 *
 * <p>{@link org.lowrank4j.factorize.Factorizer} walks a block tree and swaps its convolution and
 * linear layers for factorized ones as a {@link org.lowrank4j.factorize.FactorizePolicy} says,
 * starting every new layer from its trained weight (or from a fit to calibration data), and returns
 * a {@link org.lowrank4j.factorize.FactorizeReport}. A {@link
 * org.lowrank4j.factorize.FactorizePlan} rebuilds the same structure in a fresh block so that a
 * saved model loads back; {@link org.lowrank4j.factorize.Factorizer#toStandardBlocks} exports a
 * factorized model as ordinary DJL blocks. How a layer is factorized is a {@link
 * org.lowrank4j.factorize.LayerMethod}; {@link org.lowrank4j.factorize.LayerMethods} lists them.
 */
package org.lowrank4j.factorize;
