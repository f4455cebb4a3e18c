package org.lowrank4j.examples;

import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.Dataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.GZIPInputStream;

/**
 * MNIST through DJL's own {@link Mnist} dataset, read from the copy of 10,000 digits shipped in
 * {@code data/mnist-10k} (so nothing is downloaded), or from the full MNIST where the internet is
 * reachable.
 *
 * <p>DJL's local repositories read files as they are, so the shipped {@code .gz} files are unpacked
 * once into {@code target/mnist-10k} beside a {@code metadata.json} that describes them as the
 * {@code ai.djl.basicdataset:mnist} artifact.
 */
public final class MnistData {

    private static final String[][] FILES = {
        {"train_data", "train-images-idx3-ubyte"},
        {"train_labels", "train-labels-idx1-ubyte"},
        {"test_data", "t10k-images-idx3-ubyte"},
        {"test_labels", "t10k-labels-idx1-ubyte"}
    };

    private MnistData() {}

    /**
     * Finds the shipped copy: {@code data/mnist-10k} in the working directory or one of its
     * parents.
     *
     * @return the folder with the four {@code .gz} files
     * @throws IOException if it cannot be found
     */
    public static Path shippedCopy() throws IOException {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("data").resolve("mnist-10k");
            if (Files.exists(candidate.resolve(FILES[0][1] + ".gz"))) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IOException(
                "data/mnist-10k not found from " + Paths.get("").toAbsolutePath() + " upwards");
    }

    /**
     * Builds the dataset.
     *
     * @param usage train or test
     * @param batchSize the batch size
     * @param shuffle whether to shuffle
     * @param full whether to use the full MNIST from DJL's repository (needs the internet once)
     * @return the prepared dataset
     * @throws IOException if the files cannot be read
     */
    public static Mnist load(Dataset.Usage usage, int batchSize, boolean shuffle, boolean full)
            throws IOException {
        Mnist.Builder builder = Mnist.builder().optUsage(usage).setSampling(batchSize, shuffle);
        if (!full) {
            builder.optRepository(localRepository());
        }
        Mnist mnist = builder.build();
        try {
            mnist.prepare();
        } catch (ai.djl.translate.TranslateException e) {
            throw new IOException("cannot prepare MNIST", e);
        }
        return mnist;
    }

    private static Repository localRepository() throws IOException {
        Path source = shippedCopy();
        Path root = source.getParent().getParent().resolve("target").resolve("mnist-10k");
        Path dir = root.resolve("dataset/cv/ai/djl/basicdataset/mnist");
        Path version = dir.resolve("1.0");
        Files.createDirectories(version);
        StringBuilder files = new StringBuilder();
        for (String[] f : FILES) {
            Path target = version.resolve(f[1]);
            if (!Files.exists(target)) {
                try (InputStream in =
                                new GZIPInputStream(
                                        Files.newInputStream(source.resolve(f[1] + ".gz")));
                        OutputStream out = Files.newOutputStream(target)) {
                    in.transferTo(out);
                }
            }
            if (files.length() > 0) {
                files.append(",\n");
            }
            files.append("        \"")
                    .append(f[0])
                    .append("\": {\"uri\": \"")
                    .append(f[1])
                    .append("\", \"size\": ")
                    .append(Files.size(target))
                    .append("}");
        }
        String metadata =
                "{\n"
                        + "  \"metadataVersion\": \"0.2\",\n"
                        + "  \"resourceType\": \"dataset\",\n"
                        + "  \"application\": \"cv\",\n"
                        + "  \"groupId\": \"ai.djl.basicdataset\",\n"
                        + "  \"artifactId\": \"mnist\",\n"
                        + "  \"name\": \"mnist\",\n"
                        + "  \"artifacts\": [{\"version\": \"1.0\", \"snapshot\": false, \"files\": {\n"
                        + files
                        + "\n  }}]\n}\n";
        Files.writeString(dir.resolve("metadata.json"), metadata, StandardCharsets.UTF_8);
        return Repository.newInstance("mnist-10k", root);
    }
}
