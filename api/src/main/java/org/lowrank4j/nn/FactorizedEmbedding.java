package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.lowrank4j.internal.Checks;
import org.lowrank4j.internal.Workspace;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
import org.lowrank4j.tensor.Tensorize;

/**
 * An embedding table {@code (numEmbeddings, embeddingDim)} stored in a factorized format, whose
 * rows are looked up without ever building the table.
 *
 * <p>The vocabulary is tensorized as {@code (V_0, …)} and the embedding as {@code (D_0, …)} (by
 * default {@link Tensorize#shapes(long, long, int) Tensorize.shapes(numEmbeddings, embeddingDim,
 * 3)}). The default format is the block tensor train ({@link Factorization#TT}): the row of id
 * {@code i = (i_0, …)} is the product of one slice of every core. CP, Tucker and dense tables are
 * available too.
 *
 * <p>The input is an integer array of ids of any shape {@code (…)}; the output is {@code (…,
 * embeddingDim)}, as for DJL's {@link ai.djl.nn.core.Embedding} blocks (such as {@code
 * TrainableWordEmbedding}), so the block can replace one where ids are already encoded. {@link
 * #fromEmbedding} decomposes a trained table.
 *
 * <pre>{@code
 * FactorizedEmbedding embedding = FactorizedEmbedding.builder()
 *         .setNumEmbeddings(10000)
 *         .setEmbeddingDim(64)
 *         .setRank(Rank.of(16))
 *         .build();
 * }</pre>
 *
 * <p>Inference is safe from any number of threads sharing the block, each with its own manager and
 * parameter store (as DJL's predictors and serving workers run a model): parameters are only read,
 * and the operands derived from them are built once per parameter state and shared (see {@code
 * OperandCache}).
 */
public class FactorizedEmbedding extends AbstractBlock {

    private static final byte VERSION = 2;

    private TensorizedWeight table;
    private double initStd;
    private long seed;
    private List<Parameter> factors = new ArrayList<>();

    FactorizedEmbedding(Builder b) {
        super(VERSION);
        this.table = TensorizedWeight.resolve(b.format, b.vocabShape, b.dimShape, 1, b.rank);
        this.initStd = b.initStd;
        this.seed = b.seed == null ? new Random().nextLong() : b.seed;
        createParameters();
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Decomposes the table of a trained DJL embedding block (any block whose {@code embedding}
     * parameter is the {@code (numEmbeddings, embeddingDim)} table, such as {@code
     * TrainableWordEmbedding}).
     *
     * @param embedding an initialised embedding block
     * @param vocabShape the tensorized vocabulary, or {@code null} for automatic shapes
     * @param dimShape the tensorized embedding, or {@code null} for automatic shapes
     * @param rank the rank request
     * @param factorization the format
     * @return the factorized embedding, in the manager of the table
     * @throws IllegalArgumentException if the block has no initialised 2-D {@code embedding}
     *     parameter, a shape's product does not match, or the rank does not fit
     */
    public static FactorizedEmbedding fromEmbedding(
            Block embedding,
            Shape vocabShape,
            Shape dimShape,
            Rank rank,
            Factorization factorization) {
        Objects.requireNonNull(embedding, "embedding must not be null");
        Objects.requireNonNull(rank, "rank must not be null");
        Objects.requireNonNull(factorization, "factorization must not be null");
        Parameter p = embedding.getParameters().get("embedding");
        if (p == null || !p.isInitialized() || p.getArray().getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "block "
                            + embedding.getClass().getSimpleName()
                            + " has no initialised 2-D 'embedding' parameter; an initialised"
                            + " DJL embedding block is accepted");
        }
        FactorizedEmbedding block =
                fromTable(p.getArray(), vocabShape, dimShape, rank, factorization);
        SourceLayer.initialize(
                block, p.getArray(), SourceLayer.inputShapes(embedding, new Shape(1)));
        return block;
    }

    /**
     * Decomposes an embedding table.
     *
     * @param tableArray the {@code (numEmbeddings, embeddingDim)} table
     * @param vocabShape the tensorized vocabulary, or {@code null} for automatic shapes
     * @param dimShape the tensorized embedding, or {@code null} for automatic shapes
     * @param rank the rank request
     * @param factorization the format
     * @return the factorized embedding, in the manager of the table
     * @throws IllegalArgumentException if the table is not 2-D, a shape's product does not match,
     *     or the rank does not fit
     */
    public static FactorizedEmbedding fromTable(
            NDArray tableArray,
            Shape vocabShape,
            Shape dimShape,
            Rank rank,
            Factorization factorization) {
        Objects.requireNonNull(tableArray, "tableArray must not be null");
        Shape s = tableArray.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException(
                    "embedding table of shape " + s + " is not accepted; a 2-D table is");
        }
        Checks.finiteFloat(tableArray, "embedding table");
        Builder builder =
                builder()
                        .setNumEmbeddings(s.get(0))
                        .setEmbeddingDim(s.get(1))
                        .optTensorizedShapes(vocabShape, dimShape)
                        .optFactorization(factorization)
                        .setRank(rank)
                        .optSeed(0);
        FactorizedEmbedding block = builder.build();
        try (Workspace ws = Workspace.of(tableArray)) {
            NDList arrays = new NDList();
            block.table =
                    TensorizedWeight.decompose(
                            ws.adopt(tableArray),
                            factorization,
                            builder.vocabShape,
                            builder.dimShape,
                            1,
                            rank,
                            arrays);
            block.createParameters();
            DataType type = tableArray.getDataType();
            for (int i = 0; i < arrays.size(); i++) {
                NDArray a = arrays.get(i).toType(type, false);
                block.factors
                        .get(i)
                        .setArray(ws.keep(a.reshape(-1).duplicate().reshape(a.getShape())));
            }
        }
        SourceLayer.initialize(block, tableArray, new Shape(1));
        return block;
    }

    private void createParameters() {
        for (Parameter p : parameters.values()) {
            p.close();
        }
        parameters.clear();
        factors = new ArrayList<>();
        for (String name : table.names()) {
            factors.add(
                    addParameter(
                            Parameter.builder()
                                    .setName(name)
                                    .setType(Parameter.Type.WEIGHT)
                                    .build()));
        }
    }

    /**
     * Returns the number of rows.
     *
     * @return the vocabulary size
     */
    public long getNumEmbeddings() {
        return table.out;
    }

    /**
     * Returns the embedding size.
     *
     * @return the number of columns
     */
    public long getEmbeddingDim() {
        return table.in;
    }

    /**
     * Returns the format.
     *
     * @return the factorization
     */
    public Factorization getFactorization() {
        return table.format;
    }

    /**
     * Returns the tensorized vocabulary.
     *
     * @return {@code (V_0, …)}
     */
    public Shape getVocabularyShape() {
        return table.outShape;
    }

    /**
     * Returns the tensorized embedding.
     *
     * @return {@code (D_0, …)}
     */
    public Shape getEmbeddingShape() {
        return table.inShape;
    }

    /**
     * Returns the realised rank.
     *
     * @return as {@link FactorizedLinear#getRank()}
     */
    public int[] getRank() {
        return table.rank.clone();
    }

    /**
     * Returns the number of stored values.
     *
     * @return the parameter count
     */
    public long numParameters() {
        long n = 0;
        for (Parameter p : factors) {
            n += p.isInitialized() ? p.getArray().size() : 0;
        }
        return n;
    }

    /**
     * Rebuilds the full table (for inspection; the forward pass never does).
     *
     * @return a new {@code (numEmbeddings, embeddingDim)} array in the parameters' manager
     * @throws IllegalStateException if the block has no weights yet
     */
    public NDArray reconstructTable() {
        for (Parameter p : factors) {
            if (!p.isInitialized()) {
                throw new IllegalStateException(
                        "the block has no weights yet; initialise it or use fromEmbedding first");
            }
        }
        NDArray anchor = factors.get(0).getArray();
        try (Workspace ws = Workspace.of(anchor)) {
            NDList own = new NDList();
            for (Parameter p : factors) {
                own.add(ws.borrow(p.getArray()));
            }
            return ws.keep(table.reconstruct(own).duplicate());
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        long[] values = ids(ids);
        List<NDArray> arrays = new ArrayList<>();
        for (Parameter p : factors) {
            arrays.add(parameterStore.getValue(p, ids.getDevice(), training));
        }
        try (Workspace ws = Workspace.of(ids)) {
            // borrowed, never attached: other threads may be running the block
            NDArray rows = table.rows(values, ws.borrow(arrays));
            return new NDList(ws.keep(rows.reshape(ids.getShape().add(table.in))));
        }
    }

    private long[] ids(NDArray ids) {
        ForwardChecks.initialized("FactorizedEmbedding", factors);
        long[] values = ForwardChecks.wholeNumbers(ids, "ids");
        for (long v : values) {
            if (v < 0 || v >= table.out) {
                throw new IllegalArgumentException(
                        "id " + v + " is out of range; accepted are 0.." + (table.out - 1));
            }
        }
        return values;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(table.in)};
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (!parametersSet()) {
            DataType type = dataType.isFloating() ? dataType : DataType.FLOAT32;
            NDList drawn = table.draw(manager, initStd, seed, type);
            for (int i = 0; i < factors.size(); i++) {
                if (factors.get(i).isInitialized()) {
                    drawn.get(i).close();
                } else {
                    factors.get(i).setArray(drawn.get(i));
                }
            }
        }
        super.initialize(manager, dataType, inputShapes);
    }

    /** Whether every parameter has its array (then {@code initialize} draws nothing). */
    private boolean parametersSet() {
        for (Parameter p : getParameters().values()) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        // every parameter gets its array in initialize
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        BlockMetadata.write(os, inputShapes, toString());
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        Shape[] shapes =
                BlockMetadata.read("FactorizedEmbedding", loadVersion, VERSION, is, toString());
        if (inputShapes == null) {
            inputShapes = shapes;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockMetadata.checkLoadedCount(toString(), factors, table.parameterCount());
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FactorizedEmbedding("
                + table.format
                + ", vocabulary="
                + table.outShape
                + ", embedding="
                + table.inShape
                + ", rank="
                + Arrays.toString(table.rank)
                + ")";
    }

    /** Builds a {@link FactorizedEmbedding}. */
    public static final class Builder {

        private long numEmbeddings;
        private long embeddingDim;
        private Shape vocabShape;
        private Shape dimShape;
        private Factorization format = Factorization.TT;
        private Rank rank;
        private double initStd = 1.0;
        private Long seed;

        Builder() {}

        /**
         * Sets the number of rows (required).
         *
         * @param numEmbeddings the vocabulary size, at least 1
         * @return this builder
         */
        public Builder setNumEmbeddings(long numEmbeddings) {
            this.numEmbeddings = numEmbeddings;
            return this;
        }

        /**
         * Sets the embedding size (required).
         *
         * @param embeddingDim the number of columns, at least 1
         * @return this builder
         */
        public Builder setEmbeddingDim(long embeddingDim) {
            this.embeddingDim = embeddingDim;
            return this;
        }

        /**
         * Sets the tensorized shapes (default: {@code Tensorize.shapes(numEmbeddings, embeddingDim,
         * 3)}); a {@code null} side is chosen automatically.
         *
         * @param vocabShape the tensorized vocabulary, product {@code numEmbeddings}
         * @param dimShape the tensorized embedding, product {@code embeddingDim}
         * @return this builder
         */
        public Builder optTensorizedShapes(Shape vocabShape, Shape dimShape) {
            this.vocabShape = vocabShape;
            this.dimShape = dimShape;
            return this;
        }

        /**
         * Sets the format (default TT).
         *
         * @param factorization CP, TUCKER, TT or DENSE
         * @return this builder
         */
        public Builder optFactorization(Factorization factorization) {
            this.format = factorization;
            return this;
        }

        /**
         * Sets the rank (required except for DENSE), as for {@link FactorizedLinear}.
         *
         * @param rank the rank request
         * @return this builder
         */
        public Builder setRank(Rank rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets the standard deviation of the reconstructed table at initialisation (default 1, like
         * a freshly made PyTorch embedding).
         *
         * @param std finite and greater than 0
         * @return this builder
         */
        public Builder optInitStd(double std) {
            this.initStd = std;
            return this;
        }

        /**
         * Sets the seed of the initial values (default: a random seed).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException if a size, shape, rank or the std is missing or not
         *     accepted
         */
        public FactorizedEmbedding build() {
            if (numEmbeddings < 1 || embeddingDim < 1) {
                throw new IllegalArgumentException(
                        "numEmbeddings "
                                + numEmbeddings
                                + " and embeddingDim "
                                + embeddingDim
                                + " are not accepted; set both to values >= 1");
            }
            Pair<Shape, Shape> auto = Tensorize.shapes(numEmbeddings, embeddingDim, 3);
            vocabShape = vocabShape == null ? auto.getKey() : vocabShape;
            dimShape = dimShape == null ? auto.getValue() : dimShape;
            check(vocabShape, numEmbeddings, "vocabulary");
            check(dimShape, embeddingDim, "embedding");
            if (format == null) {
                throw new IllegalArgumentException(
                        "factorization null is not accepted; CP, TUCKER, TT or DENSE are");
            }
            if (rank == null && format != Factorization.DENSE) {
                throw new IllegalArgumentException(
                        "rank is not set; set one such as Rank.fraction(0.1) or Rank.of(16)");
            }
            if (rank == null) {
                rank = Rank.same();
            }
            if (!Double.isFinite(initStd) || initStd <= 0) {
                throw new IllegalArgumentException(
                        "init std " + initStd + " is not accepted; it must be finite and > 0");
            }
            if (format == Factorization.TT && vocabShape.dimension() != dimShape.dimension()) {
                throw new IllegalArgumentException(
                        "block-TT needs vocabulary and embedding shapes of the same order, got "
                                + vocabShape
                                + " and "
                                + dimShape
                                + "; pad the shorter one with 1s");
            }
            return new FactorizedEmbedding(this);
        }

        private static void check(Shape shape, long size, String what) {
            for (long d : shape.getShape()) {
                if (d < 1) {
                    throw new IllegalArgumentException(
                            "tensorized " + what + " shape " + shape + " has a mode of size " + d);
                }
            }
            if (shape.dimension() < 1 || shape.size() != size) {
                throw new IllegalArgumentException(
                        "tensorized "
                                + what
                                + " shape "
                                + shape
                                + " has "
                                + shape.size()
                                + " entries; a shape whose product is "
                                + size
                                + " is accepted");
            }
        }
    }
}
