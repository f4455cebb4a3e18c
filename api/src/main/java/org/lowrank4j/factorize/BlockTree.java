package org.lowrank4j.factorize;

import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads and rewrites a block tree. DJL has no replace-at-index and {@link Block#getChildren()}
 * returns a copy, so children are replaced in {@code AbstractBlock.children} by reflection; that is
 * only safe in containers that forward through that list, which {@link #forwardsThroughChildren}
 * decides.
 */
final class BlockTree {

    private static final Field CHILDREN;

    static {
        try {
            CHILDREN = AbstractBlock.class.getDeclaredField("children");
            CHILDREN.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BlockTree() {}

    /** A block of the tree and where it sits. */
    static final class Node {
        final String path;
        final Block block;
        final AbstractBlock parent;
        final int index;

        /** The path and type of the first ancestor that forwards through fields, or null. */
        final String refusedBy;

        Node(String path, Block block, AbstractBlock parent, int index, String refusedBy) {
            this.path = path;
            this.block = block;
            this.parent = parent;
            this.index = index;
            this.refusedBy = refusedBy;
        }
    }

    /** Every block of the tree, root first, in forward order. */
    static List<Node> nodes(Block root, Set<Class<?>> trusted) {
        List<Node> out = new ArrayList<>();
        visit(root, "", null, -1, null, trusted, out);
        return out;
    }

    private static void visit(
            Block block,
            String path,
            AbstractBlock parent,
            int index,
            String refusedBy,
            Set<Class<?>> trusted,
            List<Node> out) {
        out.add(new Node(path, block, parent, index, refusedBy));
        PairList<String, Block> children = block.getChildren();
        if (children.isEmpty()) {
            return;
        }
        String refused = refusedBy;
        if (refused == null && !forwardsThroughChildren(block, trusted)) {
            refused = (path.isEmpty() ? "the root" : path) + " (" + typeName(block) + ")";
        }
        for (int i = 0; i < children.size(); i++) {
            String name = children.keyAt(i);
            visit(
                    children.valueAt(i),
                    path.isEmpty() ? name : path + "/" + name,
                    block instanceof AbstractBlock ? (AbstractBlock) block : null,
                    i,
                    refused,
                    trusted,
                    out);
        }
    }

    /**
     * Whether a container computes only through its children list: a {@link SequentialBlock} or
     * {@link ParallelBlock} (or a subclass that does not override the forward pass), or a type the
     * caller trusts.
     */
    static boolean forwardsThroughChildren(Block block, Set<Class<?>> trusted) {
        for (Class<?> t : trusted) {
            if (t.isInstance(block)) {
                return true;
            }
        }
        Class<?> base;
        if (block instanceof SequentialBlock) {
            base = SequentialBlock.class;
        } else if (block instanceof ParallelBlock) {
            base = ParallelBlock.class;
        } else {
            return false;
        }
        for (Class<?> c = block.getClass(); c != base; c = c.getSuperclass()) {
            for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                String n = m.getName();
                if ((n.equals("forward") || n.equals("forwardInternal"))
                        && m.getParameterCount() >= 3
                        && m.getParameterTypes()[0] == ParameterStore.class
                        && m.getParameterTypes()[1] == NDList.class) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Finds the node at a path. */
    static Node find(List<Node> nodes, String path) {
        for (Node n : nodes) {
            if (n.path.equals(path)) {
                return n;
            }
        }
        return null;
    }

    /** Replaces a parent's child at an index, keeping its name; returns the block it replaced. */
    static Block replace(AbstractBlock parent, int index, Block replacement) {
        try {
            BlockList list = (BlockList) CHILDREN.get(parent);
            return list.values().set(index, replacement);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot reach the children of " + parent, e);
        }
    }

    /** Puts each node's own block back in its place (after a swap or a temporary wrapper). */
    static void putBack(List<Node> nodes) {
        for (Node n : nodes) {
            replace(n.parent, n.index, n.block);
        }
    }

    static String typeName(Block block) {
        String n = block.getClass().getSimpleName();
        return n.isEmpty() ? block.getClass().getName() : n;
    }
}
