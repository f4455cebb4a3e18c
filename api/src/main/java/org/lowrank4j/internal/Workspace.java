package org.lowrank4j.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * A scope for the temporary arrays of one computation.
 *
 * <p>Inputs are {@link #adopt adopted} (temporarily attached to the scope, so that every array an
 * operation derives from them lands in the scope too); results are {@link #keep kept} (attached to
 * the manager the first input came from). Closing the workspace frees every other array made inside
 * it and hands the adopted inputs back to their own managers.
 *
 * <pre>{@code
 * try (Workspace ws = Workspace.of(x)) {
 *     NDArray y = ws.adopt(x).mul(2).add(1);
 *     return ws.keep(y);
 * }
 * }</pre>
 */
public final class Workspace implements AutoCloseable {

    private final NDManager target;
    private final NDManager scope;

    private Workspace(NDManager target) {
        this.target = target;
        this.scope = target.newSubManager();
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
            array.tempAttach(scope);
        }
        return array;
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
        scope.close();
    }
}
