package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.lowrank4j.internal.Workspace;

/**
 * The calibration data of a factorization: batches of the model's inputs, or the first batches of a
 * dataset, run once through the model while recorders stand in for the layers of data-aware
 * methods.
 */
final class Calibration {

    private final Iterable<NDList> batches;
    private final Dataset dataset;
    private final long maxBatches;

    private Calibration(Iterable<NDList> batches, Dataset dataset, long maxBatches) {
        this.batches = batches;
        this.dataset = dataset;
        this.maxBatches = maxBatches;
    }

    /** Calibration by batches of inputs, all of them used. */
    static Calibration of(Iterable<NDList> batches) {
        return new Calibration(batches, null, Long.MAX_VALUE);
    }

    /** Calibration by the first {@code maxBatches} batches of a dataset. */
    static Calibration of(Dataset dataset, long maxBatches) {
        return new Calibration(null, dataset, maxBatches);
    }

    /** The number of batches, or 0 where it is not known before the data is read. */
    long expectedBatches() {
        if (batches instanceof Collection) {
            return ((Collection<?>) batches).size();
        }
        return dataset != null ? maxBatches : 0;
    }

    /**
     * Runs the data through the model with each target replaced by a recording block, and puts the
     * targets back afterwards, also when a batch fails.
     *
     * @param block the model's block
     * @param shapes the model's input shapes, which every batch must fit (batch size aside)
     * @param targets the layers to record
     * @param recorders their recorders, in the same order
     * @param steps one step per batch
     * @return the number of batches run
     * @throws IllegalArgumentException if the data holds no batch or a batch does not fit
     * @throws IllegalStateException if the dataset cannot be read
     */
    long run(
            Block block,
            Shape[] shapes,
            List<BlockTree.Node> targets,
            List<LayerRecorder> recorders,
            Steps steps) {
        List<Block> wrappers = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            wrappers.add(new RecordingBlock(targets.get(i).block, recorders.get(i)));
        }
        BlockTree.swap(targets, wrappers);
        NDManager manager = NDManager.newBaseManager();
        try {
            long count = 0;
            if (batches != null) {
                for (NDList batch : batches) {
                    runBatch(block, shapes, batch, count++);
                    steps.step("batch " + count);
                }
            } else {
                for (Batch batch : dataset.getData(manager)) {
                    try (Batch b = batch) {
                        if (count >= maxBatches) {
                            break;
                        }
                        runBatch(block, shapes, b.getData(), count++);
                        steps.step("batch " + count);
                    }
                }
            }
            if (count == 0) {
                throw new IllegalArgumentException(
                        "the calibration data holds no batch; at least one batch is accepted");
            }
            return count;
        } catch (IOException | TranslateException e) {
            throw new IllegalStateException("the calibration dataset cannot be read", e);
        } finally {
            manager.close();
            BlockTree.putBack(targets);
        }
    }

    private static void runBatch(Block block, Shape[] shapes, NDList batch, long index) {
        boolean fits = batch != null && batch.size() == shapes.length;
        for (int i = 0; fits && i < shapes.length; i++) {
            Shape s = batch.get(i).getShape();
            Shape m = shapes[i];
            fits = s.dimension() == m.dimension() && s.slice(1).equals(m.slice(1));
        }
        if (!fits) {
            StringBuilder expected = new StringBuilder();
            for (Shape s : shapes) {
                expected.append(expected.length() == 0 ? "" : ", ");
                expected.append("(N").append(s.dimension() > 1 ? ", " : "");
                expected.append(s.slice(1).toString().replaceAll("[()]", "")).append(')');
            }
            throw new IllegalArgumentException(
                    "calibration batch "
                            + index
                            + " has shapes "
                            + (batch == null ? "null" : Arrays.toString(batch.getShapes()))
                            + "; the model takes "
                            + expected);
        }
        NDArray anchor = batch.get(0);
        try (Workspace ws = Workspace.of(anchor)) {
            for (NDArray a : batch) {
                ws.adopt(a);
            }
            block.forward(new ParameterStore(ws.manager(), false), batch, false);
        }
    }
}
