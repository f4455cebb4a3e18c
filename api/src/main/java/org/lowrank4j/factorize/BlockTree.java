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
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and rewrites a block tree. DJL has no replace-at-index and {@link Block#getChildren()}
 * returns a copy, so children are replaced in {@code AbstractBlock.children} by reflection; that is
 * only safe in containers that forward through that list, which {@link #forwardsThroughChildren}
 * decides, and in the DJL containers whose fields {@link BlockFields} rewrites with the list. A
 * {@link LinearSlot} is not shown: the layer it holds sits at its path. A block used at several
 * places of the tree (tied weights) is replaced at all of them by one replacement.
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

        /** Every node that holds this node's block, in forward order (one unless it is tied). */
        List<Node> places = List.of(this);

        Node(String path, Block block, AbstractBlock parent, int index, String refusedBy) {
            this.path = path;
            this.block = block;
            this.parent = parent;
            this.index = index;
            this.refusedBy = refusedBy;
        }

        /** Whether this is the first place of its block, where a swap of it is decided. */
        boolean isFirstPlace() {
            return places.get(0) == this;
        }
    }

    /** Every block of the tree, root first, in forward order. */
    static List<Node> nodes(Block root, Set<Class<?>> trusted) {
        List<Node> out = new ArrayList<>();
        visit(root, "", null, -1, null, trusted, out);
        Map<Block, List<Node>> places = new IdentityHashMap<>();
        for (Node n : out) {
            places.computeIfAbsent(n.block, b -> new ArrayList<>()).add(n);
        }
        for (Node n : out) {
            n.places = Collections.unmodifiableList(places.get(n.block));
        }
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
        Block shown = block instanceof LinearSlot ? ((LinearSlot) block).getLayer() : block;
        out.add(new Node(path, shown, parent, index, refusedBy));
        PairList<String, Block> children = shown.getChildren();
        if (children.isEmpty()) {
            return;
        }
        String refused = refusedBy;
        if (refused == null
                && !forwardsThroughChildren(shown, trusted)
                && !BlockFields.isKnown(shown)) {
            refused = (path.isEmpty() ? "the root" : path) + " (" + typeName(block) + ")";
        }
        for (int i = 0; i < children.size(); i++) {
            String name = children.keyAt(i);
            visit(
                    children.valueAt(i),
                    path.isEmpty() ? name : path + "/" + name,
                    shown instanceof AbstractBlock ? (AbstractBlock) shown : null,
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

    /**
     * Replaces a parent's child at an index, keeping its name (and the parent's fields that hold
     * it, in a container {@link BlockFields} knows).
     */
    static void replace(AbstractBlock parent, int index, Block replacement) {
        BlockList list = children(parent);
        Block placed =
                BlockFields.isKnown(parent)
                        ? BlockFields.rewrite(parent, list.valueAt(index), replacement)
                        : replacement;
        list.values().set(index, placed);
    }

    /** Whether the node's layer is held for a field declared {@code Linear} that it is not. */
    static boolean inLinearSlot(Node node) {
        return node.parent != null
                && children(node.parent).valueAt(node.index) instanceof LinearSlot;
    }

    private static BlockList children(AbstractBlock parent) {
        try {
            return (BlockList) CHILDREN.get(parent);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot reach the children of " + parent, e);
        }
    }

    /**
     * Replaces every target, at each of its places, by its replacement, or none of them: if one
     * replacement fails, those made are undone.
     */
    static void swap(List<Node> targets, List<? extends Block> replacements) {
        List<Node> done = new ArrayList<>();
        try {
            for (int i = 0; i < targets.size(); i++) {
                for (Node p : targets.get(i).places) {
                    replace(p.parent, p.index, replacements.get(i));
                    done.add(p);
                }
            }
        } catch (RuntimeException e) {
            putBack(done);
            throw e;
        }
    }

    /** Puts each node's own block back in all its places (after a swap or a temporary wrapper). */
    static void putBack(List<Node> nodes) {
        for (Node n : nodes) {
            for (Node p : n.places) {
                replace(p.parent, p.index, p.block);
            }
        }
    }

    static String typeName(Block block) {
        String n = block.getClass().getSimpleName();
        return n.isEmpty() ? block.getClass().getName() : n;
    }
}
