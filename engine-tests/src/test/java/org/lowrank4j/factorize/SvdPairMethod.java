package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.Map;
import org.lowrank4j.linalg.Svd;

/**
 * A layer method as a user would write one, outside the library's own types: a {@code Linear}
 * becomes two {@code Linear}s (no bias, then the bias) from the truncated SVD of its weight, at
 * most at the weight's full rank.
 */
class SvdPairMethod implements LayerMethod {

    static final String NAME = "test-svd-pair";

    /** The replacement: two linear layers, recognised by its class. */
    static final class SvdPair extends SequentialBlock {
        final long rank;
        final long out;

        SvdPair(long rank, long out) {
            this.rank = rank;
            this.out = out;
            add(Linear.builder().setUnits(rank).optBias(false).build());
            add(Linear.builder().setUnits(out).build());
        }
    }

    private final int rank;

    SvdPairMethod(int rank) {
        this.rank = rank;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean isDataAware() {
        return false;
    }

    @Override
    public String unsupportedReason(Block layer, Shape[] inputShapes) {
        return layer instanceof Linear ? null : "not a Linear";
    }

    @Override
    public LayerResult factorize(LayerRequest request) {
        Linear linear = (Linear) request.getLayer();
        NDArray w = linear.getParameters().get("weight").getArray();
        NDArray b = linear.getParameters().get("bias").getArray();
        long out = w.getShape().get(0);
        // at most the weight's full rank
        int rank = (int) Math.min(this.rank, Math.min(out, w.getShape().get(1)));
        SvdPair pair = new SvdPair(rank, out);
        pair.initialize(w.getManager(), w.getDataType(), request.getInputShapes());
        try (Svd svd = Svd.of(w)) {
            NDIndex first = new NDIndex(":{}", rank);
            NDArray s = svd.getS().get(first);
            NDArray a = svd.getVt().get(first).mul(s.reshape(rank, 1));
            NDArray u = svd.getU().get(new NDIndex(":, :{}", rank));
            a.copyTo(pair.getChildren().get(0).getValue().getParameters().get("weight").getArray());
            u.copyTo(pair.getChildren().get(1).getValue().getParameters().get("weight").getArray());
            b.copyTo(pair.getChildren().get(1).getValue().getParameters().get("bias").getArray());
        }
        return LayerResult.of(pair, new int[] {rank}, "dense pair", 0, Double.NaN);
    }

    @Override
    public boolean produced(Block block) {
        return block instanceof SvdPair;
    }

    @Override
    public Map<String, String> describe(Block factorized) {
        SvdPair pair = (SvdPair) factorized;
        return Map.of("rank", String.valueOf(pair.rank), "out", String.valueOf(pair.out));
    }

    @Override
    public Block rebuild(Block original, Map<String, String> settings) {
        return new SvdPair(
                Long.parseLong(settings.get("rank")), Long.parseLong(settings.get("out")));
    }

    @Override
    public Block toStandard(Block factorized) {
        SequentialBlock plain = new SequentialBlock();
        for (Block child : factorized.getChildren().values()) {
            plain.add(child);
        }
        return plain;
    }
}
