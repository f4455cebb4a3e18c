package org.lowrank4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.lowrank4j.internal.HostRandom;
import org.lowrank4j.internal.Workspace;

/**
 * Contractions shared by {@link TTTensor} and {@link TTMatrix}, on 3-D cores {@code (r, n, r')}.
 */
final class Trains {

    private Trains() {}

    /**
     * Contracts 3-D cores left to right into a {@code (∏ n_k)} vector reshaped to {@code shape}.
     */
    static NDArray contract(List<NDArray> cores, Shape shape) {
        try (Workspace ws = Workspace.of(cores.get(0))) {
            NDArray first = ws.adopt(cores.get(0));
            long n0 = first.getShape().get(1);
            long r1 = first.getShape().get(2);
            NDArray acc = first.reshape(n0, r1);
            for (int k = 1; k < cores.size(); k++) {
                NDArray core = ws.adopt(cores.get(k));
                Shape cs = core.getShape();
                NDArray next = acc.matMul(core.reshape(cs.get(0), cs.get(1) * cs.get(2)));
                acc = next.reshape(-1, cs.get(2));
            }
            return ws.keep(acc.reshape(shape));
        }
    }

    /** Frobenius norm of the tensor a chain of 3-D cores represents. */
    static double norm(List<NDArray> cores) {
        try (Workspace ws = Workspace.of(cores.get(0))) {
            NDArray env = null;
            for (NDArray c : cores) {
                NDArray core = ws.adopt(c).toType(DataType.FLOAT64, true);
                Shape cs = core.getShape();
                long r = cs.get(0);
                long n = cs.get(1);
                long r2 = cs.get(2);
                NDArray flat = core.reshape(r * n, r2);
                if (env == null) {
                    env = flat.transpose().matMul(flat);
                } else {
                    NDArray left = env.matMul(core.reshape(r, n * r2)).reshape(r * n, r2);
                    env = flat.transpose().matMul(left);
                }
            }
            return Math.sqrt(Math.max(env.sum().getDouble(), 0));
        }
    }

    /** Validates a chain of cores of the given order and returns their data type. */
    static void checkChain(List<NDArray> cores, int coreOrder, String what) {
        if (cores == null || cores.isEmpty()) {
            throw new IllegalArgumentException(what + " needs at least one core, got none");
        }
        long previous = 1;
        for (int k = 0; k < cores.size(); k++) {
            Shape s = cores.get(k).getShape();
            if (s.dimension() != coreOrder) {
                throw new IllegalArgumentException(
                        what
                                + " core "
                                + k
                                + " has shape "
                                + s
                                + "; a "
                                + coreOrder
                                + "-D core is accepted");
            }
            if (s.get(0) != previous) {
                throw new IllegalArgumentException(
                        what
                                + " core "
                                + k
                                + " has shape "
                                + s
                                + "; its first rank must be "
                                + previous
                                + " to match the previous core");
            }
            previous = s.get(coreOrder - 1);
        }
        if (previous != 1) {
            throw new IllegalArgumentException(
                    what + " ends with rank " + previous + "; the last core's last rank must be 1");
        }
        Factors.sameType(cores, what + " cores");
    }

    /** Bond ranks {1, r_1, ..., 1} of a chain. */
    static int[] ranks(List<NDArray> cores) {
        int[] r = new int[cores.size() + 1];
        r[0] = 1;
        for (int k = 0; k < cores.size(); k++) {
            Shape s = cores.get(k).getShape();
            r[k + 1] = Math.toIntExact(s.get(s.dimension() - 1));
        }
        return r;
    }

    /**
     * Draws cores of the given shapes with equal std so that the chain's expected variance is
     * {@code std²}; the caller rescales to the exact RMS.
     */
    static List<NDArray> draw(
            NDManager manager,
            List<Shape> coreShapes,
            int[] ranks,
            double std,
            long seed,
            DataType type) {
        double product = 1;
        for (int k = 1; k < ranks.length - 1; k++) {
            product *= ranks[k];
        }
        double s = Math.pow(std * std / product, 1.0 / (2 * coreShapes.size()));
        Random random = new Random(seed);
        List<NDArray> cores = new ArrayList<>();
        for (Shape cs : coreShapes) {
            cores.add(HostRandom.normal(manager, random, cs, s, type));
        }
        return cores;
    }

    /** Multiplies every core by {@code scale^(1/N)} (new arrays; the old ones are closed). */
    static List<NDArray> scale(List<NDArray> cores, double scale) {
        double perCore = Math.pow(scale, 1.0 / cores.size());
        List<NDArray> out = new ArrayList<>();
        for (NDArray c : cores) {
            out.add(c.mul(perCore));
            c.close();
        }
        return out;
    }

    static void checkRanks(int[] ranks, int order, String what) {
        if (ranks.length != order + 1 || ranks[0] != 1 || ranks[order] != 1) {
            throw new IllegalArgumentException(
                    what
                            + " rank "
                            + java.util.Arrays.toString(ranks)
                            + " is not accepted; "
                            + (order + 1)
                            + " values starting and ending with 1 are");
        }
        for (int r : ranks) {
            if (r < 1) {
                throw new IllegalArgumentException(
                        what
                                + " rank "
                                + java.util.Arrays.toString(ranks)
                                + " has a value below 1");
            }
        }
    }
}
