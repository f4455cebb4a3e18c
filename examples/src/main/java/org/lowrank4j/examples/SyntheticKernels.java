package org.lowrank4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.tensor.TensorOps;

/** Convolution kernels with the decaying spectra trained kernels have, made from a seed. */
public final class SyntheticKernels {

    private SyntheticKernels() {}

    /**
     * A {@code (out, in, k, k)} kernel with unit RMS: a Tucker-2 core whose channel modes are
     * weighted by {@code exp(-decay · i / n)}, orthonormal channel factors, plus Gaussian noise of
     * 5% of the kernel's RMS.
     *
     * @param manager where the kernel lives
     * @param out output channels
     * @param in input channels
     * @param k spatial size
     * @param decay how fast the channel spectrum decays
     * @param seed the seed
     * @return the float32 kernel
     */
    public static NDArray decayingKernel(
            NDManager manager, int out, int in, int k, double decay, long seed) {
        Random random = new Random(seed);
        try (NDManager scope = manager.newSubManager()) {
            NDArray core = gaussian(scope, random, out, in, k, k);
            core = core.mul(weights(scope, out, decay).reshape(out, 1, 1, 1));
            core = core.mul(weights(scope, in, decay).reshape(1, in, 1, 1));
            NDArray u0 = HostLinalg.orthonormalize(gaussian(scope, random, out, out));
            NDArray u1 = HostLinalg.orthonormalize(gaussian(scope, random, in, in));
            NDArray kernel = TensorOps.modeProduct(TensorOps.modeProduct(core, u0, 0), u1, 1);
            double rms = Math.sqrt(kernel.mul(kernel).mean().getDouble());
            NDArray noisy = kernel.add(gaussian(scope, random, out, in, k, k).mul(0.05 * rms));
            NDArray result = noisy.div(rms).toType(DataType.FLOAT32, false);
            result.attach(manager);
            return result;
        }
    }

    private static NDArray weights(NDManager manager, int n, double decay) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(-decay * i / n);
        }
        return manager.create(w);
    }

    private static NDArray gaussian(NDManager manager, Random random, long... shape) {
        Shape s = new Shape(shape);
        double[] v = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        return manager.create(v, s);
    }
}
