package org.lowrank4j.examples.demo;

import java.util.Locale;

/**
 * The data sets the demo runs on, chosen with {@code --dataset}: both are 28×28 grey images in 10
 * classes, shipped in {@code data/} in the IDX layout DJL's readers expect.
 */
public enum DemoDataset {

    /** The MNIST digits in {@code data/mnist-10k} (8,004 training, 1,996 test). */
    MNIST("mnist", "mnist-10k", "MNIST subset", "mnist10k", "digits"),

    /**
     * The Fashion-MNIST clothing images in {@code data/fashion-mnist} (10,000 training, 2,000 test,
     * balanced per class).
     */
    FASHION("fashion", "fashion-mnist", "Fashion-MNIST subset", "fashion-mnist", "images");

    private final String option;
    private final String folder;
    private final String title;
    private final String cacheKey;
    private final String noun;

    DemoDataset(String option, String folder, String title, String cacheKey, String noun) {
        this.option = option;
        this.folder = folder;
        this.title = title;
        this.cacheKey = cacheKey;
        this.noun = noun;
    }

    /**
     * Returns the data set a value of {@code --dataset} names.
     *
     * @param value the value, {@code mnist} or {@code fashion} (case-insensitive)
     * @return the data set
     * @throws IllegalArgumentException if the value names none
     */
    public static DemoDataset fromOption(String value) {
        for (DemoDataset d : values()) {
            if (d.option.equals(value.toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException(
                "value '" + value + "' of --dataset is not accepted; mnist or fashion is");
    }

    /**
     * Returns the value of {@code --dataset} that names this data set.
     *
     * @return {@code mnist} or {@code fashion}
     */
    public String getOption() {
        return option;
    }

    /**
     * Returns the name of the shipped folder under {@code data/}.
     *
     * @return {@code mnist-10k} or {@code fashion-mnist}
     */
    public String getFolder() {
        return folder;
    }

    /**
     * Returns the name the demo's output gives the shipped subset.
     *
     * @return the name, such as {@code Fashion-MNIST subset}
     */
    public String getTitle() {
        return title;
    }

    /**
     * Returns the part of the cache folder's name that tells the shipped subsets apart.
     *
     * @return the key
     */
    public String getCacheKey() {
        return cacheKey;
    }

    /**
     * Returns the word for its samples in the demo's output.
     *
     * @return {@code digits} or {@code images}
     */
    public String getNoun() {
        return noun;
    }
}
