package org.lowrank4j.internal;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A scope for the temporary arrays of one computation.
 *
 * <p>Inputs are {@link #adopt adopted} (temporarily attached to the scope, so that every array an
 * operation derives from them lands in the scope too); arrays that other threads may use at the
 * same time (parameters, cached operands) are {@link #borrow borrowed} instead, through an alias,
 * and never attached; results are {@link #keep kept} (attached to the manager the first input came
 * from). Closing the workspace frees every other array made inside it and hands the adopted inputs
 * back to their own managers.
 *
 * <pre>{@code
 * try (Workspace ws = Workspace.of(x)) {
 *     NDArray y = ws.adopt(x).mul(2).add(1);
 *     return ws.keep(y);
 * }
 * }</pre>
 *
 * <p>{@link #measurePeak} reports the largest total size of temporary arrays alive at once while a
 * computation runs: the arrays of every open workspace of the thread, adopted inputs excepted,
 * sampled when a workspace closes (temporaries are freed only then, so that is when each scope
 * holds the most). Views (reshapes, slices) count as if they were copies, so the figure is an upper
 * bound.
 */
public final class Workspace implements AutoCloseable {

    private static final ThreadLocal<Probe> PROBE = new ThreadLocal<>();

    private final NDManager target;
    private final NDManager scope;
    private final Probe probe;
    private final Set<NDArray> adopted = Collections.newSetFromMap(new IdentityHashMap<>());

    private Workspace(NDManager target) {
        this.target = target;
        this.scope = target.newSubManager();
        this.probe = PROBE.get();
        if (probe != null) {
            probe.open.push(this);
        }
    }

    /**
     * Runs a computation and returns the largest total size, in bytes, of the temporary arrays
     * alive at once in the workspaces it opened on this thread.
     *
     * @param body the computation
     * @return the peak in bytes (0 if it opened no workspace)
     */
    public static long measurePeak(Runnable body) {
        Probe outer = PROBE.get();
        Probe probe = new Probe();
        PROBE.set(probe);
        try {
            body.run();
        } finally {
            if (outer == null) {
                PROBE.remove();
            } else {
                PROBE.set(outer);
            }
        }
        return probe.peak;
    }

    /**
     * Opens a workspace whose results go to the manager of {@code anchor}.
     *
     * @param anchor the array whose manager receives the results
     * @return a new workspace
     */
    public static Workspace of(NDArray anchor) {
        return new Workspace(anchor.getManager());
    }

    /**
     * Opens a workspace whose results go to {@code target}.
     *
     * @param target the manager that receives the results
     * @return a new workspace
     */
    public static Workspace of(NDManager target) {
        return new Workspace(target);
    }

    /**
     * Returns the scope's manager, for creating temporary arrays.
     *
     * @return the scope's manager
     */
    public NDManager manager() {
        return scope;
    }

    /**
     * Returns the manager results are kept in.
     *
     * @return the target manager
     */
    public NDManager target() {
        return target;
    }

    /**
     * Temporarily attaches an input to this scope; it goes back to its own manager on close.
     * Adopting an array that already lives in this scope changes nothing.
     *
     * @param array the input
     * @return the same array
     */
    public NDArray adopt(NDArray array) {
        if (array.getManager() != scope) {
            if (probe == null || !probe.isTemporary(array)) {
                adopted.add(array);
            }
            array.tempAttach(scope);
        }
        return array;
    }

    /**
     * Returns an alias, in this scope, of an array that other threads may use at the same time: a
     * parameter value or a cached operand. The alias is a reshape to the array's own shape (a view
     * where the engine makes one), so every array derived from it lands in this scope and is freed
     * with it, while the shared array itself never changes manager: attaching one array to the
     * scopes of several threads at once corrupts their managers.
     *
     * @param shared the array other threads may be using
     * @return an alias owned by this scope, which computes (and differentiates) like the array
     */
    public NDArray borrow(NDArray shared) {
        NDArray alias = shared.reshape(shared.getShape());
        alias.attach(scope);
        adopted.add(alias); // an input, not a temporary, for measurePeak and step
        return alias;
    }

    /**
     * Borrows every array of a list, see {@link #borrow(NDArray)}.
     *
     * @param shared the arrays other threads may be using
     * @return their aliases, in the same order
     */
    public NDList borrow(List<NDArray> shared) {
        NDList aliases = new NDList(shared.size());
        for (NDArray a : shared) {
            aliases.add(borrow(a));
        }
        return aliases;
    }

    /**
     * Runs one step of a chain of operations in a nested scope: the step's own temporaries are
     * freed when it returns, its result is kept in this workspace, and {@code current} is freed too
     * when it is a temporary of this workspace (not an adopted input). So a chain holds at most one
     * step's arrays at a time.
     *
     * @param current the value the step starts from
     * @param op the step: given the nested workspace (to adopt other arrays it reads) and {@code
     *     current}, it returns a new array
     * @return the step's result, in this workspace
     */
    public NDArray step(NDArray current, BiFunction<Workspace, NDArray, NDArray> op) {
        NDArray next;
        try (Workspace inner = new Workspace(scope)) {
            next = op.apply(inner, inner.adopt(current));
            if (next != current) {
                inner.keep(next);
            }
        }
        if (next != current && current.getManager() == scope && !adopted.contains(current)) {
            release(current);
        }
        return next;
    }

    /**
     * Frees temporaries before their workspace closes (a measurement of {@link #measurePeak} first
     * counts them as alive).
     *
     * @param arrays temporaries that are no longer needed
     */
    public static void release(NDArray... arrays) {
        Probe probe = PROBE.get();
        if (probe != null) {
            probe.sample();
        }
        for (NDArray a : arrays) {
            a.close();
        }
    }

    /**
     * Keeps a result beyond this scope, in the target manager.
     *
     * @param array the result
     * @return the same array
     */
    public NDArray keep(NDArray array) {
        array.attach(target);
        return array;
    }

    /**
     * Keeps every array of a list beyond this scope.
     *
     * @param list the results
     * @return the same list
     */
    public NDList keep(NDList list) {
        list.attach(target);
        return list;
    }

    /** Frees every temporary array and returns the adopted inputs to their managers. */
    @Override
    public void close() {
        if (probe != null) {
            probe.sample();
            probe.open.remove(this);
        }
        scope.close();
    }

    /** The open workspaces of a measurement and the largest total seen. */
    private static final class Probe {

        private final Deque<Workspace> open = new ArrayDeque<>();
        private long peak;

        /**
         * Whether an array was made in an open workspace (it lives there and none adopted it), so
         * that it is a temporary too.
         */
        boolean isTemporary(NDArray array) {
            boolean inScope = false;
            for (Workspace ws : open) {
                if (ws.adopted.contains(array)) {
                    return false;
                }
                inScope |= ws.scope == array.getManager();
            }
            return inScope;
        }

        void sample() {
            Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Workspace ws : open) {
                seen.addAll(ws.adopted);
            }
            long bytes = 0;
            for (Workspace ws : open) {
                if (!(ws.scope instanceof BaseNDManager)) {
                    continue;
                }
                for (NDArray a : ((BaseNDManager) ws.scope).getManagedArrays()) {
                    if (seen.add(a) && !a.isReleased()) {
                        bytes += a.size() * a.getDataType().getNumOfBytes();
                    }
                }
            }
            peak = Math.max(peak, bytes);
        }
    }
}
