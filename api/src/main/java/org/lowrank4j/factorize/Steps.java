package org.lowrank4j.factorize;

import ai.djl.util.Progress;

/**
 * The steps of one long task, reported to the user's {@link Progress} (or to nothing when none was
 * given): a stage begins with {@link #begin} and its number of steps, each finished step is one
 * {@link #step} (shown as done with DJL's {@code ProgressBar}), and {@link #end} completes the
 * stage even when it took fewer steps than announced.
 *
 * <p>While a stage of known length runs, each step's detail ends with an estimate of the time the
 * stage still takes, from the mean time of its steps so far: {@code "layer (about 40 s left)"}. A
 * stage of unknown length is announced with 0 steps; its steps are counted but not shown as a
 * share.
 */
final class Steps {

    private final Progress progress;
    private long total;
    private long done;
    private long started;

    private Steps(Progress progress) {
        this.progress = progress;
    }

    /**
     * Returns a progress a builder was given, refusing {@code null}.
     *
     * @throws IllegalArgumentException if the progress is {@code null}
     */
    static Progress checked(Progress progress) {
        if (progress == null) {
            throw new IllegalArgumentException(
                    "progress null is not accepted; a ai.djl.util.Progress such as"
                            + " ai.djl.training.util.ProgressBar is");
        }
        return progress;
    }

    /**
     * Returns steps reported to a progress.
     *
     * @param progress the progress, or {@code null} to report nothing
     */
    static Steps to(Progress progress) {
        return new Steps(progress);
    }

    /**
     * Begins a stage.
     *
     * @param message the stage's name, short (DJL's bar shows 12 characters)
     * @param steps how many steps it takes, or 0 if unknown
     */
    void begin(String message, long steps) {
        total = Math.max(0, steps);
        done = 0;
        started = System.nanoTime();
        if (progress != null) {
            progress.reset(message, total);
        }
    }

    /**
     * Marks one more step of the stage as done.
     *
     * @param detail what the step was (a layer's path), shown after the bar
     */
    void step(String detail) {
        done++;
        if (progress != null && (total == 0 || done <= total)) {
            progress.update(done - 1, done < total ? detail + " (" + left() + ")" : detail);
        }
    }

    /** The time the stage still takes at the mean pace of its steps so far. */
    private String left() {
        double seconds = (System.nanoTime() - started) / 1e9 / done * (total - done);
        if (seconds < 90) {
            return "about " + Math.round(seconds) + " s left";
        }
        return "about " + Math.round(seconds / 60) + " min left";
    }

    /** Returns how many steps of the stage are done. */
    long done() {
        return done;
    }

    /** Ends the stage. */
    void end() {
        if (progress != null && total > 0 && done < total) {
            progress.end();
        }
    }
}
