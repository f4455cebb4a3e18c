package org.lowrank4j.examples;

import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.lowrank4j.examples.demo.DemoDataset;

/**
 * MNIST and Fashion-MNIST through DJL's own {@link Mnist} and {@link FashionMnist} datasets, read
 * from the subsets shipped in {@code data/mnist-10k} and {@code data/fashion-mnist} (so nothing is
 * downloaded), or from the full MNIST in DJL's remote repository where the internet is reachable.
 *
 * <p>Each shipped folder holds the four IDX files under the names of the items both datasets read
 * ({@code train_data}, {@code train_labels}, {@code test_data}, {@code test_labels}), so DJL's
 * local-directory repository ({@code Repository.newInstance(name, folder)}) serves it as it is:
 * nothing is unpacked, written or cached, and every run reads the same files. Both datasets give
 * {@code (1, 28, 28)} float32 images scaled to [0, 1] and float32 class labels 0 to 9.
 */
public final class MnistData {

    private MnistData() {}

    /**
     * Finds the shipped copy of a data set: its folder under {@code data/} in the working directory
     * or one of its parents.
     *
     * @param dataset the data set
     * @return the folder
     * @throws IOException if it cannot be found
     */
    public static Path shippedCopy(DemoDataset dataset) throws IOException {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("data").resolve(dataset.getFolder());
            if (Files.isRegularFile(candidate.resolve("train_data"))) {
                return candidate;
            }
        }
        throw new IOException(
                "data/"
                        + dataset.getFolder()
                        + " not found from "
                        + Paths.get("").toAbsolutePath()
                        + " upwards");
    }

    /**
     * Builds and prepares a shipped subset, or the full MNIST.
     *
     * @param dataset the data set
     * @param usage train or test
     * @param batchSize the batch size
     * @param shuffle whether to shuffle
     * @param full whether to use the full MNIST from DJL's repository (needs the internet once)
     * @param limit the number of images to keep (the first ones), or {@code Long.MAX_VALUE}
     * @return the prepared dataset, a {@link Mnist} or a {@link FashionMnist}
     * @throws IOException if the files cannot be read
     * @throws IllegalArgumentException if the full set is asked for another data set than MNIST
     */
    public static ArrayDataset load(
            DemoDataset dataset,
            Dataset.Usage usage,
            int batchSize,
            boolean shuffle,
            boolean full,
            long limit)
            throws IOException {
        ArrayDataset data;
        if (dataset == DemoDataset.MNIST) {
            Mnist.Builder builder =
                    Mnist.builder().optUsage(usage).setSampling(batchSize, shuffle).optLimit(limit);
            if (!full) {
                builder.optRepository(Repository.newInstance("mnist-10k", shippedCopy(dataset)));
            }
            data = builder.build();
        } else {
            if (full) {
                throw new IllegalArgumentException(
                        "the full set is not available for "
                                + dataset.getOption()
                                + "; it is for mnist only");
            }
            data =
                    FashionMnist.builder()
                            .optUsage(usage)
                            .setSampling(batchSize, shuffle)
                            .optLimit(limit)
                            .optRepository(
                                    Repository.newInstance(
                                            dataset.getFolder(), shippedCopy(dataset)))
                            .build();
        }
        try {
            data.prepare();
        } catch (TranslateException e) {
            throw new IOException("cannot prepare " + dataset.getTitle(), e);
        }
        return data;
    }
}
