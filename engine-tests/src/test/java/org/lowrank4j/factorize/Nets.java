package org.lowrank4j.factorize;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.PairList;
import java.util.IdentityHashMap;
import java.util.Map;

/** Networks and block-tree walks the factorizer tests share. */
final class Nets {

    private Nets() {}

    /**
     * A tiny ResNet from the model zoo's residual units (residual ParallelBlocks): 5 convolutions
     * of groups 1, then a Linear.
     */
    static SequentialBlock resnet() {
        SequentialBlock net = new SequentialBlock();
        net.add(
                Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .setFilters(8)
                        .optPadding(new Shape(1, 1))
                        .build());
        net.add(BatchNorm.builder().build());
        net.add(Activation.reluBlock());
        net.add(ResNetV1.residualUnit(8, new Shape(1, 1), true, false, 0.9f));
        net.add(ResNetV1.residualUnit(16, new Shape(2, 2), false, false, 0.9f));
        net.add(Pool.globalAvgPool2dBlock());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(10).build());
        return net;
    }

    /** Two linear layers with a ReLU between them, 24 then 10 units (not initialised). */
    static SequentialBlock twoLinear() {
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(24).build());
        net.add(Activation.reluBlock());
        net.add(Linear.builder().setUnits(10).build());
        return net;
    }

    /** Every block of the tree by identity, with its path, found independently of the library. */
    static Map<Block, String> blocks(Block root) {
        Map<Block, String> out = new IdentityHashMap<>();
        collect(root, "", out);
        return out;
    }

    /** The block at a path, found as {@link #blocks} finds paths. */
    static Block at(Block root, String path) {
        for (Map.Entry<Block, String> e : blocks(root).entrySet()) {
            if (e.getValue().equals(path)) {
                return e.getKey();
            }
        }
        throw new AssertionError("no block at " + path);
    }

    private static void collect(Block block, String path, Map<Block, String> out) {
        out.put(block, path);
        PairList<String, Block> children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String name = children.keyAt(i);
            collect(children.valueAt(i), path.isEmpty() ? name : path + "/" + name, out);
        }
    }
}
