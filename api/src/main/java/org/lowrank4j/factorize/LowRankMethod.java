package org.lowrank4j.factorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lowrank4j.cost.BlockCost;
import org.lowrank4j.cost.ConvGeometry;
import org.lowrank4j.cost.CostCounter;
import org.lowrank4j.fit.InputStatistics;
import org.lowrank4j.fit.LowRankFit;
import org.lowrank4j.fit.LowRankSolution;
import org.lowrank4j.fit.OutputSpectrum;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.nn.LowRankConv;
import org.lowrank4j.nn.LowRankLinear;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Ranks;

/** The two-factor method: {@link LowRankConv} for 2-D convolutions, {@link LowRankLinear}. */
final class LowRankMethod implements LayerMethod {

    static final String NAME = "low-rank";
    private static final LowRankFit FIT = LowRankFit.builder().optRequireSpeedup(false).build();

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return NAME;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isDataAware() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public String unsupportedReason(Block layer, Shape[] inputShapes) {
        if (layer instanceof Linear) {
            return null;
        }
        if (layer instanceof Conv2d) {
            int groups = ((Conv2d) layer).getGroups();
            return groups == 1
                    ? null
                    : "grouped convolution (groups "
                            + groups
                            + "); the low-rank method accepts groups 1 only";
        }
        return layer.getClass().getSimpleName()
                + " is not accepted by the low-rank method; Conv2d and Linear are";
    }

    /** {@inheritDoc} */
    @Override
    public LayerRecorder newRecorder(Block layer, Shape[] inputShapes, NDManager manager) {
        NDArray w = weight(layer);
        InputStatistics stats;
        if (layer instanceof Linear) {
            stats = InputStatistics.forMatrix(manager, w.getShape().get(1));
        } else {
            Conv2d conv = (Conv2d) layer;
            stats =
                    InputStatistics.forConv2d(
                            manager,
                            w.getShape().get(1),
                            conv.getKernelShape(),
                            conv.getStride(),
                            conv.getPadding(),
                            conv.getDilation());
        }
        return new StatisticsRecorder(stats);
    }

    /** {@inheritDoc} */
    @Override
    public LayerResult factorize(LayerRequest request) {
        Block layer = request.getLayer();
        String reason = unsupportedReason(layer, request.getInputShapes());
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        NDArray w = weight(layer);
        Shape ws = w.getShape();
        long out = ws.get(0);
        long fanIn = ws.size() / out;
        int rank = resolve(request.getRank(), fanIn, out);
        InputStatistics stats =
                request.getRecorder() == null
                        ? null
                        : ((StatisticsRecorder) request.getRecorder()).stats;
        Parameter b =
                layer.getParameters().contains("bias") ? layer.getParameters().get("bias") : null;
        NDArray oldBias = b == null || !b.isInitialized() ? null : b.getArray();
        Block block;
        double nmse = Double.NaN;
        if (layer instanceof Linear) {
            if (stats == null) {
                block = LowRankLinear.fromLinear((Linear) layer, null, rank);
            } else {
                NDArray wt = w.transpose();
                NDArray bias =
                        oldBias == null
                                ? w.getManager().zeros(new Shape(out), w.getDataType())
                                : null;
                try (LowRankSolution s =
                        FIT.fitMatrix(stats, wt, oldBias == null ? bias : oldBias, rank)) {
                    block = LowRankLinear.fromSolution(s);
                    nmse = s.getNmse();
                } finally {
                    wt.close();
                    if (bias != null) {
                        bias.close();
                    }
                }
            }
        } else {
            Conv2d conv = (Conv2d) layer;
            if (stats == null) {
                block = LowRankConv.fromConv(conv, null, rank);
            } else {
                NDArray bias =
                        oldBias == null
                                ? w.getManager().zeros(new Shape(out), w.getDataType())
                                : null;
                try (LowRankSolution s =
                        FIT.fitConv2d(stats, w, oldBias == null ? bias : oldBias, rank)) {
                    block =
                            LowRankConv.fromSolution(
                                    s, conv.getStride(), conv.getPadding(), conv.getDilation());
                    nmse = s.getNmse();
                } finally {
                    if (bias != null) {
                        bias.close();
                    }
                }
            }
        }
        int realised =
                block instanceof LowRankLinear
                        ? ((LowRankLinear) block).getRank()
                        : ((LowRankConv) block).getRank();
        double error = weightError(w, block);
        return LayerResult.of(block, new int[] {realised}, "two-factor", error, nmse);
    }

    /** {@inheritDoc} */
    @Override
    public LayerProfile profile(LayerRequest request) {
        Block layer = request.getLayer();
        String reason = unsupportedReason(layer, request.getInputShapes());
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        NDArray w = weight(layer);
        long out = w.getShape().get(0);
        long fanIn = w.getShape().size() / out;
        Shape[] in = request.getInputShapes();
        Shape y = layer.getOutputShapes(in)[0];
        long rows = y.size() / out;
        double[] sv;
        try (NDArray unfolding = w.reshape(out, fanIn)) {
            sv = LayerProfile.singularValues(unfolding);
        }
        OutputSpectrum spectrum = null;
        if (request.getRecorder() != null) {
            InputStatistics stats = ((StatisticsRecorder) request.getRecorder()).stats;
            Parameter b =
                    layer.getParameters().contains("bias")
                            ? layer.getParameters().get("bias")
                            : null;
            NDArray bias =
                    b != null && b.isInitialized()
                            ? b.getArray()
                            : w.getManager().zeros(new Shape(out), w.getDataType());
            NDArray weight = layer instanceof Linear ? w.transpose() : w;
            try {
                spectrum = LowRankFit.outputSpectrum(stats, weight, bias);
            } finally {
                if (weight != w) {
                    weight.close();
                }
                if (b == null || !b.isInitialized()) {
                    bias.close();
                }
            }
        }
        return LayerProfile.builder()
                .setPath(request.getPath())
                .addMode(sv, out, fanIn)
                .optOutputSpectrum(spectrum)
                .setDenseCost(CostCounter.layer(layer, in))
                .setCostModel(
                        r -> {
                            long params = r[0] * (fanIn + out) + out;
                            return BlockCost.of(params, rows * params);
                        })
                .optResolver(rank -> new int[] {resolve(rank, fanIn, out)})
                .optLayer(layer, in)
                .optStructure(r -> structure(layer, r[0]))
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public boolean produced(Block block) {
        return block instanceof LowRankLinear || block instanceof LowRankConv;
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> describe(Block factorized) {
        Map<String, String> m = new LinkedHashMap<>();
        if (factorized instanceof LowRankLinear) {
            LowRankLinear lr = (LowRankLinear) factorized;
            m.put("layer", "Linear");
            m.put("units", String.valueOf(lr.getUnits()));
            m.put("rank", String.valueOf(lr.getRank()));
            return m;
        }
        if (factorized instanceof LowRankConv) {
            LowRankConv lr = (LowRankConv) factorized;
            m.put("layer", "Conv2d");
            m.put("filters", String.valueOf(lr.getFilters()));
            m.put("rank", String.valueOf(lr.getRank()));
            m.put("kernel", encode(lr.getKernelShape()));
            m.put("stride", encode(lr.getStride()));
            m.put("padding", encode(lr.getPadding()));
            m.put("dilation", encode(lr.getDilation()));
            return m;
        }
        throw new IllegalArgumentException(
                factorized.getClass().getSimpleName()
                        + " was not made by the low-rank method; LowRankLinear and LowRankConv"
                        + " are accepted");
    }

    /** {@inheritDoc} */
    @Override
    public Block rebuild(Block original, Map<String, String> settings) {
        String type = settings.get("layer");
        if ("Linear".equals(type) && original instanceof Linear) {
            long units = PlanSettings.number(settings, "units");
            long actual = units(original);
            if (actual != units) {
                throw new IllegalArgumentException(
                        "the plan's Linear has "
                                + units
                                + " units but the block's has "
                                + actual
                                + "; a block built like the factorized one is accepted");
            }
            return structure(original, checkedRank(settings, units));
        }
        if ("Conv2d".equals(type) && original instanceof Conv2d) {
            Conv2d conv = (Conv2d) original;
            long filters = PlanSettings.number(settings, "filters");
            String planned =
                    filters
                            + " filters, kernel "
                            + settings.get("kernel")
                            + ", stride "
                            + settings.get("stride")
                            + ", padding "
                            + settings.get("padding")
                            + ", dilation "
                            + settings.get("dilation");
            String actual =
                    conv.getFilters()
                            + " filters, kernel "
                            + encode(conv.getKernelShape())
                            + ", stride "
                            + encode(conv.getStride())
                            + ", padding "
                            + encode(conv.getPadding())
                            + ", dilation "
                            + encode(conv.getDilation());
            if (!planned.equals(actual) || conv.getGroups() != 1) {
                throw new IllegalArgumentException(
                        "the plan's Conv2d ("
                                + planned
                                + ") does not fit the block's ("
                                + actual
                                + ", groups "
                                + conv.getGroups()
                                + "); a block built like the factorized one is accepted");
            }
            return structure(original, checkedRank(settings, filters));
        }
        throw new IllegalArgumentException(
                "the plan replaces a "
                        + type
                        + " but the block has a "
                        + original.getClass().getSimpleName()
                        + " there; a block built like the factorized one is accepted");
    }

    /**
     * The plan's rank, refused unless in {@code 1..outputs} (a two-factor layer's rank is at most
     * its output width; the input width, not known before loading, bounds it further when the block
     * is initialised).
     */
    private static int checkedRank(Map<String, String> settings, long outputs) {
        long rank = PlanSettings.number(settings, "rank");
        if (rank < 1 || rank > outputs) {
            throw new IllegalArgumentException(
                    "plan setting rank = "
                            + rank
                            + " is not accepted for a layer of "
                            + outputs
                            + " outputs; 1.."
                            + outputs
                            + " is");
        }
        return (int) rank;
    }

    /** An uninitialised two-factor block of a rank with the configuration of a layer. */
    private static Block structure(Block layer, int rank) {
        if (layer instanceof Linear) {
            return LowRankLinear.builder().setUnits(units(layer)).setRank(rank).build();
        }
        Conv2d conv = (Conv2d) layer;
        return LowRankConv.builder()
                .setKernelShape(conv.getKernelShape())
                .setFilters(conv.getFilters())
                .setRank(rank)
                .optStride(conv.getStride())
                .optPadding(conv.getPadding())
                .optDilation(conv.getDilation())
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public Block toStandard(Block factorized) {
        NDArray first = factorized.getParameters().get("first_weight").getArray();
        NDArray second = factorized.getParameters().get("second_weight").getArray();
        NDArray bias = factorized.getParameters().get("bias").getArray();
        SequentialBlock seq = new SequentialBlock();
        if (factorized instanceof LowRankLinear) {
            LowRankLinear lr = (LowRankLinear) factorized;
            seq.add(Linear.builder().setUnits(lr.getRank()).optBias(false).build());
            seq.add(Linear.builder().setUnits(lr.getUnits()).build());
        } else {
            LowRankConv lr = (LowRankConv) factorized;
            seq.add(
                    Conv2d.builder()
                            .setKernelShape(lr.getKernelShape())
                            .setFilters(lr.getRank())
                            .optStride(lr.getStride())
                            .optPadding(lr.getPadding())
                            .optDilation(lr.getDilation())
                            .optBias(false)
                            .build());
            seq.add(
                    Conv2d.builder()
                            .setKernelShape(new Shape(1, 1))
                            .setFilters((int) lr.getFilters())
                            .build());
        }
        seq.initialize(first.getManager(), first.getDataType(), standardInput(factorized));
        Block a = seq.getChildren().valueAt(0);
        Block b = seq.getChildren().valueAt(1);
        first.copyTo(a.getParameters().get("weight").getArray());
        second.copyTo(b.getParameters().get("weight").getArray());
        bias.copyTo(b.getParameters().get("bias").getArray());
        return seq;
    }

    /**
     * {@inheritDoc} A {@link Linear} or a {@link Conv2d} with a bias (a low-rank block always has
     * one) whose weight is the second factor times the first.
     */
    @Override
    public Block toDense(Block factorized) {
        NDArray first = factorized.getParameters().get("first_weight").getArray();
        NDArray second = factorized.getParameters().get("second_weight").getArray();
        NDArray bias = factorized.getParameters().get("bias").getArray();
        Block dense;
        if (factorized instanceof LowRankLinear) {
            dense = Linear.builder().setUnits(((LowRankLinear) factorized).getUnits()).build();
        } else {
            LowRankConv lr = (LowRankConv) factorized;
            dense =
                    Conv2d.builder()
                            .setKernelShape(lr.getKernelShape())
                            .setFilters((int) lr.getFilters())
                            .optStride(lr.getStride())
                            .optPadding(lr.getPadding())
                            .optDilation(lr.getDilation())
                            .build();
        }
        dense.initialize(first.getManager(), first.getDataType(), standardInput(factorized));
        NDArray target = dense.getParameters().get("weight").getArray();
        long r = first.getShape().get(0);
        try (Workspace ws = Workspace.of(first)) {
            NDArray product =
                    ws.borrow(second)
                            .reshape(second.getShape().get(0), r)
                            .matMul(ws.borrow(first).reshape(r, -1));
            product.reshape(target.getShape()).copyTo(target);
        }
        bias.copyTo(dense.getParameters().get("bias").getArray());
        return dense;
    }

    /** The input shapes a low-rank block's standard or dense layers are initialised with. */
    private static Shape standardInput(Block factorized) {
        long in = factorized.getParameters().get("first_weight").getArray().getShape().get(1);
        Shape input;
        if (factorized instanceof LowRankLinear) {
            input = new Shape(1, in);
        } else {
            LowRankConv lr = (LowRankConv) factorized;
            input = ConvGeometry.smallestInput(in, lr.getKernelShape(), lr.getDilation());
        }
        return LayerMethods.standardInput(factorized, input);
    }

    // ------------------------------------------------------------------------------------------

    /**
     * The rank of the two factors of an {@code (out, fanIn)} weight: the CP rank of that matrix
     * ({@link Ranks#cp}: a fraction {@code f} gives {@code round(f · out · fanIn / (out + fanIn))},
     * the rank whose two factors hold that share of the weight's values), clipped to {@code
     * min(out, fanIn)}.
     */
    static int resolve(Rank rank, long fanIn, long out) {
        if (!rank.isFraction() && rank.getValues().length != 1) {
            throw new IllegalArgumentException(
                    "rank "
                            + rank
                            + " is not accepted by the low-rank method; one value or a fraction is");
        }
        return Ranks.cp(new Shape(out, fanIn), rank);
    }

    private static NDArray weight(Block layer) {
        Parameter w = layer.getParameters().get("weight");
        if (w == null || !w.isInitialized()) {
            throw new IllegalArgumentException(
                    layer.getClass().getSimpleName()
                            + " has no initialised weight; a trained (initialised) layer is"
                            + " accepted");
        }
        return w.getArray();
    }

    /** The relative Frobenius distance between the layer's weight and the factors' product. */
    private static double weightError(NDArray w, Block block) {
        NDArray first = block.getParameters().get("first_weight").getArray();
        NDArray second = block.getParameters().get("second_weight").getArray();
        long out = w.getShape().get(0);
        try (Workspace ws = Workspace.of(w)) {
            ws.adopt(w);
            ws.adopt(first);
            ws.adopt(second);
            NDArray a = first.toType(DataType.FLOAT64, true);
            long r = a.getShape().get(0);
            NDArray product =
                    second.toType(DataType.FLOAT64, true).reshape(out, r).matMul(a.reshape(r, -1));
            NDArray dense = w.toType(DataType.FLOAT64, true).reshape(out, -1);
            double num = product.sub(dense).square().sum().getDouble();
            double den = dense.square().sum().getDouble();
            return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
        }
    }

    static long units(Block linear) {
        Parameter w = linear.getParameters().get("weight");
        if (w.isInitialized()) {
            return w.getArray().getShape().get(0);
        }
        Shape out = linear.getOutputShapes(new Shape[] {new Shape(1, 1)})[0];
        return out.get(out.dimension() - 1);
    }

    private static String encode(Shape s) {
        StringBuilder b = new StringBuilder();
        for (long v : s.getShape()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(v);
        }
        return b.toString();
    }

    /** Records input statistics with {@link InputStatistics}. */
    private static final class StatisticsRecorder implements LayerRecorder {

        final InputStatistics stats;

        StatisticsRecorder(InputStatistics stats) {
            this.stats = stats;
        }

        @Override
        public void record(NDList inputs) {
            stats.add(inputs.singletonOrThrow());
        }

        @Override
        public void close() {
            stats.close();
        }
    }
}
