package org.lowrank4j.factorize;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and loads a factorized model as one model directory: DJL's parameter file and, beside it,
 * the plan that rebuilds the factorized structure ({@value #PLAN_FILE}).
 *
 * <pre>{@code
 * FactorizedModels.save(model, dir);                 // after factorize and fine-tuning
 *
 * Model reloaded = Model.newInstance("resnet");
 * reloaded.setBlock(buildTheOriginalArchitecture()); // as it was before factorize
 * FactorizedModels.load(reloaded, dir);              // restores the plan, then loads
 * }</pre>
 *
 * <p>To load the directory through DJL's {@code Criteria} (and DJL Serving), use {@link
 * FactorizedBlockFactory}.
 */
public final class FactorizedModels {

    /** The name of the plan file in a model directory. */
    public static final String PLAN_FILE = "lowrank4j-plan.json";

    private static final Logger logger = LoggerFactory.getLogger(FactorizedModels.class);

    private FactorizedModels() {}

    /**
     * Saves the model's parameters with {@code Model.save(dir, model.getName())} and its plan
     * beside them.
     *
     * @param model the model, its block factorized (or not: an empty plan is written)
     * @param dir the model directory, created if needed
     * @throws IOException if a file cannot be written
     */
    public static void save(Model model, Path dir) throws IOException {
        Objects.requireNonNull(model, "model must not be null");
        Objects.requireNonNull(dir, "dir must not be null");
        Files.createDirectories(dir);
        FactorizePlan plan = Factorizer.plan(model.getBlock());
        model.save(dir, model.getName());
        plan.save(dir.resolve(PLAN_FILE));
        logger.info(
                "Saved model '{}' with a plan of {} factorized layer(s) to {}",
                model.getName(),
                plan.getEntries().size(),
                dir);
    }

    /**
     * Restores the plan of a model directory onto the model's block (built as the architecture was
     * before factorization), then loads the parameters.
     *
     * @param model the model, with a freshly built block
     * @param dir the model directory written by {@link #save}
     * @throws IOException if a file cannot be read
     * @throws MalformedModelException if the parameters do not fit the restored block; the plan's
     *     blocks are then taken out again and the values loaded before the failure put back, so the
     *     block is the architecture it was given as, with its values
     * @throws IllegalArgumentException if the directory has no plan, or the plan does not fit the
     *     block
     */
    public static void load(Model model, Path dir) throws IOException, MalformedModelException {
        Objects.requireNonNull(model, "model must not be null");
        Objects.requireNonNull(dir, "dir must not be null");
        Block block = model.getBlock();
        Runnable undo = Factorizer.restoreUndoably(block, readPlan(dir));
        // DJL loads block after block: the values of those loaded before a failure are put back
        Map<Parameter, NDArray> before = snapshot(block);
        try {
            model.load(dir, model.getName());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            // the block is the architecture again, without the plan's blocks, with its values
            undo.run();
            putBack(before);
            throw e;
        } finally {
            for (NDArray copy : before.values()) {
                copy.close();
            }
        }
        logger.info("Loaded model '{}' from {}", model.getName(), dir);
    }

    /** Copies of the values of every initialised parameter of a block, by parameter. */
    private static Map<Parameter, NDArray> snapshot(Block block) {
        Map<Parameter, NDArray> copies = new IdentityHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.isInitialized()) {
                copies.put(parameter, parameter.getArray().duplicate());
            }
        }
        return copies;
    }

    /**
     * Writes the copied values back into their parameters (a parameter whose array a load replaced
     * by one of the same shape gets the old values in the new array).
     */
    private static void putBack(Map<Parameter, NDArray> copies) {
        for (Map.Entry<Parameter, NDArray> e : copies.entrySet()) {
            Parameter parameter = e.getKey();
            NDArray copy = e.getValue();
            if (parameter.isInitialized()
                    && parameter.getArray().getShape().equals(copy.getShape())) {
                copy.copyTo(parameter.getArray());
            }
        }
    }

    /**
     * Restores the plan of a model directory onto a block.
     *
     * @param block the block, built as the architecture was before factorization
     * @param dir the model directory, or a file in it
     * @return the same block, restored
     * @throws IOException if the plan cannot be read
     * @throws IllegalArgumentException if there is no plan, or it does not fit the block
     */
    public static Block restore(Block block, Path dir) throws IOException {
        Objects.requireNonNull(block, "block must not be null");
        Objects.requireNonNull(dir, "dir must not be null");
        Factorizer.restore(block, readPlan(dir));
        return block;
    }

    /** Reads the plan of a model directory (or of the directory of a file in it). */
    private static FactorizePlan readPlan(Path dir) throws IOException {
        Path folder = Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent();
        Path plan = folder.resolve(PLAN_FILE);
        if (!Files.isRegularFile(plan)) {
            throw new IllegalArgumentException(
                    "model directory "
                            + folder
                            + " has no "
                            + PLAN_FILE
                            + "; a directory written by FactorizedModels.save is accepted (for a"
                            + " model saved with Model.save only, save its plan with"
                            + " Factorizer.plan(block).save(dir.resolve(\""
                            + PLAN_FILE
                            + "\")))");
        }
        return FactorizePlan.load(plan);
    }
}
