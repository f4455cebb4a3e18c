package org.lowrank4j.examples;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Writes the Fashion-MNIST subset shipped in {@code data/fashion-mnist} from the full data set (the
 * four gzipped IDX files {@code train-images-idx3-ubyte.gz}, {@code train-labels-idx1-ubyte.gz},
 * {@code t10k-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}).
 *
 * <p>The rule: from the training file the first {@value #TRAIN_PER_CLASS} images of each class, and
 * from the test file the first {@value #TEST_PER_CLASS} of each class, in file order; the kept
 * images are then written class by class in turn (class 0, 1, ..., 9, class 0, ...), the n-th image
 * of each class in the n-th round, so that any prefix is balanced. Nothing is random: the same
 * input gives the same bytes. The output is uncompressed IDX under the names of the items DJL's
 * {@code FashionMnist} dataset reads ({@code train_data}, {@code train_labels}, {@code test_data},
 * {@code test_labels}).
 *
 * <p>Run it with {@code mvn -B -q -Dai.djl.offline=true -pl examples -am compile exec:java
 * -Dexec.mainClass=org.lowrank4j.examples.FashionMnistSubset -Dexec.args="SOURCE OUTPUT"}; the
 * defaults are {@code ../shared/datasets/fashion-mnist} and {@code data/fashion-mnist}, both
 * relative to the project root.
 */
public final class FashionMnistSubset {

    /** The training images kept per class. */
    public static final int TRAIN_PER_CLASS = 1000;

    /** The test images kept per class. */
    public static final int TEST_PER_CLASS = 200;

    /** The number of classes. */
    public static final int CLASSES = 10;

    private static final int IMAGES_MAGIC = 0x803;
    private static final int LABELS_MAGIC = 0x801;
    private static final int SIDE = 28;

    private FashionMnistSubset() {}

    /**
     * Writes the subset.
     *
     * @param args the source folder and the output folder (both optional)
     * @throws IOException if a file cannot be read or written, or is not the expected IDX file
     */
    public static void main(String[] args) throws IOException {
        Path root = projectRoot();
        Path source =
                args.length > 0
                        ? Paths.get(args[0])
                        : root.resolve("..")
                                .resolve("shared")
                                .resolve("datasets")
                                .resolve("fashion-mnist")
                                .normalize();
        Path out = args.length > 1 ? Paths.get(args[1]) : root.resolve("data/fashion-mnist");
        Files.createDirectories(out);
        int train = write(source, "train", TRAIN_PER_CLASS, out, "train");
        int test = write(source, "t10k", TEST_PER_CLASS, out, "test");
        System.out.printf(
                Locale.ROOT,
                "Wrote %,d training and %,d test images from %s to %s%n",
                train,
                test,
                source,
                out);
    }

    private static Path projectRoot() {
        Path cwd = Paths.get("").toAbsolutePath();
        for (Path dir = cwd; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("data"))
                    && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        return cwd;
    }

    /** Selects and writes one split; returns the number of images written. */
    private static int write(Path source, String prefix, int perClass, Path out, String split)
            throws IOException {
        byte[] labels = readIdx(source.resolve(prefix + "-labels-idx1-ubyte.gz"), LABELS_MAGIC, 1);
        byte[] images =
                readIdx(
                        source.resolve(prefix + "-images-idx3-ubyte.gz"),
                        IMAGES_MAGIC,
                        SIDE * SIDE);
        if (images.length != labels.length * SIDE * SIDE) {
            throw new IOException(
                    prefix + ": " + labels.length + " labels but not as many 28×28 images");
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < CLASSES; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
            int c = labels[i] & 0xff;
            if (c >= CLASSES) {
                throw new IOException(prefix + ": label " + c + " at " + i + " is not 0-9");
            }
            if (byClass.get(c).size() < perClass) {
                byClass.get(c).add(i);
            }
        }
        for (int c = 0; c < CLASSES; c++) {
            if (byClass.get(c).size() < perClass) {
                throw new IOException(
                        prefix + ": class " + c + " has only " + byClass.get(c).size() + " images");
            }
        }
        int n = perClass * CLASSES;
        try (DataOutputStream img =
                        new DataOutputStream(Files.newOutputStream(out.resolve(split + "_data")));
                DataOutputStream lab =
                        new DataOutputStream(
                                Files.newOutputStream(out.resolve(split + "_labels")))) {
            img.writeInt(IMAGES_MAGIC);
            img.writeInt(n);
            img.writeInt(SIDE);
            img.writeInt(SIDE);
            lab.writeInt(LABELS_MAGIC);
            lab.writeInt(n);
            for (int round = 0; round < perClass; round++) {
                for (int c = 0; c < CLASSES; c++) {
                    int i = byClass.get(c).get(round);
                    img.write(images, i * SIDE * SIDE, SIDE * SIDE);
                    lab.write(c);
                }
            }
        }
        return n;
    }

    /**
     * Reads a gzipped IDX file of unsigned bytes, checks its magic number and item size, and
     * returns the bytes after its header.
     */
    private static byte[] readIdx(Path file, int magic, int itemSize) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            int m = in.readInt();
            if (m != magic) {
                throw new IOException(
                        file
                                + ": magic number "
                                + Integer.toHexString(m)
                                + ", expected "
                                + Integer.toHexString(magic));
            }
            int count = in.readInt();
            int size = 1;
            for (int d = 0; d < (magic & 0xff) - 1; d++) {
                size *= in.readInt();
            }
            if (size != itemSize) {
                throw new IOException(file + ": items of " + size + " bytes, expected " + itemSize);
            }
            byte[] data = in.readAllBytes();
            if (data.length != (long) count * size) {
                throw new IOException(
                        file + ": " + data.length + " bytes for " + count + " items of " + size);
            }
            return data;
        }
    }
}
