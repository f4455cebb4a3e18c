package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Counts the parameters and the floating-point operations of a block tree for a given input shape.
 *
 * <p>The counter walks {@link SequentialBlock}s and {@link ParallelBlock}s (any depth), passing
 * each child the shapes its predecessor produces. It also walks DJL's transformer blocks ({@link
 * ai.djl.nn.transformer.TransformerEncoderBlock}, {@link
 * ai.djl.nn.transformer.ScaledDotProductAttentionBlock}, {@link ai.djl.nn.transformer.BertBlock}),
 * giving each child the shapes their forward passes give it; such a block has an entry of its own
 * too, for what it computes itself (attention products and softmax, residual additions, the
 * embedding sums). It counts every other block as one layer:
 *
 * <ul>
 *   <li>{@link CostAware} blocks report their own cost (the factorized convolutions, linear layers
 *       and two-factor layers of this library do);
 *   <li>convolutions of any order (grouped ones included) and {@link Linear}: one
 *       multiply–accumulate per weight and output position, plus one addition per output element
 *       for the bias;
 *   <li>{@link BatchNorm} and {@link LayerNorm}: two operations per element;
 *   <li>activations made by {@link ai.djl.nn.Activation} (a {@link LambdaBlock} named after the
 *       function): one per element; pooling blocks made by {@link ai.djl.nn.pooling.Pool}: one per
 *       input element; other lambdas (flatten, identity) and {@link Dropout} (at inference): none;
 *   <li>any other block: its initialised parameters, and no operations ({@link
 *       LayerCost#isCounted()} is then {@code false}).
 * </ul>
 *
 * The join of a {@link ParallelBlock} (an addition or a concatenation) is not counted.
 *
 * <pre>{@code
 * BlockCost total = CostCounter.count(resnet, new Shape(1, 3, 32, 32));
 * for (LayerCost layer : CostCounter.layers(resnet, new Shape(1, 3, 32, 32))) {
 *     System.out.println(layer);
 * }
 * }</pre>
 */
public final class CostCounter {

    private static final Set<String> ACTIVATIONS =
            Set.of(
                    "ReLU",
                    "ReLU6",
                    "sigmoid",
                    "Tanh",
                    "softPlus",
                    "softSign",
                    "LeakyReLU",
                    "ELU",
                    "SELU",
                    "GELU",
                    "Swish",
                    "Mish");

    private CostCounter() {}

    /**
     * Returns the total cost of a block tree.
     *
     * @param block the block
     * @param inputShapes the shapes of its inputs, batch included
     * @return the sum of the costs of its layers
     * @throws IllegalArgumentException if no input shape is given
     */
    public static BlockCost count(Block block, Shape... inputShapes) {
        Objects.requireNonNull(block, "block must not be null");
        BlockCost total = BlockCost.ZERO;
        for (LayerCost layer : layers(block, inputShapes)) {
            total = total.plus(layer.getCost());
        }
        return total;
    }

    /**
     * Returns the cost of every layer of a block tree, in the order of the forward pass.
     *
     * @param block the block
     * @param inputShapes the shapes of its inputs, batch included
     * @return the layers (the blocks that are not sequential or parallel containers)
     * @throws IllegalArgumentException if no input shape is given
     */
    public static List<LayerCost> layers(Block block, Shape... inputShapes) {
        Objects.requireNonNull(block, "block must not be null");
        if (inputShapes == null || inputShapes.length == 0) {
            throw new IllegalArgumentException(
                    "no input shape was given; the shapes of the block's inputs (batch included)"
                            + " are accepted");
        }
        List<LayerCost> out = new ArrayList<>();
        walk(block, "", inputShapes, out);
        return Collections.unmodifiableList(out);
    }

    /**
     * Returns the cost of one block, counted as a single layer (a container is not walked).
     *
     * @param block the block
     * @param inputShapes the shapes of its inputs, batch included
     * @return its cost
     */
    public static BlockCost layer(Block block, Shape... inputShapes) {
        Objects.requireNonNull(block, "block must not be null");
        return leaf(block, inputShapes, outputShapes(block, "", inputShapes)).getKey();
    }

    /**
     * The output shapes of a layer, after checking that the input fits its weights: a wrong rank or
     * channel count is refused here with the layer named, instead of failing deep inside DJL.
     */
    private static Shape[] outputShapes(Block block, String path, Shape[] in) {
        String where = (path.isEmpty() ? "" : "layer '" + path + "' ") + "(" + name(block) + ")";
        if (in == null || in.length == 0 || in[0] == null) {
            throw new IllegalArgumentException(where + " got no input shape");
        }
        Shape x = in[0];
        Parameter weight =
                block instanceof Convolution || block instanceof Linear
                        ? block.getParameters().get("weight")
                        : null;
        Shape w = weight == null ? null : weight.getShape();
        if (block instanceof Convolution) {
            Convolution conv = (Convolution) block;
            int dims = conv.getKernelShape().dimension() + 2;
            long channels = w == null ? -1 : w.get(1) * conv.getGroups();
            if (x.dimension() != dims || (channels > 0 && x.get(1) != channels)) {
                throw new IllegalArgumentException(
                        "input of shape "
                                + x
                                + " does not fit "
                                + where
                                + ", which takes a "
                                + dims
                                + "-D input (N, "
                                + (channels > 0 ? String.valueOf(channels) : "C")
                                + ", ...)");
            }
        } else if (block instanceof Linear) {
            long features = w == null ? -1 : w.get(1);
            if (x.dimension() < 1 || (features > 0 && x.get(x.dimension() - 1) != features)) {
                throw new IllegalArgumentException(
                        "input of shape "
                                + x
                                + " does not fit "
                                + where
                                + ", which takes (..., "
                                + (features > 0 ? String.valueOf(features) : "D")
                                + ")");
            }
        }
        try {
            return block.getOutputShapes(in);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw new IllegalArgumentException(
                    "input of shape " + x + " does not fit " + where + ": " + e.getMessage(), e);
        }
    }

    private static String name(Block block) {
        return block.getClass().getSimpleName();
    }

    private static Shape[] walk(Block block, String path, Shape[] in, List<LayerCost> out) {
        if (!(block instanceof CostAware)) {
            if (block instanceof SequentialBlock) {
                Shape[] current = in;
                for (Pair<String, Block> child : block.getChildren()) {
                    current = walk(child.getValue(), join(path, child.getKey()), current, out);
                }
                return current;
            }
            if (block instanceof ParallelBlock) {
                for (Pair<String, Block> child : block.getChildren()) {
                    walk(child.getValue(), join(path, child.getKey()), in, out);
                }
                return block.getOutputShapes(in);
            }
        }
        if (TransformerCosts.isKnown(block)) {
            Pair<BlockCost, Shape[]> own =
                    TransformerCosts.walk(block, path, in, (c, p, s) -> walk(c, p, s, out));
            out.add(new LayerCost(path, block, in, own.getValue(), own.getKey(), true));
            return own.getValue();
        }
        Shape[] result = outputShapes(block, path, in);
        Pair<BlockCost, Boolean> cost = leaf(block, in, result);
        out.add(new LayerCost(path, block, in, result, cost.getKey(), cost.getValue()));
        return result;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "/" + name;
    }

    private static Pair<BlockCost, Boolean> leaf(Block block, Shape[] in, Shape[] outShapes) {
        if (block instanceof CostAware) {
            return new Pair<>(((CostAware) block).cost(in), true);
        }
        Shape x = in[0];
        Shape y = outShapes[0];
        if (block instanceof Convolution) {
            Convolution conv = (Convolution) block;
            long channels = x.get(1);
            long kernel = conv.getKernelShape().size();
            long fanIn = channels / conv.getGroups() * kernel;
            long filters = conv.getFilters();
            boolean bias = conv.isIncludeBias();
            long params = filters * fanIn + (bias ? filters : 0);
            long flops = y.size() * fanIn + (bias ? y.size() : 0);
            return new Pair<>(BlockCost.of(params, flops), true);
        }
        if (block instanceof Linear) {
            long features = x.get(x.dimension() - 1);
            long units = y.get(y.dimension() - 1);
            long rows = x.size() / features;
            boolean bias = block.getParameters().contains("bias");
            long params = units * features + (bias ? units : 0);
            long flops = rows * units * features + (bias ? rows * units : 0);
            return new Pair<>(BlockCost.of(params, flops), true);
        }
        long params = initialisedParameters(block);
        if (block instanceof BatchNorm || block instanceof LayerNorm) {
            return new Pair<>(BlockCost.of(params, 2 * y.size()), true);
        }
        if (block instanceof Dropout) {
            return new Pair<>(BlockCost.of(params, 0), true);
        }
        if (block instanceof LambdaBlock) {
            String name = ((LambdaBlock) block).getName();
            if (ACTIVATIONS.contains(name)) {
                return new Pair<>(BlockCost.of(params, y.size()), true);
            }
            if (name.contains("Pool")) {
                return new Pair<>(BlockCost.of(params, x.size()), true);
            }
            return new Pair<>(BlockCost.of(params, 0), true);
        }
        return new Pair<>(BlockCost.of(params, 0), false);
    }

    private static long initialisedParameters(Block block) {
        long total = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.isInitialized()) {
                total += parameter.getArray().size();
            } else if (parameter.getShape() != null) {
                total += parameter.getShape().size();
            }
        }
        return total;
    }
}
