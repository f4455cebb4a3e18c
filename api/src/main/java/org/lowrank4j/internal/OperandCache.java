package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The operands a block derives from its parameters once and reuses on every inference pass (a
 * reconstructed kernel, the prepared kernels of a pipeline), safe for any number of threads sharing
 * the block.
 *
 * <p>The rule: operands are built once per parameter state (the identity of the parameter arrays),
 * in a manager the cache owns (a sub-manager of the parameters' manager, so they go when the model
 * goes), from borrowed aliases of the parameters; they are used only inside {@link #use}, under a
 * read lock, and dropped only under the write lock, when the parameters change or {@link
 * #invalidate()} is called. So no thread ever sees an operand closed while it runs, and no caller's
 * manager ever owns one.
 */
public final class OperandCache {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, NDList> operands = new HashMap<>();
    private List<NDArray> source;
    private NDManager manager;

    /**
     * Runs a computation with the operands cached under a name for the given parameter values,
     * building them first if this state of the parameters has none.
     *
     * @param values the parameter values the operands derive from (their identity is the state)
     * @param name what the operands are, e.g. {@code kernel@0}
     * @param make makes the operands from borrowed aliases of {@code values}; what it returns is
     *     kept in the cache (contiguous copies, so that no later use copies a strided view again)
     * @param computation uses the operands; it must not keep them beyond its return
     * @param <R> the computation's result
     * @return what the computation returns
     */
    public <R> R use(
            List<NDArray> values,
            String name,
            Function<List<NDArray>, NDList> make,
            Function<NDList, R> computation) {
        lock.readLock().lock();
        try {
            NDList known = isFor(values) ? operands.get(name) : null;
            if (known != null) {
                return computation.apply(known);
            }
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            NDList made = isFor(values) ? operands.get(name) : null;
            if (made == null) {
                made = build(values, name, make);
            }
            // downgrade: hold the read lock through the computation, let other readers in
            lock.readLock().lock();
            lock.writeLock().unlock();
            try {
                return computation.apply(made);
            } finally {
                lock.readLock().unlock();
            }
        } finally {
            if (lock.isWriteLockedByCurrentThread()) {
                lock.writeLock().unlock();
            }
        }
    }

    /** Drops every cached operand; the next {@link #use} builds them again. */
    public void invalidate() {
        lock.writeLock().lock();
        try {
            drop();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Builds the operands under the write lock, dropping those of another parameter state. */
    private NDList build(List<NDArray> values, String name, Function<List<NDArray>, NDList> make) {
        if (!isFor(values)) {
            drop();
            manager = values.get(0).getManager().newSubManager();
            source = new ArrayList<>(values);
        }
        NDList kept = new NDList();
        // detached: whether the parameters carry gradients (initialised for training, or loaded
        // from a file) must not change the operands; libtorch's matmul takes another path,
        // rounding differently, for inputs that require a gradient
        List<NDArray> detached = new ArrayList<>();
        try {
            for (NDArray v : values) {
                detached.add(v.stopGradient());
            }
            try (Workspace ws = Workspace.of(manager)) {
                for (NDArray a : make.apply(ws.borrow(detached))) {
                    kept.add(ws.keep(a.reshape(-1).reshape(a.getShape())));
                }
            }
        } finally {
            for (NDArray d : detached) {
                d.close();
            }
        }
        operands.put(name, kept);
        return kept;
    }

    private boolean isFor(List<NDArray> values) {
        if (source == null || source.size() != values.size()) {
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            if (source.get(i) != values.get(i)) {
                return false;
            }
        }
        return true;
    }

    private void drop() {
        if (manager != null) {
            manager.close();
        }
        manager = null;
        source = null;
        operands.clear();
    }
}
