package org.lowrank4j.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata every block of this package saves before its parameters, and its checks on load.
 *
 * <p>A block writes its input shapes (or none) and one line that states its configuration (format,
 * sizes, ranks, factor shapes), as {@link DataOutputStream#writeUTF(String)} does. On load the line
 * must equal the loading block's own: a model restored with another plan, or built with other
 * sizes, is refused with both configurations named, before any parameter is read. Every count in
 * the stream is bounded before anything is allocated, so a damaged or hostile file cannot make the
 * reader allocate without bound.
 */
final class BlockMetadata {

    /** The most input shapes a block may record. */
    static final int MAX_SHAPES = 16;

    /** The most dimensions a recorded shape may have. */
    static final int MAX_DIMENSIONS = 32;

    private BlockMetadata() {}

    /**
     * Writes the input shapes and the configuration line.
     *
     * @param os the stream
     * @param inputShapes the block's input shapes, or null if it has none yet
     * @param configuration the line {@link #read} compares
     * @throws IOException if writing fails
     */
    static void write(DataOutputStream os, Shape[] inputShapes, String configuration)
            throws IOException {
        os.writeInt(inputShapes == null ? -1 : inputShapes.length);
        if (inputShapes != null) {
            for (Shape s : inputShapes) {
                os.write(s.getEncoded());
            }
        }
        os.writeUTF(configuration);
    }

    /**
     * Reads what {@link #write} wrote, refusing another version or another configuration.
     *
     * @param block the loading block's name, for the messages
     * @param loadVersion the version byte read before the metadata
     * @param version the version this block writes
     * @param is the stream
     * @param configuration the loading block's own configuration line
     * @return the recorded input shapes, or null if none were recorded
     * @throws IOException if reading fails
     * @throws MalformedModelException if the version, a count or the configuration is not accepted
     */
    static Shape[] read(
            String block, byte loadVersion, byte version, DataInputStream is, String configuration)
            throws IOException, MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(
                    "cannot load "
                            + block
                            + " parameters saved with version "
                            + loadVersion
                            + "; version "
                            + version
                            + " is accepted");
        }
        int count = is.readInt();
        if (count < -1 || count > MAX_SHAPES) {
            throw new MalformedModelException(
                    block
                            + " metadata records "
                            + count
                            + " input shapes; 0.."
                            + MAX_SHAPES
                            + " are accepted (the file is damaged)");
        }
        Shape[] shapes = count < 0 ? null : new Shape[count];
        for (int i = 0; i < count; i++) {
            shapes[i] = readShape(block, is);
        }
        String saved = is.readUTF();
        if (!saved.equals(configuration)) {
            throw new MalformedModelException(
                    "the saved "
                            + block
                            + " "
                            + saved
                            + " does not match this block "
                            + configuration
                            + "; restore the plan the model was saved with"
                            + " (FactorizedModels.load, or Factorizer.restore before Model.load)");
        }
        return shapes;
    }

    private static Shape readShape(String block, DataInputStream is)
            throws IOException, MalformedModelException {
        int n = is.readInt();
        if (n < 0 || n > MAX_DIMENSIONS) {
            throw new MalformedModelException(
                    block
                            + " metadata records a shape of "
                            + n
                            + " dimensions; 0.."
                            + MAX_DIMENSIONS
                            + " are accepted (the file is damaged)");
        }
        long[] dims = new long[n];
        for (int i = 0; i < n; i++) {
            dims[i] = is.readLong();
            if (dims[i] < -1) {
                throw new MalformedModelException(
                        block + " metadata records a dimension of " + dims[i]);
            }
        }
        int layout = is.readInt();
        if (layout != 0 && layout != n) {
            throw new MalformedModelException(
                    block
                            + " metadata records a layout of "
                            + layout
                            + " letters for a shape of "
                            + n
                            + " dimensions (the file is damaged)");
        }
        char[] letters = new char[layout];
        for (int i = 0; i < layout; i++) {
            letters[i] = is.readChar();
        }
        return new Shape(dims, new String(letters));
    }

    /**
     * Returns the shapes of parameters, in order (null for a parameter whose shape is unknown).
     *
     * @param parameters the parameters
     * @return their shapes
     */
    static List<Shape> shapes(List<Parameter> parameters) {
        List<Shape> shapes = new ArrayList<>();
        for (Parameter p : parameters) {
            shapes.add(p == null ? null : p.getShape());
        }
        return shapes;
    }

    /**
     * Checks that loaded parameters have the shapes the block expected before loading.
     *
     * @param block the block's description, for the message
     * @param parameters the parameters after loading
     * @param expected their shapes before loading (null entries are not checked)
     * @throws MalformedModelException if a loaded array has another shape
     */
    static void checkLoaded(String block, List<Parameter> parameters, List<Shape> expected)
            throws MalformedModelException {
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            Shape want = expected.get(i);
            if (p == null || want == null || !p.isInitialized()) {
                continue;
            }
            Shape got = p.getArray().getShape();
            if (!got.equals(want)) {
                throw new MalformedModelException(
                        "the saved parameter '"
                                + p.getName()
                                + "' of "
                                + block
                                + " has shape "
                                + got
                                + "; this block takes "
                                + want);
            }
        }
    }

    /**
     * Checks that loaded factors hold as many values as the block's layout takes.
     *
     * @param block the block's description, for the message
     * @param factors the factor parameters after loading
     * @param expected the number of values the layout takes
     * @throws MalformedModelException if they hold another number
     */
    static void checkLoadedCount(String block, List<Parameter> factors, long expected)
            throws MalformedModelException {
        long loaded = 0;
        for (Parameter p : factors) {
            loaded += p.getArray().size();
        }
        if (loaded != expected) {
            throw new MalformedModelException(
                    "the saved factors of "
                            + block
                            + " hold "
                            + loaded
                            + " values; this block takes "
                            + expected);
        }
    }
}
