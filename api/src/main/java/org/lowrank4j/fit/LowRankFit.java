package org.lowrank4j.fit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.HostLinalg;
import org.lowrank4j.internal.Workspace;

/**
 * Data-aware low-rank factorization of linear and convolution layers.
 *
 * <p>Given inputs {@code X [N, D]} and the targets {@code Y [N, M]} a layer should produce, it
 * finds {@code Wa [D, r]}, {@code Wb [r, M]} and a bias {@code b [M]} that minimise {@code ||Y − (X
 * · Wa · Wb + b)||²}, the output error on the data rather than the distance between weights. The
 * default {@link Solver#CLOSED_FORM closed-form} solver finds the optimum directly: the rank-{@code
 * r} product that best predicts {@code Y} from {@code X} is the least-squares prediction projected
 * onto the top-{@code r} principal subspace of the centred outputs, with the bias refitted. {@link
 * Solver#ALTERNATING_LEAST_SQUARES Alternating least squares} is available for comparison.
 *
 * <p>Everything is computed from Gram matrices ({@code XᵀX}, {@code XᵀY} and sums), accumulated
 * over chunks of rows on the engine in double precision, so memory stays bounded: a convolution's
 * im2col matrix is never materialised whole. The small dense problems (a symmetric
 * eigendecomposition of size {@code M}, linear systems of size {@code D} or {@code r}) are solved
 * on the host by {@link HostLinalg}.
 *
 * <p>When the requested rank cannot save computation ({@code r · (D + M) >= D · M} or {@code r >=
 * min(D, M)}) the result is the full solution of rank {@code -1} (see {@link LowRankSolution}),
 * unless {@link Builder#optRequireSpeedup(boolean)} is turned off.
 *
 * <pre>{@code
 * LowRankSolution s = LowRankFit.factorizeMatrix(x, y, w, null, b, 16);
 * LowRankSolution t = LowRankFit.builder()
 *         .optSolver(LowRankFit.Solver.ALTERNATING_LEAST_SQUARES)
 *         .optIterations(10)
 *         .build()
 *         .fitMatrix(x, y, w, null, b, 16);
 * }</pre>
 *
 * <p>Results live in the manager of {@code Wa} and have its data type. Inputs are left unchanged.
 */
public final class LowRankFit {

    /** How the rank-constrained problem is solved. */
    public enum Solver {
        /** The exact optimum, from the principal subspace of the least-squares prediction. */
        CLOSED_FORM,
        /**
         * Alternating least squares for the two factors, started from the truncated SVD of the
         * weight and run for {@link Builder#optIterations(int)} rounds.
         */
        ALTERNATING_LEAST_SQUARES
    }

    private static final LowRankFit DEFAULTS = builder().build();

    private final Solver solver;
    private final int iterations;
    private final boolean requireSpeedup;
    private final long chunkSize;

    private LowRankFit(Builder builder) {
        this.solver = builder.solver;
        this.iterations = builder.iterations;
        this.requireSpeedup = builder.requireSpeedup;
        this.chunkSize = builder.chunkSize;
    }

    /**
     * Returns a new builder of fitting options.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fits a rank-{@code rank} factorization of a linear map with the default options (closed
     * form).
     *
     * @param x the inputs, {@code [N, D]}
     * @param y the targets, {@code [N, M]}
     * @param wa the weight {@code [D, M]}, or the first factor {@code [D, r0]} if {@code wb} is
     *     given
     * @param wb the second factor {@code [r0, M]} of an existing factorization, or {@code null}
     * @param bias the bias {@code [M]}, or {@code null} to fit without a bias
     * @param rank the rank, at least 1
     * @return the solution
     * @throws IllegalArgumentException if shapes disagree, the rank is below 1 or {@code x} or
     *     {@code y} hold NaN or infinite values
     * @see #fitMatrix(NDArray, NDArray, NDArray, NDArray, NDArray, int)
     */
    public static LowRankSolution factorizeMatrix(
            NDArray x, NDArray y, NDArray wa, NDArray wb, NDArray bias, int rank) {
        return DEFAULTS.fitMatrix(x, y, wa, wb, bias, rank);
    }

    /**
     * Fits a factorization of a linear map whose rank is a fraction of {@code min(D, M)}, with the
     * default options (closed form).
     *
     * @param x the inputs, {@code [N, D]}
     * @param y the targets, {@code [N, M]}
     * @param wa the weight {@code [D, M]}, or the first factor {@code [D, r0]} if {@code wb} is
     *     given
     * @param wb the second factor {@code [r0, M]} of an existing factorization, or {@code null}
     * @param bias the bias {@code [M]}, or {@code null} to fit without a bias
     * @param rankFraction the rank as a fraction of {@code min(D, M)}, in {@code (0, 1]}; the rank
     *     is {@code max(1, round(rankFraction · min(D, M)))}
     * @return the solution
     * @throws IllegalArgumentException if shapes disagree, the fraction is out of range or {@code
     *     x} or {@code y} hold NaN or infinite values
     */
    public static LowRankSolution factorizeMatrix(
            NDArray x, NDArray y, NDArray wa, NDArray wb, NDArray bias, double rankFraction) {
        return DEFAULTS.fitMatrix(x, y, wa, wb, bias, rankFraction);
    }

    /**
     * Fits a rank-{@code rank} factorization of a 2-D convolution with the default options (closed
     * form): a {@code kh×kw} convolution with {@code rank} output channels, then a 1×1 convolution
     * with a bias.
     *
     * @param x the inputs, {@code (N, C, H, W)}
     * @param wa the kernel {@code (M, C, kh, kw)}, or the first kernel {@code (r0, C, kh, kw)} of
     *     an existing factorization if {@code wb} is given
     * @param wb the 1×1 kernel {@code (M, r0, 1, 1)} of an existing factorization, or {@code null}
     * @param biasA the bias of the first convolution ({@code M} or {@code r0} values), or {@code
     *     null}
     * @param biasB the bias of the 1×1 convolution ({@code M} values), or {@code null}; only with
     *     {@code wb}
     * @param rank the rank (channels between the two convolutions), at least 1
     * @param stride the stride, two values at least 1
     * @param padding the zero padding, two values at least 0
     * @param dilation the dilation, two values at least 1
     * @param groups the number of groups; only 1 is accepted
     * @return the solution; its factors are convolution kernels
     * @throws IllegalArgumentException if shapes disagree, the settings are out of range or {@code
     *     x} holds NaN or infinite values
     * @see #fitConv2d(NDArray, NDArray, NDArray, NDArray, NDArray, int, Shape, Shape, Shape, int)
     */
    public static LowRankSolution factorizeConv2d(
            NDArray x,
            NDArray wa,
            NDArray wb,
            NDArray biasA,
            NDArray biasB,
            int rank,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        return DEFAULTS.fitConv2d(x, wa, wb, biasA, biasB, rank, stride, padding, dilation, groups);
    }

    /**
     * Fits a rank-{@code rank} factorization of a linear map, minimising {@code ||Y − (X · Wa · Wb
     * + b)||²}.
     *
     * <p>{@code wa} alone is the current weight {@code W [D, M]}; {@code (wa, wb)} is an existing
     * factorization {@code W = Wa · Wb}, so that a factorized layer can be factorized again to a
     * lower rank. The current weight starts the alternating solver, is returned as the full
     * solution, and decides the solution off the data where {@code X} does not determine it (fewer
     * independent rows than {@code D}). With a bias the solution's bias is refitted and the
     * principal subspace is that of the centred outputs; without one the fit has no bias.
     *
     * @param x the inputs, {@code [N, D]}
     * @param y the targets, {@code [N, M]}
     * @param wa the weight {@code [D, M]}, or the first factor {@code [D, r0]} if {@code wb} is
     *     given
     * @param wb the second factor {@code [r0, M]}, or {@code null}
     * @param bias the bias {@code [M]}, or {@code null} to fit without a bias
     * @param rank the rank, at least 1
     * @return the solution ({@code [D, r]}, {@code [r, M]}, bias {@code [M]} or {@code null})
     * @throws IllegalArgumentException if shapes disagree, the rank is below 1 or {@code x} or
     *     {@code y} hold NaN or infinite values
     */
    public LowRankSolution fitMatrix(
            NDArray x, NDArray y, NDArray wa, NDArray wb, NDArray bias, int rank) {
        FitChecks.checkRank(rank);
        return matrix(x, y, wa, wb, bias, rank, Double.NaN);
    }

    /**
     * Fits a factorization of a linear map whose rank is a fraction of {@code min(D, M)}.
     *
     * @param x the inputs, {@code [N, D]}
     * @param y the targets, {@code [N, M]}
     * @param wa the weight {@code [D, M]}, or the first factor {@code [D, r0]} if {@code wb} is
     *     given
     * @param wb the second factor {@code [r0, M]}, or {@code null}
     * @param bias the bias {@code [M]}, or {@code null} to fit without a bias
     * @param rankFraction the rank as a fraction of {@code min(D, M)}, in {@code (0, 1]}
     * @return the solution
     * @throws IllegalArgumentException if shapes disagree, the fraction is out of range or {@code
     *     x} or {@code y} hold NaN or infinite values
     * @see #fitMatrix(NDArray, NDArray, NDArray, NDArray, NDArray, int)
     */
    public LowRankSolution fitMatrix(
            NDArray x, NDArray y, NDArray wa, NDArray wb, NDArray bias, double rankFraction) {
        FitChecks.checkFraction(rankFraction);
        return matrix(x, y, wa, wb, bias, 0, rankFraction);
    }

    /**
     * Fits a rank-{@code rank} factorization of a 2-D convolution: a {@code kh×kw} convolution with
     * {@code rank} output channels and the layer's stride, padding and dilation, then a 1×1
     * convolution with a bias, minimising the output error on {@code x}.
     *
     * <p>The target is the output of the current layer on {@code x}: {@code conv(x, wa) + biasA} if
     * {@code wb} is {@code null}, else {@code conv1x1(conv(x, wa) + biasA, wb) + biasB}. Patches of
     * {@code x} are extracted in chunks of images (see {@link Builder#optChunkSize(long)}) and only
     * their Gram matrix is kept. The solution has a bias if either bias is given.
     *
     * @param x the inputs, {@code (N, C, H, W)}
     * @param wa the kernel {@code (M, C, kh, kw)}, or the first kernel {@code (r0, C, kh, kw)} if
     *     {@code wb} is given
     * @param wb the 1×1 kernel {@code (M, r0, 1, 1)}, or {@code null}
     * @param biasA the bias of the first convolution ({@code wa}'s first dimension), or {@code
     *     null}
     * @param biasB the bias of the 1×1 convolution ({@code M} values), or {@code null}; only with
     *     {@code wb}
     * @param rank the rank, at least 1
     * @param stride the stride, two values at least 1
     * @param padding the zero padding, two values at least 0
     * @param dilation the dilation, two values at least 1
     * @param groups the number of groups; only 1 is accepted
     * @return the solution: {@code Wa (r, C, kh, kw)}, {@code Wb (M, r, 1, 1)}, bias {@code (M)} or
     *     {@code null}; or the full kernel with rank {@code -1}
     * @throws IllegalArgumentException if shapes disagree, the settings are out of range or {@code
     *     x} holds NaN or infinite values
     */
    public LowRankSolution fitConv2d(
            NDArray x,
            NDArray wa,
            NDArray wb,
            NDArray biasA,
            NDArray biasB,
            int rank,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        FitChecks.checkRank(rank);
        return conv(x, wa, wb, biasA, biasB, rank, Double.NaN, stride, padding, dilation, groups);
    }

    /**
     * Fits a factorization of a 2-D convolution whose rank is a fraction of {@code min(C·kh·kw,
     * M)}.
     *
     * @param x the inputs, {@code (N, C, H, W)}
     * @param wa the kernel {@code (M, C, kh, kw)}, or the first kernel {@code (r0, C, kh, kw)} if
     *     {@code wb} is given
     * @param wb the 1×1 kernel {@code (M, r0, 1, 1)}, or {@code null}
     * @param biasA the bias of the first convolution, or {@code null}
     * @param biasB the bias of the 1×1 convolution, or {@code null}; only with {@code wb}
     * @param rankFraction the rank as a fraction of {@code min(C·kh·kw, M)}, in {@code (0, 1]}
     * @param stride the stride, two values at least 1
     * @param padding the zero padding, two values at least 0
     * @param dilation the dilation, two values at least 1
     * @param groups the number of groups; only 1 is accepted
     * @return the solution
     * @throws IllegalArgumentException if shapes disagree, the settings are out of range or {@code
     *     x} holds NaN or infinite values
     * @see #fitConv2d(NDArray, NDArray, NDArray, NDArray, NDArray, int, Shape, Shape, Shape, int)
     */
    public LowRankSolution fitConv2d(
            NDArray x,
            NDArray wa,
            NDArray wb,
            NDArray biasA,
            NDArray biasB,
            double rankFraction,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        FitChecks.checkFraction(rankFraction);
        return conv(x, wa, wb, biasA, biasB, 0, rankFraction, stride, padding, dilation, groups);
    }

    /**
     * Fits a rank-{@code rank} factorization of a linear layer {@code y = x · W + b} from the
     * statistics of its inputs, minimising the output error on them.
     *
     * <p>The targets are the layer's own outputs, so the statistics of the inputs are all that is
     * needed: calibration memory stays bounded whatever the number of batches. The solution's nmse
     * is the output error on the calibration inputs.
     *
     * @param stats statistics made by {@link InputStatistics#forMatrix}
     * @param weight the weight {@code [D, M]}
     * @param bias the bias {@code [M]}, or {@code null} to fit without a bias
     * @param rank the rank, at least 1
     * @return the solution ({@code [D, r]}, {@code [r, M]}, bias {@code [M]} or {@code null}); or
     *     the full weight with rank {@code -1} when the rank saves nothing and speed-up is required
     * @throws IllegalArgumentException if the statistics are of a convolution or shapes disagree
     * @throws IllegalStateException if no input was added to the statistics
     */
    public LowRankSolution fitMatrix(
            InputStatistics stats, NDArray weight, NDArray bias, int rank) {
        FitChecks.checkRank(rank);
        if (stats.isConv2d()) {
            throw new IllegalArgumentException(
                    "statistics of convolution patches are not accepted by fitMatrix; use"
                            + " fitConv2d or InputStatistics.forMatrix");
        }
        Checks.dims(weight, 2, "W");
        Checks.floatType(weight, "W");
        if (weight.getShape().get(0) != stats.getFeatures()) {
            throw new IllegalArgumentException(
                    "W has shape "
                            + weight.getShape()
                            + " but the statistics have "
                            + stats.getFeatures()
                            + " features; W must have "
                            + stats.getFeatures()
                            + " rows");
        }
        long d = weight.getShape().get(0);
        long m = weight.getShape().get(1);
        FitChecks.checkBias(bias, m, "bias");
        DataType type = weight.getDataType();
        try (Workspace ws = Workspace.of(weight)) {
            FitChecks.adoptAll(ws, weight, bias);
            NDArray w0 = GramStats.f64(weight);
            NDArray b0 = bias == null ? null : GramStats.f64(bias);
            FitProblem.Solution f = fromStatistics(ws, stats, w0, b0, rank, d, m);
            if (f.full) {
                return LowRankSolution.full(
                        ws.keep(f.a.toType(type, true)),
                        FitChecks.keepBias(ws, f.bias, type),
                        f.nmse);
            }
            return LowRankSolution.factorized(
                    ws.keep(f.a.toType(type, true)),
                    ws.keep(f.b.toType(type, true)),
                    FitChecks.keepBias(ws, f.bias, type),
                    f.rank,
                    f.nmse);
        }
    }

    /**
     * Fits a rank-{@code rank} factorization of a 2-D convolution from the statistics of its input
     * patches: a {@code kh×kw} convolution with {@code rank} output channels and the layer's
     * stride, padding and dilation (those of the statistics), then a 1×1 convolution with a bias.
     *
     * @param stats statistics made by {@link InputStatistics#forConv2d}
     * @param kernel the kernel {@code (M, C, kh, kw)}
     * @param bias the bias {@code (M)}, or {@code null} to fit without a bias
     * @param rank the rank, at least 1
     * @return the solution: {@code Wa (r, C, kh, kw)}, {@code Wb (M, r, 1, 1)}, bias {@code (M)} or
     *     {@code null}; or the full kernel with rank {@code -1}
     * @throws IllegalArgumentException if the statistics are not of this kernel's patches
     * @throws IllegalStateException if no input was added to the statistics
     */
    public LowRankSolution fitConv2d(
            InputStatistics stats, NDArray kernel, NDArray bias, int rank) {
        FitChecks.checkRank(rank);
        Checks.dims(kernel, 4, "kernel");
        Checks.floatType(kernel, "kernel");
        Shape ks = kernel.getShape();
        if (!stats.isConv2d()
                || ks.get(1) != stats.getChannels()
                || ks.get(2) != stats.getKernelShape().get(0)
                || ks.get(3) != stats.getKernelShape().get(1)) {
            throw new IllegalArgumentException(
                    "a kernel of shape "
                            + ks
                            + " does not match statistics of "
                            + (stats.isConv2d()
                                    ? stats.getChannels()
                                            + " channels and kernel "
                                            + stats.getKernelShape()
                                    : "a linear layer")
                            + "; statistics from InputStatistics.forConv2d with the kernel's"
                            + " channels and shape are accepted");
        }
        long m = ks.get(0);
        long c = ks.get(1);
        long d = stats.getFeatures();
        FitChecks.checkBias(bias, m, "bias");
        DataType type = kernel.getDataType();
        try (Workspace ws = Workspace.of(kernel)) {
            FitChecks.adoptAll(ws, kernel, bias);
            NDArray w0 = GramStats.f64(kernel).reshape(m, d).transpose();
            NDArray b0 = bias == null ? null : GramStats.f64(bias);
            FitProblem.Solution f = fromStatistics(ws, stats, w0, b0, rank, d, m);
            NDArray kept = FitChecks.keepBias(ws, f.bias, type);
            if (f.full) {
                NDArray full = f.a.transpose().reshape(ks).toType(type, true);
                return LowRankSolution.full(ws.keep(full), kept, f.nmse);
            }
            NDArray first =
                    f.a.transpose().reshape(f.rank, c, ks.get(2), ks.get(3)).toType(type, true);
            NDArray second = f.b.transpose().reshape(m, f.rank, 1, 1).toType(type, true);
            return LowRankSolution.factorized(
                    ws.keep(first), ws.keep(second), kept, f.rank, f.nmse);
        }
    }

    /**
     * Returns the spectrum of a layer's outputs on the inputs recorded in the statistics: the
     * eigenvalues of the output Gram matrix (centred when a bias is given, as the fit refits the
     * bias) and the nmse denominator, so that the output error of every rank is known without
     * fitting ({@link OutputSpectrum#nmseAt(int)} equals the nmse of the closed-form fit of that
     * rank).
     *
     * @param stats statistics made by {@link InputStatistics#forMatrix} or {@link
     *     InputStatistics#forConv2d}
     * @param weight the weight {@code [D, M]} for matrix statistics, the kernel {@code (M, C, kh,
     *     kw)} for convolution statistics
     * @param bias the bias {@code [M]}, or {@code null} for a layer without a bias
     * @return the spectrum
     * @throws IllegalArgumentException if the weight does not match the statistics
     * @throws IllegalStateException if no input was added to the statistics
     */
    public static OutputSpectrum outputSpectrum(
            InputStatistics stats, NDArray weight, NDArray bias) {
        Checks.floatType(weight, "weight");
        long d = stats.getFeatures();
        long m;
        if (stats.isConv2d()) {
            Checks.dims(weight, 4, "kernel");
            m = weight.getShape().get(0);
            if (weight.getShape().size() / m != d) {
                throw new IllegalArgumentException(
                        "a kernel of shape "
                                + weight.getShape()
                                + " does not match statistics of "
                                + d
                                + " patch features; a kernel with C·kh·kw = "
                                + d
                                + " is accepted");
            }
        } else {
            Checks.dims(weight, 2, "W");
            m = weight.getShape().get(1);
            if (weight.getShape().get(0) != d) {
                throw new IllegalArgumentException(
                        "W has shape "
                                + weight.getShape()
                                + " but the statistics have "
                                + d
                                + " features; W must have "
                                + d
                                + " rows");
            }
        }
        FitChecks.checkBias(bias, m, "bias");
        try (Workspace ws = Workspace.of(weight)) {
            FitChecks.adoptAll(ws, weight, bias);
            GramStats gram = stats.gram();
            for (NDArray a : gram.arrays()) {
                ws.adopt(a);
            }
            NDArray w0 = GramStats.f64(weight);
            if (stats.isConv2d()) {
                w0 = w0.reshape(m, d).transpose();
            }
            NDArray b0 = bias == null ? null : GramStats.f64(bias);
            FitProblem p = FitProblem.fromWeight(gram, w0, b0, b0 != null);
            NDArray q = w0.transpose().matMul(p.c);
            double[] values = HostLinalg.symmetricEigenvalues(HostLinalg.toHost(q));
            return new OutputSpectrum(values, p.totalSs);
        }
    }

    private FitProblem.Solution fromStatistics(
            Workspace ws, InputStatistics stats, NDArray w0, NDArray b0, int k, long d, long m) {
        GramStats gram = stats.gram();
        // the statistics' accumulators stay in their own manager; derived arrays go to the scope
        NDArray[] held = gram.arrays();
        for (NDArray a : held) {
            ws.adopt(a);
        }
        FitProblem p = FitProblem.fromWeight(gram, w0, b0, b0 != null);
        return p.solve(ws.manager(), w0, b0, true, k, solver, iterations, requireSpeedup);
    }

    /**
     * Returns the largest rank whose factorization of a {@code [D, M]} weight still saves
     * computation: the largest {@code r} with {@code r · (D + M) < D · M} and {@code r < min(D,
     * M)}.
     *
     * @param fanIn {@code D}, the input size ({@code C·kh·kw} for a convolution)
     * @param out {@code M}, the output size
     * @return the rank, 0 if no rank saves computation
     * @throws IllegalArgumentException if a size is below 1
     */
    public static int maxRankWithSpeedup(long fanIn, long out) {
        if (fanIn < 1 || out < 1) {
            throw new IllegalArgumentException(
                    "sizes (" + fanIn + ", " + out + ") are not accepted; both must be >= 1");
        }
        long bound = (fanIn * out - 1) / (fanIn + out);
        return (int) Math.max(0, Math.min(bound, Math.min(fanIn, out) - 1));
    }

    // ------------------------------------------------------------------------------------------
    // matrix

    private LowRankSolution matrix(
            NDArray x, NDArray y, NDArray wa, NDArray wb, NDArray bias, int rank, double fraction) {
        Checks.dims(x, 2, "X");
        Checks.dims(y, 2, "Y");
        Checks.floatType(x, "X");
        Checks.floatType(y, "Y");
        Checks.dims(wa, 2, "Wa");
        Checks.floatType(wa, "Wa");
        long n = x.getShape().get(0);
        long d = x.getShape().get(1);
        long m = y.getShape().get(1);
        if (y.getShape().get(0) != n) {
            throw new IllegalArgumentException(
                    "X has shape "
                            + x.getShape()
                            + " and Y has shape "
                            + y.getShape()
                            + "; they must have the same number of rows");
        }
        if (n < 1) {
            throw new IllegalArgumentException(
                    "X has shape " + x.getShape() + "; at least one row is accepted");
        }
        if (wa.getShape().get(0) != d) {
            throw new IllegalArgumentException(
                    "Wa has shape "
                            + wa.getShape()
                            + " but X has shape "
                            + x.getShape()
                            + "; Wa must have "
                            + d
                            + " rows");
        }
        if (wb == null) {
            if (wa.getShape().get(1) != m) {
                throw new IllegalArgumentException(
                        "Wa has shape "
                                + wa.getShape()
                                + " but Y has shape "
                                + y.getShape()
                                + "; without Wb, Wa must be ("
                                + d
                                + ", "
                                + m
                                + ")");
            }
        } else {
            Checks.dims(wb, 2, "Wb");
            Checks.floatType(wb, "Wb");
            if (wb.getShape().get(0) != wa.getShape().get(1) || wb.getShape().get(1) != m) {
                throw new IllegalArgumentException(
                        "Wb has shape "
                                + wb.getShape()
                                + " but Wa has shape "
                                + wa.getShape()
                                + " and Y has shape "
                                + y.getShape()
                                + "; Wb must be ("
                                + wa.getShape().get(1)
                                + ", "
                                + m
                                + ")");
            }
        }
        FitChecks.checkBias(bias, m, "bias");
        int k = FitChecks.resolveRank(rank, fraction, d, m);
        DataType type = wa.getDataType();
        try (Workspace ws = Workspace.of(wa)) {
            FitChecks.adoptAll(ws, x, y, wa, wb, bias);
            // inside the workspace, so that the checks' temporary copies are freed with it
            Checks.finiteFloat(x, "X");
            Checks.finiteFloat(y, "Y");
            FitChecks.finiteWeights(wa, wb, bias, null);
            NDArray w0 = GramStats.f64(wa);
            if (wb != null) {
                w0 = w0.matMul(GramStats.f64(wb));
            }
            NDArray b0 = bias == null ? null : GramStats.f64(bias);
            GramStats stats = new GramStats(ws.manager(), true);
            long rowsPerChunk = Math.max(1, chunkSize / Math.max(d, m));
            for (long start = 0; start < n; start += rowsPerChunk) {
                long end = Math.min(n, start + rowsPerChunk);
                try (Workspace chunk = Workspace.of(ws.manager())) {
                    NDArray xc = x.get(new NDIndex("{}:{}", start, end));
                    NDArray yc = y.get(new NDIndex("{}:{}", start, end));
                    chunk.adopt(xc);
                    chunk.adopt(yc);
                    stats.add(GramStats.f64(xc), GramStats.f64(yc));
                }
            }
            FitProblem p = FitProblem.fromTargets(stats, bias != null);
            FitProblem.Solution f =
                    p.solve(ws.manager(), w0, b0, false, k, solver, iterations, requireSpeedup);
            if (f.full) {
                return LowRankSolution.full(
                        ws.keep(f.a.toType(type, true)),
                        FitChecks.keepBias(ws, f.bias, type),
                        f.nmse);
            }
            return LowRankSolution.factorized(
                    ws.keep(f.a.toType(type, true)),
                    ws.keep(f.b.toType(type, true)),
                    FitChecks.keepBias(ws, f.bias, type),
                    f.rank,
                    f.nmse);
        }
    }

    // ------------------------------------------------------------------------------------------
    // convolution

    private LowRankSolution conv(
            NDArray x,
            NDArray wa,
            NDArray wb,
            NDArray biasA,
            NDArray biasB,
            int rank,
            double fraction,
            Shape stride,
            Shape padding,
            Shape dilation,
            int groups) {
        ConvDims dims = ConvDims.of(x, wa, wb, biasA, biasB, stride, padding, dilation, groups);
        long n = dims.n;
        long c = dims.c;
        long r0 = dims.r0;
        long kh = dims.kh;
        long kw = dims.kw;
        long m = dims.m;
        long ho = dims.ho;
        long wo = dims.wo;
        long d = c * kh * kw;
        int k = FitChecks.resolveRank(rank, fraction, d, m);
        DataType type = wa.getDataType();
        try (Workspace ws = Workspace.of(wa)) {
            FitChecks.adoptAll(ws, x, wa, wb, biasA, biasB);
            Checks.finiteFloat(x, "X");
            FitChecks.finiteWeights(wa, wb, biasA, biasB);
            NDArray w0 = GramStats.f64(wa).reshape(r0, d).transpose(); // (D, r0)
            NDArray b0 = biasA == null ? null : GramStats.f64(biasA);
            if (wb != null) {
                NDArray wbm = GramStats.f64(wb).reshape(m, r0).transpose(); // (r0, M)
                w0 = w0.matMul(wbm);
                if (b0 != null) {
                    b0 = b0.reshape(1, r0).matMul(wbm).reshape(m);
                }
                if (biasB != null) {
                    b0 = b0 == null ? GramStats.f64(biasB) : b0.add(GramStats.f64(biasB));
                }
            }
            NDArray eye =
                    Patches.kernel(ws.manager(), (int) c, (int) kh, (int) kw, x.getDataType());
            GramStats stats = new GramStats(ws.manager(), false);
            Patches.accumulate(stats, x, eye, stride, padding, dilation, ho * wo, chunkSize);
            boolean hasBias = b0 != null;
            FitProblem p = FitProblem.fromWeight(stats, w0, b0, hasBias);
            FitProblem.Solution f =
                    p.solve(ws.manager(), w0, b0, true, k, solver, iterations, requireSpeedup);
            NDArray bias = FitChecks.keepBias(ws, f.bias, type);
            if (f.full) {
                NDArray kernel = f.a.transpose().reshape(m, c, kh, kw).toType(type, true);
                return LowRankSolution.full(ws.keep(kernel), bias, f.nmse);
            }
            NDArray first = f.a.transpose().reshape(f.rank, c, kh, kw).toType(type, true);
            NDArray second = f.b.transpose().reshape(m, f.rank, 1, 1).toType(type, true);
            return LowRankSolution.factorized(
                    ws.keep(first), ws.keep(second), bias, f.rank, f.nmse);
        }
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    /** Builds a {@link LowRankFit}. */
    public static final class Builder {

        private Solver solver = Solver.CLOSED_FORM;
        private int iterations = 3;
        private boolean requireSpeedup = true;
        private long chunkSize = 1L << 22;

        private Builder() {}

        /**
         * Sets the solver (default {@link Solver#CLOSED_FORM}).
         *
         * @param solver the solver
         * @return this builder
         */
        public Builder optSolver(Solver solver) {
            if (solver == null) {
                throw new IllegalArgumentException(
                        "solver null is not accepted; use CLOSED_FORM or"
                                + " ALTERNATING_LEAST_SQUARES");
            }
            this.solver = solver;
            return this;
        }

        /**
         * Sets the number of rounds of {@link Solver#ALTERNATING_LEAST_SQUARES} (default 3); 0
         * keeps the truncated SVD of the weight and only refits the bias. The closed-form solver
         * ignores it.
         *
         * @param iterations at least 0
         * @return this builder
         */
        public Builder optIterations(int iterations) {
            if (iterations < 0) {
                throw new IllegalArgumentException(
                        "iterations " + iterations + " is not accepted; it must be >= 0");
            }
            this.iterations = iterations;
            return this;
        }

        /**
         * Sets whether a rank that cannot save computation yields the full solution of rank {@code
         * -1} (default {@code true}). When {@code false}, any rank is factorized, ranks above
         * {@code min(D, M)} being lowered to it.
         *
         * @param requireSpeedup whether to return the full solution when factorizing does not pay
         * @return this builder
         */
        public Builder optRequireSpeedup(boolean requireSpeedup) {
            this.requireSpeedup = requireSpeedup;
            return this;
        }

        /**
         * Sets the largest number of elements of one chunk of the design matrix ({@code X} rows, or
         * the im2col patches of a group of images) processed at once (default {@code 2^22}). One
         * row or one image is always processed whole.
         *
         * @param chunkSize at least 1
         * @return this builder
         */
        public Builder optChunkSize(long chunkSize) {
            if (chunkSize < 1) {
                throw new IllegalArgumentException(
                        "chunk size " + chunkSize + " is not accepted; it must be >= 1");
            }
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the fitter
         */
        public LowRankFit build() {
            return new LowRankFit(this);
        }
    }
}
