package org.lowrank4j.fit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The guide shows the example program exactly as it is in the examples module. */
public class DataAwareDocTest {

    @Test
    public void guideShowsTheExampleVerbatim() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        String doc =
                Files.readString(
                        root.resolve("docs/data-aware-factorization.md"), StandardCharsets.UTF_8);
        String code =
                Files.readString(
                        root.resolve(
                                "examples/src/main/java/org/lowrank4j/examples/DataAwareExample.java"),
                        StandardCharsets.UTF_8);
        Assert.assertTrue(
                doc.contains("```java\n" + code + "```"),
                "docs/data-aware-factorization.md must show DataAwareExample.java verbatim");
    }
}
