package org.lowrank4j.factorize;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The DJL containers that forward through fields and may still be rewritten: each keeps its
 * children in fields as well as in its child list, calls them only through {@link Block#forward}
 * and {@link Block#initialize}, and keeps no other reference to them or to their insides. A child
 * of such a container is replaced by pointing its fields and its child list at the replacement
 * together. Only these exact classes qualify (a subclass may forward another way); any other
 * container that computes in its own forward pass stays refused.
 */
final class BlockFields {

    private static final Set<Class<?>> KNOWN =
            Set.of(
                    ScaledDotProductAttentionBlock.class,
                    TransformerEncoderBlock.class,
                    BertBlock.class);

    private BlockFields() {}

    /** Whether the block is one of the known containers whose fields can be rewritten. */
    static boolean isKnown(Block block) {
        return block != null && KNOWN.contains(block.getClass());
    }

    /**
     * Points every field of a known container that holds {@code current} at the replacement, and
     * returns what the child list must hold: the replacement itself, or a {@link LinearSlot} for it
     * where a field is declared {@code Linear} and the replacement is not one. Nothing is changed
     * if the replacement cannot take the child's place.
     *
     * @throws IllegalArgumentException if a field of another type, or a collection, holds the child
     */
    static Block rewrite(AbstractBlock parent, Block current, Block replacement) {
        Block placed = replacement;
        List<Field> holders = new ArrayList<>();
        for (Field f : instanceFields(parent.getClass())) {
            Object value = read(f, parent);
            if (value instanceof Collection && containsSame((Collection<?>) value, current)) {
                throw new IllegalArgumentException(
                        "a child of "
                                + parent.getClass().getSimpleName()
                                + " is listed in its field '"
                                + f.getName()
                                + "', which is not rewritten; only its single-block fields are");
            }
            if (value != current) {
                continue;
            }
            holders.add(f);
            if (!f.getType().isInstance(placed)) {
                if (!f.getType().isAssignableFrom(LinearSlot.class)) {
                    throw new IllegalArgumentException(
                            "field '"
                                    + f.getName()
                                    + "' of "
                                    + parent.getClass().getSimpleName()
                                    + " is declared "
                                    + f.getType().getSimpleName()
                                    + " and cannot hold a "
                                    + replacement.getClass().getSimpleName()
                                    + "; a "
                                    + f.getType().getSimpleName()
                                    + " or a Linear field is accepted");
                }
                placed = new LinearSlot(replacement);
            }
        }
        for (Field f : holders) {
            try {
                f.set(parent, placed);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot set field " + f + " of " + parent, e);
            }
        }
        return placed;
    }

    private static List<Field> instanceFields(Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = type; c != null && c != AbstractBlock.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private static Object read(Field f, Object owner) {
        try {
            f.setAccessible(true);
            return f.get(owner);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IllegalStateException(
                    "cannot read field " + f + "; DJL must be on the class path", e);
        }
    }

    private static boolean containsSame(Collection<?> values, Object item) {
        for (Object v : values) {
            if (v == item) {
                return true;
            }
        }
        return false;
    }
}
