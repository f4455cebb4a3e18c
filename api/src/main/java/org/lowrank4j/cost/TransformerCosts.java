package org.lowrank4j.cost;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;

/**
 * The shapes DJL's transformer blocks hand their children, which they call from their own forward
 * passes, so that {@link CostCounter} counts the layers inside them; and the operations the blocks
 * do themselves (attention products, residual additions). Only the exact DJL classes are known.
 */
final class TransformerCosts {

    /** Counts a child at a path with given input shapes and returns its output shapes. */
    interface Walker {
        Shape[] walk(Block child, String path, Shape[] in);
    }

    private TransformerCosts() {}

    /** Whether the block is one of DJL's transformer blocks counted here. */
    static boolean isKnown(Block block) {
        Class<?> c = block.getClass();
        return c == ScaledDotProductAttentionBlock.class
                || c == TransformerEncoderBlock.class
                || c == BertBlock.class;
    }

    /**
     * Walks a known block's children with the shapes its forward pass gives them and returns the
     * block's own cost (the children's are counted by the walker) with its output shapes.
     */
    static Pair<BlockCost, Shape[]> walk(Block block, String path, Shape[] in, Walker walker) {
        if (block instanceof ScaledDotProductAttentionBlock) {
            return attention(block, path, in, walker);
        }
        if (block instanceof TransformerEncoderBlock) {
            return encoder(block, path, in, walker);
        }
        return bert(block, path, in, walker);
    }

    /** Inputs: one sequence (self-attention), or keys, queries and values; a mask may follow. */
    private static Pair<BlockCost, Shape[]> attention(
            Block block, String path, Shape[] in, Walker walker) {
        boolean separate = in.length >= 3;
        Shape keys = in[0];
        Shape queries = separate ? in[1] : in[0];
        Shape values = separate ? in[2] : in[0];
        Shape[] projected = null;
        for (Pair<String, Block> child : block.getChildren()) {
            String name = child.getKey().substring(2);
            String at = join(path, child.getKey());
            switch (name) {
                case "keyProjection":
                    walker.walk(child.getValue(), at, new Shape[] {keys});
                    break;
                case "queryProjection":
                    walker.walk(child.getValue(), at, new Shape[] {queries});
                    break;
                case "valueProjection":
                    walker.walk(child.getValue(), at, new Shape[] {values});
                    break;
                case "resultProjection":
                    projected = walker.walk(child.getValue(), at, new Shape[] {queries});
                    break;
                default: // the dropout on the attention probabilities
                    walker.walk(child.getValue(), at, new Shape[] {queries});
            }
        }
        long batch = queries.get(0);
        long to = queries.get(1);
        long from = keys.get(1);
        long embedding = queries.get(2);
        // scores (queries x keys), softmax over them, and the weighted sum of the values
        long scores = batch * to * from * embedding;
        long flops = 2 * scores + 3 * batch * to * from;
        return new Pair<>(BlockCost.of(0, flops), projected);
    }

    private static Pair<BlockCost, Shape[]> encoder(
            Block block, String path, Shape[] in, Walker walker) {
        Shape[] sequence = {in[0]};
        Shape[] current = sequence;
        for (Pair<String, Block> child : block.getChildren()) {
            String at = join(path, child.getKey());
            current =
                    child.getKey().endsWith("selfAttention")
                            ? walker.walk(child.getValue(), at, in)
                            : walker.walk(child.getValue(), at, current);
        }
        // two residual additions
        return new Pair<>(BlockCost.of(0, 2 * in[0].size()), sequence);
    }

    /** Inputs: token ids, type ids and the mask, each (batch, sequence). */
    private static Pair<BlockCost, Shape[]> bert(
            Block block, String path, Shape[] in, Walker walker) {
        long batch = in[0].get(0);
        long length = in[0].get(1);
        Shape[] embedded = null;
        Shape mask = new Shape(batch, 1, length, length);
        for (Pair<String, Block> child : block.getChildren()) {
            String name = child.getKey().substring(2);
            String at = join(path, child.getKey());
            if (name.equals("tokenEmbedding")) {
                embedded = walker.walk(child.getValue(), at, new Shape[] {in[0]});
            } else if (name.equals("typeEmbedding")) {
                walker.walk(child.getValue(), at, new Shape[] {in[1]});
            } else if (name.startsWith("transformer_")) {
                walker.walk(child.getValue(), at, new Shape[] {embedded[0], mask});
            } else if (name.equals("poolingProjection")) {
                long width = embedded[0].get(2);
                walker.walk(child.getValue(), at, new Shape[] {new Shape(batch, width)});
            } else {
                walker.walk(child.getValue(), at, embedded);
            }
        }
        long params = 0;
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Shape s = p.getValue().getShape();
            params += s == null ? 0 : s.size();
        }
        // the three embeddings added, the mask built, the pooled token's tanh
        long flops = 2 * embedded[0].size() + 4 * batch * length * length + batch;
        return new Pair<>(BlockCost.of(params, flops), block.getOutputShapes(in));
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "/" + name;
    }
}
