package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.nio.file.Path;
import java.util.Map;

/** Builds the tests' tiny ResNet, as a user's own factory builds their architecture. */
public class TinyResNetFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        return Nets.resnet();
    }
}
