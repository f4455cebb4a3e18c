package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.lowrank4j.internal.HostArrays;
import org.lowrank4j.internal.Workspace;

/**
 * The input patches of a 2-D convolution as rows of features (an im2col by one grouped
 * convolution), accumulated into {@link GramStats} in chunks of bounded size: what a convolution's
 * data-aware fit works from.
 */
final class Patches {

    private Patches() {}

    /**
     * The grouped kernel that copies each patch of a {@code c}-channel input into {@code c · kh ·
     * kw} output channels, channel-major as a {@code (O, C, kh, kw)} kernel is flattened.
     */
    static NDArray kernel(NDManager manager, int c, int kh, int kw, DataType type) {
        int k = kh * kw;
        double[] values = new double[c * k * k];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int out = ch * k + i * kw + j;
                    values[(out * kh + i) * kw + j] = 1;
                }
            }
        }
        return HostArrays.create(manager, values, new Shape((long) c * k, 1, kh, kw), type);
    }

    /** The output size along one axis, 0 if the kernel does not fit. */
    static long outSize(long in, long k, long stride, long pad, long dil) {
        long span = dil * (k - 1) + 1;
        long room = in + 2 * pad - span;
        return room < 0 ? 0 : room / stride + 1;
    }

    /**
     * Adds the patch rows of a batch of images to the statistics, a chunk of images at a time.
     *
     * @param stats where the rows go
     * @param x the images {@code (N, C, H, W)}, of output size {@code (ho, wo)}
     * @param kernel the {@link #kernel} for the channels and kernel size
     * @param stride the stride
     * @param padding the padding
     * @param dilation the dilation
     * @param outputs {@code ho · wo}, the patches per image
     * @param chunk the most values one chunk's patch rows may hold
     */
    static void accumulate(
            GramStats stats,
            NDArray x,
            NDArray kernel,
            Shape stride,
            Shape padding,
            Shape dilation,
            long outputs,
            long chunk) {
        long channels = x.getShape().get(1);
        long features = kernel.getShape().get(0);
        long n = x.getShape().get(0);
        long imagesPerChunk = Math.max(1, chunk / (outputs * features));
        for (long start = 0; start < n; start += imagesPerChunk) {
            long end = Math.min(n, start + imagesPerChunk);
            try (Workspace ws = Workspace.of(x)) {
                // the chunk and everything made from it are closed with the workspace
                NDArray xc = ws.adopt(x.get(new NDIndex("{}:{}", start, end)));
                NDArray cols =
                        Conv2d.conv2d(xc, kernel, null, stride, padding, dilation, (int) channels)
                                .singletonOrThrow();
                NDArray rows = cols.transpose(0, 2, 3, 1).reshape(-1, features);
                stats.add(GramStats.f64(rows), null);
            }
        }
    }
}
