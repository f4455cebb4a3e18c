package org.lowrank4j.examples.docs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.Map;
import org.lowrank4j.nn.ConvImplementation;
import org.lowrank4j.nn.FactorizedEmbedding;
import org.lowrank4j.nn.FactorizedLinear;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/** The code of {@code docs/tensorized-layers.md}. */
public final class TensorizedLayersExample {

    private TensorizedLayersExample() {}

    private static NDArray run(Block block, NDArray x) {
        return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false)
                .singletonOrThrow();
    }

    /**
     * Runs every snippet of the page.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            // snippet:shapes
            Pair<Shape, Shape> shapes = Tensorize.shapes(512, 1000, 3);
            // in (4, 8, 16), out (5, 8, 25)
            // end
            System.out.println("in " + shapes.getKey() + ", out " + shapes.getValue());

            // snippet:build
            FactorizedLinear layer =
                    FactorizedLinear.builder()
                            .setInTensorizedFeatures(new Shape(4, 8, 16))
                            .setOutTensorizedFeatures(new Shape(5, 8, 25))
                            .setFactorization(Factorization.TT)
                            .setRank(Rank.fraction(0.1))
                            .optInitStd(0.02) // of the reconstructed weight
                            .build();
            layer.initialize(manager, DataType.FLOAT32, new Shape(1, 512));
            NDArray y = run(layer, manager.randomNormal(new Shape(32, 10, 512)));
            // y: (32, 10, 1000); about a tenth of the dense parameters
            // end
            System.out.println(
                    layer + ": " + y.getShape() + ", " + layer.numParameters() + " parameters");

            // snippet:mlp
            Linear hidden = Linear.builder().setUnits(256).build();
            Linear output = Linear.builder().setUnits(10).build();
            hidden.initialize(manager, DataType.FLOAT32, new Shape(1, 784));
            output.initialize(manager, DataType.FLOAT32, new Shape(1, 256));
            // ... train the MLP, then replace its big layer by a block-TT one
            FactorizedLinear compressed =
                    FactorizedLinear.fromLinear(
                            hidden, Rank.fraction(0.25), Factorization.TT); // shapes chosen
            SequentialBlock mlp = new SequentialBlock();
            mlp.add(compressed).add(ai.djl.nn.Activation::relu).add(output);
            NDArray images = manager.randomUniform(0, 1, new Shape(64, 784));
            double change = relativeChange(run(hidden, images), run(compressed, images));
            // the factorized layer keeps the trained weight's leading structure and its bias
            // end
            System.out.printf(
                    "%s: %d of %d parameters, relative change of the hidden layer %.3f, MLP"
                            + " output %s%n",
                    compressed,
                    compressed.numParameters(),
                    784 * 256 + 256,
                    change,
                    run(mlp, images).getShape());

            // snippet:implementation
            compressed.setImplementation(ConvImplementation.AUTO); // the default
            ConvImplementation small = compressed.chooseImplementation(1, false);
            ConvImplementation trainingBatch = compressed.chooseImplementation(64, true);
            // AUTO weighs the planned contraction against rebuilding the dense weight
            // end
            System.out.println("AUTO picks " + small + " and " + trainingBatch);

            // snippet:tune
            Map<ConvImplementation, Double> ms = compressed.tune(manager, new Shape(64, 784), 2, 5);
            // AUTO now runs the faster of the two, as measured, on batches of 64 rows
            ConvImplementation measured = compressed.chooseImplementation(64, false);
            // end
            System.out.println("measured " + ms + ", AUTO runs " + measured);

            // snippet:embedding
            FactorizedEmbedding embedding =
                    FactorizedEmbedding.builder()
                            .setNumEmbeddings(30000)
                            .setEmbeddingDim(256)
                            .setRank(Rank.of(16)) // block-TT by default
                            .build();
            embedding.initialize(manager, DataType.FLOAT32, new Shape(1));
            NDArray ids = manager.create(new long[] {17, 4242, 29999, 17}, new Shape(2, 2));
            NDArray vectors = run(embedding, ids); // (2, 2, 256), the table is never built
            // end
            System.out.println(
                    embedding
                            + ": "
                            + vectors.getShape()
                            + ", "
                            + embedding.numParameters()
                            + " parameters instead of "
                            + 30000L * 256
                            + "; rank "
                            + Arrays.toString(embedding.getRank()));
        }
    }

    private static double relativeChange(NDArray a, NDArray b) {
        return a.sub(b).norm().getFloat() / a.norm().getFloat();
    }
}
