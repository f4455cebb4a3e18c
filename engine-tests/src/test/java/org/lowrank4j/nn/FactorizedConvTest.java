package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Forward passes of CP, Tucker and TT convolutions of order 1 to 3, every implementation. */
public class FactorizedConvTest extends EngineTestBase {

    static final Factorization[] FORMATS = {
        Factorization.CP, Factorization.TUCKER, Factorization.TT
    };

    /** Anisotropic stride (2,1), padding (1,0), dilation (2,1), cut or extended to the order. */
    static Shape per(int order, long... values) {
        long[] v = new long[order];
        for (int i = 0; i < order; i++) {
            v[i] = values[i % values.length];
        }
        return new Shape(v);
    }

    static FactorizedConvBuilder<?> anisotropic(Factorization f, int order) {
        long[] kernel = {3, 2, 3};
        long[] k = new long[order];
        System.arraycopy(kernel, 0, k, 0, order);
        return FactorizedConv.builder()
                .setInChannels(4)
                .setOutChannels(5)
                .setKernelShape(new Shape(k))
                .setFactorization(f)
                .setRank(Rank.fraction(0.5))
                .optStride(per(order, 2, 1))
                .optPadding(per(order, 1, 0))
                .optDilation(per(order, 2, 1))
                .optSeed(11);
    }

    static Shape input(int order) {
        long[] spatial = {9, 7, 6};
        long[] s = new long[order + 2];
        s[0] = 2;
        s[1] = 4;
        System.arraycopy(spatial, 0, s, 2, order);
        return new Shape(s);
    }

    NDArray forward(FactorizedConv<?> conv, NDArray x) {
        return conv.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    @Test
    public void everyImplementationEqualsReconstructed() {
        for (Factorization f : FORMATS) {
            for (int order = 1; order <= 3; order++) {
                FactorizedConv<?> conv = anisotropic(f, order).build();
                Shape in = input(order);
                conv.initialize(manager, DataType.FLOAT32, in);
                NDArray x = randn(3, DataType.FLOAT32, in.getShape());
                conv.setImplementation(ConvImplementation.RECONSTRUCTED);
                NDArray reference = forward(conv, x);
                Assert.assertEquals(
                        reference.getShape(), conv.getOutputShapes(new Shape[] {in})[0]);
                ConvImplementation[] impls =
                        f == Factorization.CP
                                ? new ConvImplementation[] {
                                    ConvImplementation.FACTORIZED,
                                    ConvImplementation.MOBILENET,
                                    ConvImplementation.AUTO
                                }
                                : new ConvImplementation[] {
                                    ConvImplementation.FACTORIZED, ConvImplementation.AUTO
                                };
                for (ConvImplementation impl : impls) {
                    conv.setImplementation(impl);
                    NDArray y = forward(conv, x);
                    double err = relError(y, reference);
                    Assert.assertTrue(
                            err <= 1e-5,
                            f + " order " + order + " " + impl + ": " + err + " on " + engine());
                }
            }
        }
    }

    @Test
    public void reconstructedEqualsDenseConvOfRebuiltKernel() {
        for (Factorization f : FORMATS) {
            for (int order = 1; order <= 3; order++) {
                FactorizedConv<?> conv =
                        anisotropic(f, order)
                                .optImplementation(ConvImplementation.RECONSTRUCTED)
                                .build();
                Shape in = input(order);
                conv.initialize(manager, DataType.FLOAT32, in);
                NDArray bias = randn(5, DataType.FLOAT32, 5);
                NDArray kernel = conv.reconstructKernel();
                setBias(conv, bias);
                NDArray x = randn(4, DataType.FLOAT32, in.getShape());
                NDArray expected =
                        ConvOps.conv(
                                x,
                                kernel,
                                bias,
                                conv.getStride(),
                                conv.getPadding(),
                                conv.getDilation(),
                                1);
                assertClose(forward(conv, x), expected, 1e-6);
                conv.setImplementation(ConvImplementation.FACTORIZED);
                assertClose(forward(conv, x), expected, 1e-5);
            }
        }
    }

    /** Keeps the factors and sets a bias, through the typed decomposition round trip. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void setBias(FactorizedConv conv, NDArray bias) {
        try (org.lowrank4j.tensor.FactorizedTensor t = conv.getDecomposition()) {
            conv.initFromDecomposition(t, bias);
        }
    }
}
