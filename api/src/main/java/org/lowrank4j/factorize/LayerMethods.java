package org.lowrank4j.factorize;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import org.lowrank4j.tensor.Factorization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LayerMethod}s this library provides.
 *
 * <p>Available now: {@link #lowRank()}, the data-aware two-factor method ({@link
 * org.lowrank4j.nn.LowRankConv} for 2-D convolutions, {@link org.lowrank4j.nn.LowRankLinear}), and
 * the tensorized linear methods ({@link org.lowrank4j.nn.FactorizedLinear} in CP, Tucker or
 * block-TT format), selected with {@link #forLinear(Factorization)}, and the tensor-format
 * convolution methods ({@link org.lowrank4j.nn.FactorizedConv} in CP, Tucker-2 or TT format, for
 * {@link ai.djl.nn.convolutional.Conv1d}, {@link ai.djl.nn.convolutional.Conv2d} and {@link
 * ai.djl.nn.convolutional.Conv3d}), selected with {@link #forConv(Factorization)}.
 *
 * <p>A method of the user's own joins them by {@link #register}, or by being listed, as a class
 * with a public no-argument constructor, in a {@code
 * META-INF/services/org.lowrank4j.factorize.LayerMethod} file on the class path (Java's {@link
 * ServiceLoader}; how a model served through {@link FactorizedBlockFactory} finds it). A factorizer
 * registers the methods of its policy when it runs. Every listed method is then found by name in
 * plans ({@link Factorizer#restore}) and by its blocks ({@link Factorizer#plan}, {@link
 * Factorizer#toStandardBlocks}, {@link Factorizer#refactorize}).
 */
public final class LayerMethods {

    private static final LayerMethod LOW_RANK = new LowRankMethod();
    private static final LayerMethod CP_LINEAR = new TensorizedLinearMethod(Factorization.CP);
    private static final LayerMethod TUCKER_LINEAR =
            new TensorizedLinearMethod(Factorization.TUCKER);
    private static final LayerMethod TT_LINEAR = new TensorizedLinearMethod(Factorization.TT);
    private static final LayerMethod CP_CONV = new TensorConvMethod(Factorization.CP);
    private static final LayerMethod TUCKER_CONV = new TensorConvMethod(Factorization.TUCKER);
    private static final LayerMethod TT_CONV = new TensorConvMethod(Factorization.TT);

    private static final Logger logger = LoggerFactory.getLogger(LayerMethods.class);

    private static final List<LayerMethod> REGISTERED = new CopyOnWriteArrayList<>();

    static {
        // a bad entry of a service file is skipped with a warning: the library's own methods and
        // the other entries stay usable
        Iterator<LayerMethod> listed = ServiceLoader.load(LayerMethod.class).iterator();
        while (true) {
            try {
                if (!listed.hasNext()) {
                    break;
                }
                register(listed.next());
            } catch (ServiceConfigurationError | IllegalArgumentException e) {
                logger.warn(
                        "A layer method listed for the service loader is skipped: {}",
                        e.getMessage());
            }
        }
    }

    private LayerMethods() {}

    /**
     * Adds a method of the user's own to the ones plans, exports and refactorization find.
     * Registering the same method (an equal name and the same class) again does nothing.
     *
     * @param method the method; its name must be new
     * @throws IllegalArgumentException if it is null, its name is null or empty, or another method
     *     has its name
     */
    public static synchronized void register(LayerMethod method) {
        if (method == null) {
            throw new IllegalArgumentException("method null is not accepted; a LayerMethod is");
        }
        String name = method.getName();
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(
                    "a method named "
                            + (name == null ? "null" : "''")
                            + " is not accepted; a non-empty name, unique among "
                            + names()
                            + ", is");
        }
        for (LayerMethod m : all()) {
            if (m.getName().equals(name)) {
                if (m.getClass() == method.getClass()) {
                    return;
                }
                throw new IllegalArgumentException(
                        "layer method '"
                                + name
                                + "' of "
                                + method.getClass().getName()
                                + " is not accepted: "
                                + m.getClass().getName()
                                + " has that name already; a name not among "
                                + names()
                                + " is");
            }
        }
        REGISTERED.add(method);
    }

    /**
     * The input shape a standard replacement is initialised with: the factorized block's own, when
     * it knows it (it was swapped in or loaded), else the given smallest input it accepts.
     */
    static Shape standardInput(Block factorized, Shape fallback) {
        if (factorized.isInitialized()) {
            Shape[] shapes = factorized.getInputShapes();
            if (shapes != null && shapes.length > 0) {
                return shapes[0];
            }
        }
        return fallback;
    }

    /**
     * Returns the data-aware two-factor method: a 2-D convolution becomes a {@code kh×kw}
     * convolution to {@code rank} channels and a 1×1 convolution, a linear layer two linear layers.
     * Without calibration data the factors are the truncated SVD of the weight; with it, they
     * minimise the output error on the data. A rank is resolved per layer: a fraction {@code f}
     * gives {@code round(f · D·M / (D + M))} for a {@code [D, M]} weight (about {@code f} of the
     * dense parameters), explicit ranks take one value; both are clipped to {@code 1..min(D, M)}.
     *
     * @return the method
     */
    public static LayerMethod lowRank() {
        return LOW_RANK;
    }

    /**
     * Returns the method that factorizes convolutions into a tensor format: each {@link
     * ai.djl.nn.convolutional.Conv1d}, {@link ai.djl.nn.convolutional.Conv2d} or {@link
     * ai.djl.nn.convolutional.Conv3d} with {@code groups == 1} becomes a {@link
     * org.lowrank4j.nn.FactorizedConv} built from the decomposition of its trained kernel (CP-ALS,
     * partial HOSVD or TT-SVD) with the layer's bias, stride, padding and dilation. Tucker is
     * Tucker-2: the spatial modes keep their full size, so the block is a 1×1 convolution, a
     * convolution with the core and a 1×1 convolution, as in a ResNet bottleneck. Grouped and
     * depthwise convolutions are kept, with the reason in the report.
     *
     * <p>Ranks follow {@link org.lowrank4j.nn.FactorizedConvBuilder#setRank}: a fraction {@code f}
     * asks for about {@code f} of the dense parameters (TensorLy's rules); explicit ranks are one
     * CP rank; one Tucker rank for both channel modes, two (output, input) or one per mode of
     * {@code (O, C, k_1, …)}; one TT rank, the {@code N + 1} inner bonds of the {@code (C, k_1, …,
     * k_N, O)} train or all {@code N + 3}; Tucker and TT ranks are clipped to what the
     * decomposition realises and the report shows the realised ones. A {@link RankSelector} sees
     * one mode per rank value: Tucker-2 the output- and input-channel unfoldings, CP the most
     * balanced matricization of the kernel, TT each inner bond's unfolding of the train. The
     * policy's implementation is used as given (AUTO by default; MOBILENET only with CP). The plan
     * records the configuration, the realised ranks and the implementation; {@link
     * Factorizer#toStandardBlocks} turns each block into a {@link ai.djl.nn.SequentialBlock} of
     * ordinary convolutions following its factorized forward pass. The method needs no calibration
     * data.
     *
     * @param factorization CP, TUCKER (Tucker-2) or TT
     * @return the method
     * @throws IllegalArgumentException for {@link Factorization#DENSE} or {@code null}, which are
     *     no factorization
     */
    public static LayerMethod forConv(Factorization factorization) {
        if (factorization == Factorization.CP) {
            return CP_CONV;
        }
        if (factorization == Factorization.TUCKER) {
            return TUCKER_CONV;
        }
        if (factorization == Factorization.TT) {
            return TT_CONV;
        }
        throw new IllegalArgumentException(
                "factorization "
                        + factorization
                        + " is not accepted for convolutions; CP, TUCKER or TT are (DENSE is no"
                        + " factorization: leave the convolution types out of the policy's layer"
                        + " types instead; the two-factor method is LayerMethods.lowRank())");
    }

    /**
     * Returns the method that replaces linear layers with tensorized ones: each {@link
     * ai.djl.nn.core.Linear} becomes a {@link org.lowrank4j.nn.FactorizedLinear} built from the
     * decomposition of its trained weight (CP-ALS, HOSVD or TT-SVD of the weight viewed as a tensor
     * with automatic shapes of order 3, {@link org.lowrank4j.tensor.Tensorize#shapes(long, long,
     * int)}), with the layer's bias. A fraction {@code f} asks for about {@code f} of the dense
     * parameters by TensorLy's rules on the weight tensor; explicit ranks are one CP rank, one or
     * one-per-mode Tucker ranks, one or per-bond TT ranks; Tucker and TT ranks are clipped to what
     * the decomposition realises. The policy's implementation is used as given (FACTORIZED,
     * RECONSTRUCTED or AUTO; MOBILENET is not accepted). The plan records the tensorized shapes,
     * the realised ranks, the implementation and the bias; {@link Factorizer#toStandardBlocks}
     * turns each block into one {@link ai.djl.nn.core.Linear} whose weight is the reconstructed
     * matrix. The method needs no calibration data.
     *
     * @param factorization CP, TUCKER or TT (block-TT over pairs of output and input modes)
     * @return the method
     * @throws IllegalArgumentException for {@link Factorization#DENSE} or {@code null}, which are
     *     no factorization
     */
    public static LayerMethod forLinear(Factorization factorization) {
        if (factorization == Factorization.CP) {
            return CP_LINEAR;
        }
        if (factorization == Factorization.TUCKER) {
            return TUCKER_LINEAR;
        }
        if (factorization == Factorization.TT) {
            return TT_LINEAR;
        }
        throw new IllegalArgumentException(
                "factorization "
                        + factorization
                        + " is not accepted for linear layers; CP, TUCKER or TT are (DENSE is no"
                        + " factorization: leave Linear out of the policy's layer types instead;"
                        + " the two-factor method is LayerMethods.lowRank())");
    }

    /**
     * Returns every method: the ones this library provides, then the registered ones, in the order
     * {@link Factorizer#plan} and {@link Factorizer#toStandardBlocks} try them on a block.
     *
     * @return the methods
     */
    public static List<LayerMethod> all() {
        List<LayerMethod> all =
                new ArrayList<>(
                        List.of(
                                LOW_RANK,
                                CP_LINEAR,
                                TUCKER_LINEAR,
                                TT_LINEAR,
                                CP_CONV,
                                TUCKER_CONV,
                                TT_CONV));
        all.addAll(REGISTERED);
        return List.copyOf(all);
    }

    /** Returns the method that made a block, or {@code null} if none of {@link #all()} did. */
    static LayerMethod producerOf(Block block) {
        for (LayerMethod m : all()) {
            if (m.produced(block)) {
                return m;
            }
        }
        return null;
    }

    /**
     * Returns the method with a name, as written in plans.
     *
     * @param name the name
     * @return the method
     * @throws IllegalArgumentException if no method has that name
     */
    public static LayerMethod forName(String name) {
        for (LayerMethod m : all()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "layer method '"
                        + name
                        + "' is not known; accepted are "
                        + names()
                        + " (a method of your own must be registered with"
                        + " LayerMethods.register or listed in"
                        + " META-INF/services/org.lowrank4j.factorize.LayerMethod)");
    }

    private static String names() {
        StringBuilder b = new StringBuilder();
        for (LayerMethod m : all()) {
            b.append(b.length() == 0 ? "" : ", ").append('\'').append(m.getName()).append('\'');
        }
        return b.toString();
    }
}
