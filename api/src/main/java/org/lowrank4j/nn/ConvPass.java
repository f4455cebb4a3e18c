package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.function.Function;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.internal.Workspace;

/**
 * One forward pass of a {@link FactorizedConv} with a chosen implementation: in training from the
 * parameter values, in inference with the kernel or the pipeline's prepared kernels from the
 * block's operand cache, built once per parameter state and shared by every thread.
 */
final class ConvPass {

    private ConvPass() {}

    /**
     * Runs one pass of one layer.
     *
     * @param c the block
     * @param impl FACTORIZED, RECONSTRUCTED or MOBILENET
     * @param parameterStore where the parameter values come from
     * @param x the input {@code (B, C, S…)}, checked by the caller
     * @param layer the layer, {@code 0} for a one-layer block
     * @param training whether the pass is a training pass
     * @return the output, in the input's manager
     */
    static NDArray run(
            FactorizedConv<?> c,
            ConvImplementation impl,
            ParameterStore parameterStore,
            NDArray x,
            int layer,
            boolean training) {
        ConvGeometry g = c.geometry(x.getShape());
        ForwardChecks.check(c.getClass().getSimpleName(), c.params().factors(), x);
        if (training) {
            // the optimizer updates the parameters in place after this pass
            c.invalidate();
        }
        List<NDArray> values = c.params().values(parameterStore, x.getDevice(), training);
        NDArray b = c.params().biasValue(parameterStore, x.getDevice(), training);
        boolean pipeline =
                impl == ConvImplementation.FACTORIZED || impl == ConvImplementation.MOBILENET;
        if (training) {
            return compute(c, impl, pipeline, x, values, b, null, layer, g);
        }
        // inference: the kernel, or the pipeline's prepared kernels, come from the cache
        String name = (pipeline ? c.pipelineName(impl, g) : "kernel") + "@" + layer;
        Function<List<NDArray>, NDList> build =
                v -> {
                    List<NDArray> own = c.layers > 1 ? c.layerValues(v, layer) : v;
                    return pipeline ? c.prepare(impl, own, g) : new NDList(c.kernel(own));
                };
        return c.operands()
                .use(
                        values,
                        name,
                        build,
                        kernels -> compute(c, impl, pipeline, x, values, b, kernels, layer, g));
    }

    /**
     * One pass of an implementation: with the cached operands ({@code kernels}, in inference) or
     * from the parameter values (training). Parameters and cached operands are borrowed, never
     * attached: other threads may be running the same block.
     */
    private static NDArray compute(
            FactorizedConv<?> c,
            ConvImplementation impl,
            boolean pipeline,
            NDArray x,
            List<NDArray> values,
            NDArray b,
            NDList kernels,
            int layer,
            ConvGeometry g) {
        if (!pipeline && kernels != null && c.layers == 1) {
            // the cached kernel's convolution is the whole pass: its result lands in x's manager
            // and the shared kernel and bias are only read, so there are no temporaries to scope
            return ConvOps.conv(x, kernels.head(), b, c.stride, c.padding, c.dilation, 1);
        }
        try (Workspace ws = Workspace.of(x)) {
            ws.adopt(x);
            NDArray bias = b == null ? null : ws.borrow(b);
            if (bias != null && c.layers > 1) {
                bias = bias.get(layer);
            }
            NDList own = kernels == null ? null : ws.borrow(kernels);
            NDArray y;
            if (pipeline) {
                if (own == null) {
                    List<NDArray> v = ws.borrow(values);
                    own = c.prepare(impl, c.layers > 1 ? c.layerValues(v, layer) : v, g);
                }
                y = c.run(impl, x, own, bias, g);
            } else {
                NDArray k;
                if (own != null) {
                    k = own.head();
                } else {
                    List<NDArray> v = ws.borrow(values);
                    k = c.kernel(c.layers > 1 ? c.layerValues(v, layer) : v);
                }
                y = ConvOps.conv(x, k, bias, c.stride, c.padding, c.dilation, 1);
            }
            return ws.keep(y);
        }
    }
}
