package org.lowrank4j.examples;

import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * MNIST through DJL's own {@link Mnist} dataset, read from the 10,000 digits shipped in {@code
 * data/mnist-10k} (so nothing is downloaded), or from the full MNIST in DJL's remote repository
 * where the internet is reachable.
 *
 * <p>The shipped folder holds the four IDX files under the names of the items {@code Mnist} reads
 * ({@code train_data}, {@code train_labels}, {@code test_data}, {@code test_labels}), so DJL's
 * local-directory repository ({@code Repository.newInstance(name, folder)}) serves it as it is:
 * nothing is unpacked, written or cached, and every run reads the same files.
 */
public final class MnistData {

    private MnistData() {}

    /**
     * Finds the shipped copy: {@code data/mnist-10k} in the working directory or one of its
     * parents.
     *
     * @return the folder
     * @throws IOException if it cannot be found
     */
    public static Path shippedCopy() throws IOException {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("data").resolve("mnist-10k");
            if (Files.isRegularFile(candidate.resolve("train_data"))) {
                return candidate;
            }
        }
        throw new IOException(
                "data/mnist-10k not found from " + Paths.get("").toAbsolutePath() + " upwards");
    }

    /**
     * Builds and prepares the dataset.
     *
     * @param usage train or test
     * @param batchSize the batch size
     * @param shuffle whether to shuffle
     * @param full whether to use the full MNIST from DJL's repository (needs the internet once)
     * @param limit the number of images to keep (the first ones), or {@code Long.MAX_VALUE}
     * @return the prepared dataset
     * @throws IOException if the files cannot be read
     */
    public static Mnist load(
            Dataset.Usage usage, int batchSize, boolean shuffle, boolean full, long limit)
            throws IOException {
        Mnist.Builder builder =
                Mnist.builder().optUsage(usage).setSampling(batchSize, shuffle).optLimit(limit);
        if (!full) {
            builder.optRepository(Repository.newInstance("mnist-10k", shippedCopy()));
        }
        Mnist mnist = builder.build();
        try {
            mnist.prepare();
        } catch (TranslateException e) {
            throw new IOException("cannot prepare MNIST", e);
        }
        return mnist;
    }
}
