package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.testing.EngineTestBase;
import org.testng.Assert;
import org.testng.annotations.Test;

/** An N-D convolution grown into an (N+1)-D one acts frame by frame. */
public class TransductTest extends EngineTestBase {

    private NDArray forward(FactorizedConv<?> conv, NDArray x) {
        return conv.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    private static String slice(int axis, int t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < axis; i++) {
            b.append(":, ");
        }
        return b.append(t).toString();
    }

    @Test
    public void grownConvolutionActsFrameByFrame() {
        for (Factorization f : FactorizedConvTest.FORMATS) {
            for (int order = 1; order <= 2; order++) {
                FactorizedConvBuilder<?> b = FactorizedConvTest.anisotropic(f, order);
                if (f == Factorization.TUCKER && order == 2) {
                    b.optFixedRankModes("spatial");
                }
                FactorizedConv<?> conv = b.build();
                Shape in = FactorizedConvTest.input(order);
                conv.initialize(manager, DataType.FLOAT32, in);
                conv.initFromRandom(false, 1.0);
                for (int mode = 0; mode <= order; mode++) {
                    FactorizedConv<?> grown = conv.transduct(3, mode, 1, 1, 1, true);
                    Assert.assertEquals(grown.getOrder(), order + 1);
                    Assert.assertEquals(grown.getKernelShape().get(mode), 3);
                    Assert.assertEquals(grown.getStride().get(mode), 1);
                    // frames stacked along the new axis
                    long[] s = in.getShape();
                    long[] stacked = new long[s.length + 1];
                    for (int i = 0, j = 0; i < stacked.length; i++) {
                        stacked[i] = i == 2 + mode ? 4 : s[j++];
                    }
                    NDArray x = randn(mode, DataType.FLOAT32, stacked);
                    NDArray y = forward(grown, x);
                    Assert.assertEquals(y.getShape().get(2 + mode), 4);
                    for (int t = 0; t < 4; t++) {
                        NDArray frame = x.get(new NDIndex(slice(2 + mode, t)));
                        assertClose(
                                y.get(new NDIndex(slice(2 + mode, t))), forward(conv, frame), 1e-5);
                    }
                    // only the new factor trains
                    int trainable = 0;
                    for (Parameter p : grown.getParameters().values()) {
                        if (p.requiresGradient()) {
                            trainable++;
                            Assert.assertEquals(
                                    p.getArray().getShape().get(f == Factorization.TT ? 1 : 0),
                                    3L,
                                    p.getName());
                        }
                    }
                    Assert.assertEquals(trainable, 1, f + " mode " + mode);
                }
                int beyond = order + 1;
                assertIllegalArgument(() -> conv.transduct(3, beyond, 1, 1, 1, false), "mode");
                assertIllegalArgument(() -> conv.transduct(0, 0, 1, 1, 1, false), "kernelSize 0");
            }
        }
        FactorizedConv<?> three = FactorizedConvTest.anisotropic(Factorization.CP, 3).build();
        assertIllegalArgument(() -> three.transduct(3, 0, 1, 1, 1, false), "order-3");
    }
}
