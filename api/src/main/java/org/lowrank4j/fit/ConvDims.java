package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.Checks;

/**
 * The dimensions of a convolution fit ({@link LowRankFit#fitConv2d}), checked: images {@code (N, C,
 * H, W)}, a first kernel {@code (r0, C, kh, kw)}, an optional 1×1 second kernel {@code (M, r0, 1,
 * 1)} and the output size {@code (ho, wo)}.
 */
final class ConvDims {

    final long n;
    final long c;
    final long r0;
    final long kh;
    final long kw;
    final long m;
    final long ho;
    final long wo;

    private ConvDims(long n, long c, long r0, long kh, long kw, long m, long ho, long wo) {
        this.n = n;
        this.c = c;
        this.r0 = r0;
        this.kh = kh;
        this.kw = kw;
        this.m = m;
        this.ho = ho;
        this.wo = wo;
    }

    /**
     * Checks the arguments of a convolution fit and returns their dimensions.
     *
     * @throws IllegalArgumentException naming the argument that does not fit
     */
    static ConvDims of(
            NDArray x,
            NDArray wa,
            NDArray wb,
            NDArray biasA,
            NDArray biasB,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        if (groups != 1) {
            throw new IllegalArgumentException(
                    "groups "
                            + groups
                            + " is not supported; only ordinary convolutions (groups 1) are"
                            + " accepted");
        }
        FitChecks.checkSetting(stride, "stride", 1);
        FitChecks.checkSetting(padding, "padding", 0);
        FitChecks.checkSetting(dilation, "dilation", 1);
        Checks.dims(x, 4, "X");
        Checks.floatType(x, "X");
        Checks.dims(wa, 4, "Wa");
        Checks.floatType(wa, "Wa");
        long n = x.getShape().get(0);
        long c = x.getShape().get(1);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        long r0 = wa.getShape().get(0);
        long kh = wa.getShape().get(2);
        long kw = wa.getShape().get(3);
        if (wa.getShape().get(1) != c) {
            throw new IllegalArgumentException(
                    "Wa has shape "
                            + wa.getShape()
                            + " but X has shape "
                            + x.getShape()
                            + "; Wa must have "
                            + c
                            + " input channels (dimension 1)");
        }
        if (n < 1) {
            throw new IllegalArgumentException(
                    "X has shape " + x.getShape() + "; at least one image is accepted");
        }
        long m = r0;
        if (wb == null) {
            if (biasB != null) {
                throw new IllegalArgumentException(
                        "biasB of shape "
                                + biasB.getShape()
                                + " was given without Wb; biasB is accepted only together with"
                                + " Wb");
            }
        } else {
            Checks.dims(wb, 4, "Wb");
            Checks.floatType(wb, "Wb");
            Shape s = wb.getShape();
            if (s.get(1) != r0 || s.get(2) != 1 || s.get(3) != 1) {
                throw new IllegalArgumentException(
                        "Wb has shape "
                                + s
                                + " but Wa has shape "
                                + wa.getShape()
                                + "; Wb must be a 1x1 kernel (M, "
                                + r0
                                + ", 1, 1)");
            }
            m = s.get(0);
            FitChecks.checkBias(biasB, m, "biasB");
        }
        FitChecks.checkBias(biasA, r0, "biasA");
        long ho = Patches.outSize(h, kh, stride.get(0), padding.get(0), dilation.get(0));
        long wo = Patches.outSize(w, kw, stride.get(1), padding.get(1), dilation.get(1));
        if (ho < 1 || wo < 1) {
            throw new IllegalArgumentException(
                    "a kernel of shape "
                            + wa.getShape()
                            + " with padding "
                            + padding
                            + " and dilation "
                            + dilation
                            + " does not fit into X of shape "
                            + x.getShape()
                            + "; the output would be "
                            + ho
                            + "x"
                            + wo);
        }
        return new ConvDims(n, c, r0, kh, kw, m, ho, wo);
    }
}
