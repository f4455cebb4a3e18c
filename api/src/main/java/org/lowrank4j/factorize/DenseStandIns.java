package org.lowrank4j.factorize;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The dense layers a model's factorized layers stand for while {@link Factorizer#refactorize}
 * factorizes them again: each made by its method's {@link LayerMethod#toDense}, put in place of its
 * factorized block at all its places, and taken out again afterwards, where the factorization did
 * not replace it, or everywhere if it failed.
 */
final class DenseStandIns {

    private final List<BlockTree.Node> targets;
    private final List<Block> dense;

    private DenseStandIns(List<BlockTree.Node> targets, List<Block> dense) {
        this.targets = targets;
        this.dense = dense;
    }

    /**
     * Makes the stand-ins of every factorized layer of a model and puts them in place.
     *
     * @throws IllegalArgumentException if the model holds no factorized layer a method can make
     *     dense; the model is then unchanged
     */
    static DenseStandIns putIn(Block block, Set<Class<?>> containers) {
        List<BlockTree.Node> targets = new ArrayList<>();
        List<Block> dense = new ArrayList<>();
        try {
            for (BlockTree.Node n : BlockTree.nodes(block, containers)) {
                LayerMethod m = LayerMethods.producerOf(n.block);
                if (m != null && n.parent != null && n.isFirstPlace()) {
                    Block d = m.toDense(n.block);
                    if (d != null) {
                        targets.add(n);
                        dense.add(d);
                    }
                }
            }
        } catch (RuntimeException e) {
            dense.forEach(Factorizer::dispose);
            throw e;
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException(
                    "the model holds no factorized layer to factorize again; a model factorized by"
                            + " Factorizer.factorize is accepted (use factorize for a dense one)");
        }
        BlockTree.swap(targets, dense);
        return new DenseStandIns(targets, dense);
    }

    /** Puts every factorized block back (after a failed factorization) and frees the stand-ins. */
    void undo() {
        BlockTree.putBack(targets);
        dense.forEach(Factorizer::dispose);
    }

    /**
     * Puts back the factorized blocks whose stand-in the factorization did not replace and frees
     * every stand-in.
     *
     * @param report the factorization's report
     * @return how many factorized blocks were put back
     */
    int takeOut(FactorizeReport report) {
        Set<String> replaced = new HashSet<>();
        for (FactorizeReport.Layer layer : report.getSwapped()) {
            replaced.add(layer.getPath());
        }
        List<BlockTree.Node> kept = new ArrayList<>();
        for (BlockTree.Node n : targets) {
            if (!replaced.contains(n.path)) {
                kept.add(n);
            }
        }
        BlockTree.putBack(kept);
        dense.forEach(Factorizer::dispose);
        return kept.size();
    }

    /** How many factorized layers stood in dense. */
    int size() {
        return targets.size();
    }
}
