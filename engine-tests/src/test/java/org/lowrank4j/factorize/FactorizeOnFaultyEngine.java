package org.lowrank4j.factorize;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import org.lowrank4j.tensor.Rank;

/**
 * Factorizes the tiny ResNet and prints the report's notes: run in a JVM of its own with a
 * simulated engine fault, it shows that the factorizer says so.
 */
public final class FactorizeOnFaultyEngine {

    private FactorizeOnFaultyEngine() {}

    /**
     * Runs.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = Nets.resnet();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 16, 16));
            FactorizeReport report =
                    Factorizer.builder()
                            .setPolicy(
                                    FactorizePolicy.builder().setRank(Rank.fraction(0.5)).build())
                            .build()
                            .factorize(net);
            for (String note : report.getNotes()) {
                System.out.println("note: " + note);
            }
            System.out.println("swapped: " + report.getSwapped().size());
        }
    }
}
