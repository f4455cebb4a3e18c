package org.lowrank4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/**
 * Builds a {@link FactorizedLinear} from trained DJL linear layers ({@link
 * FactorizedLinear#fromLinear}, {@link FactorizedLinear#fromLinearList}, whose javadoc documents
 * the behaviour).
 */
final class LinearConversion {

    private LinearConversion() {}

    /** See {@link FactorizedLinear#fromLinearList}. */
    static FactorizedLinear fromLinearList(
            List<Linear> linears,
            Shape inShape,
            Shape outShape,
            Rank rank,
            Factorization factorization) {
        if (linears == null || linears.isEmpty()) {
            throw new IllegalArgumentException(
                    "fromLinearList needs at least one linear layer, got none");
        }
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> biases = new ArrayList<>();
        Shape wShape = null;
        for (int i = 0; i < linears.size(); i++) {
            Parameter w = linears.get(i).getParameters().get("weight");
            if (w == null || !w.isInitialized()) {
                throw new IllegalArgumentException(
                        "linear layer "
                                + i
                                + " has no initialised weight; initialised layers are accepted");
            }
            Shape s = w.getArray().getShape();
            if (wShape != null && !wShape.equals(s)) {
                throw new IllegalArgumentException(
                        "linear layer "
                                + i
                                + " has weight shape "
                                + s
                                + "; all layers must have the shape "
                                + wShape);
            }
            wShape = s;
            Checks.finiteFloat(w.getArray(), "weight of linear layer " + i);
            weights.add(w.getArray());
            Parameter b = linears.get(i).getParameters().get("bias");
            NDArray bias = b == null || !b.isInitialized() ? null : b.getArray();
            if (bias != null) {
                Checks.finiteFloat(bias, "bias of linear layer " + i);
            }
            biases.add(bias);
        }
        long out = wShape.get(0);
        long in = wShape.get(1);
        if (inShape == null || outShape == null) {
            Pair<Shape, Shape> auto = Tensorize.shapes(in, out, 3);
            inShape = inShape == null ? auto.getKey() : inShape;
            outShape = outShape == null ? auto.getValue() : outShape;
        }
        checkProduct(inShape, in, "input");
        checkProduct(outShape, out, "output");
        boolean anyBias = biases.stream().anyMatch(b -> b != null);
        int layers = linears.size();
        FactorizedLinearBuilder builder =
                FactorizedLinear.builder()
                        .setInTensorizedFeatures(inShape)
                        .setOutTensorizedFeatures(outShape)
                        .setFactorization(factorization)
                        .setRank(rank)
                        .optBias(anyBias)
                        .optLayers(layers)
                        .optSeed(0);
        builder.validate();
        NDArray anchor = weights.get(0);
        FactorizedLinear block;
        try (Workspace ws = Workspace.of(anchor)) {
            NDList stack = new NDList();
            for (NDArray w : weights) {
                stack.add(ws.adopt(w));
            }
            NDArray stacked = layers == 1 ? stack.get(0) : NDArrays.stack(stack);
            NDList arrays = new NDList();
            TensorizedWeight tw =
                    TensorizedWeight.decompose(
                            stacked, factorization, outShape, inShape, layers, rank, arrays);
            block = new FactorizedLinear(builder);
            DataType type = anchor.getDataType();
            List<NDArray> values = new ArrayList<>();
            for (NDArray a : arrays) {
                values.add(ws.keep(contiguous(a.toType(type, false))));
            }
            NDArray biasValue = null;
            if (anyBias) {
                NDList bs = new NDList();
                for (NDArray b : biases) {
                    bs.add(b == null ? ws.manager().zeros(new Shape(out), type) : ws.adopt(b));
                }
                NDArray b = layers == 1 ? bs.get(0) : NDArrays.stack(bs);
                biasValue = ws.keep(contiguous(b.toType(type, false)));
            }
            block.adopt(tw, values, biasValue);
        }
        SourceLayer.initialize(
                block, anchor, SourceLayer.inputShapes(linears.get(0), new Shape(1, in)));
        return block;
    }

    private static NDArray contiguous(NDArray a) {
        return a.reshape(-1).duplicate().reshape(a.getShape());
    }

    private static void checkProduct(Shape shape, long features, String side) {
        if (shape.size() != features) {
            throw new IllegalArgumentException(
                    "tensorized "
                            + side
                            + " shape "
                            + shape
                            + " has "
                            + shape.size()
                            + " entries; the layer has "
                            + features
                            + " "
                            + side
                            + " features, so a shape whose product is "
                            + features
                            + " is accepted");
        }
    }
}
