/**
 * The code shown in the user guide ({@code docs/}) and the README: each class is a runnable program
 * whose regions between {@code // snippet:NAME} and {@code // end} are copied verbatim into the
 * pages (a test checks they agree and runs every program on each engine).
 */
package org.lowrank4j.examples.docs;
