package org.lowrank4j.factorize;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.util.ClassLoaderUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A DJL {@link BlockFactory} that builds the original architecture with another factory and
 * restores the factorized structure from the model directory's plan, so that {@code Criteria} and
 * DJL Serving load a directory written by {@link FactorizedModels#save} with no code of one's own.
 *
 * <pre>{@code
 * Criteria<Image, Classifications> criteria =
 *         Criteria.builder()
 *                 .setTypes(Image.class, Classifications.class)
 *                 .optModelPath(dir)
 *                 .optModelName("resnet")
 *                 .optTranslator(translator)
 *                 .optArgument("blockFactory", FactorizedBlockFactory.class.getName())
 *                 .optArgument("baseBlockFactory", MyResNetFactory.class.getName())
 *                 .build();
 * }</pre>
 *
 * <p>In the model directory's {@code serving.properties} (which DJL reads when it loads the
 * directory, also through DJL Serving), arguments are plain keys:
 *
 * <pre>
 * blockFactory=org.lowrank4j.factorize.FactorizedBlockFactory
 * baseBlockFactory=com.example.MyResNetFactory
 * translatorFactory=ai.djl.modality.cv.translator.ImageClassificationTranslatorFactory
 * </pre>
 *
 * <p>An instance made with {@link #FactorizedBlockFactory(BlockFactory)} can be passed as the
 * {@code blockFactory} argument too.
 */
public class FactorizedBlockFactory implements BlockFactory {

    /** The version of this class's serialised form. */
    private static final long serialVersionUID = 1L;

    /** The argument that names the factory of the original architecture. */
    public static final String BASE_ARGUMENT = "baseBlockFactory";

    /** The factory of the original architecture, or null to find it in the arguments. */
    private final BlockFactory base;

    /** Creates a factory that finds the base factory in the {@value #BASE_ARGUMENT} argument. */
    public FactorizedBlockFactory() {
        this(null);
    }

    /**
     * Creates a factory around a base factory.
     *
     * @param base the factory of the original architecture, or null to name it in the {@value
     *     #BASE_ARGUMENT} argument
     */
    public FactorizedBlockFactory(BlockFactory base) {
        this.base = base;
    }

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments)
            throws IOException {
        BlockFactory factory = base;
        if (factory == null) {
            Object name = arguments == null ? null : arguments.get(BASE_ARGUMENT);
            if (name == null) {
                throw new IllegalArgumentException(
                        "no base block factory: set the argument "
                                + BASE_ARGUMENT
                                + " to the class of the BlockFactory that builds the architecture"
                                + " before factorization");
            }
            factory =
                    ClassLoaderUtils.findImplementation(
                            modelPath, BlockFactory.class, name.toString());
            if (factory == null) {
                throw new IllegalArgumentException(
                        "base block factory "
                                + name
                                + " is not found or is not a BlockFactory with a public no-argument"
                                + " constructor");
            }
        }
        return FactorizedModels.restore(factory.newBlock(model, modelPath, arguments), modelPath);
    }
}
