package org.lowrank4j.docs;

import com.example.first.FirstProject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testng.Assert;
import org.testng.annotations.Test;
import org.w3c.dom.Element;

/**
 * The first project of the getting-started page ({@code examples/first-project}) works as shown:
 * its program (compiled with the tests from that directory) runs on the engine under test and
 * factorizes, it uses nothing but the library and DJL, and its POM asks for the artifacts this
 * build makes and tests with.
 */
public class FirstProjectTest {

    private static final Path PROJECT = Poms.root().resolve("examples/first-project");

    @Test
    public void programRunsAndFactorizes() {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            FirstProject.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        out.print(text);
        Matcher m =
                Pattern.compile(
                                "(\\d+) of (\\d+) convolutions factorized; the network: ([\\d,]+) -> ([\\d,]+)"
                                        + " parameters")
                        .matcher(text);
        Assert.assertTrue(m.find(), "the first project's summary line is missing from:\n" + text);
        Assert.assertEquals(m.group(2), "3", "three convolutions");
        Assert.assertEquals(m.group(1), "2", "every convolution but the first is factorized");
        long before = Long.parseLong(m.group(3).replace(",", ""));
        long after = Long.parseLong(m.group(4).replace(",", ""));
        Assert.assertTrue(after < before, "fewer parameters: " + before + " -> " + after);
    }

    @Test
    public void programUsesOnlyTheLibraryAndDjl() throws IOException {
        String source =
                Files.readString(
                        PROJECT.resolve("src/main/java/com/example/first/FirstProject.java"),
                        StandardCharsets.UTF_8);
        for (String line : SnippetImports.imports(source)) {
            boolean allowed =
                    line.startsWith("import java.")
                            || line.startsWith("import ai.djl.")
                            || (line.startsWith("import org.lowrank4j.")
                                    && !line.startsWith("import org.lowrank4j.examples."));
            Assert.assertTrue(
                    allowed, "the first project imports only Java, DJL and Lowrank4J: " + line);
        }
    }

    @Test
    public void pomUsesThePublishedArtifacts() throws Exception {
        Element pom = Poms.read(PROJECT.resolve("pom.xml"));
        Element parent = Poms.read(Poms.root().resolve("pom.xml"));
        String version = Poms.text(parent, "version");
        Assert.assertEquals(
                Poms.text(Poms.child(pom, "properties"), "maven.compiler.release"),
                Poms.text(Poms.child(parent, "properties"), "maven.compiler.release"),
                "the first project compiles for the Java release the library is built for");

        List<Element> managed =
                Poms.children(
                        Poms.child(Poms.child(pom, "dependencyManagement"), "dependencies"),
                        "dependency");
        Assert.assertEquals(managed.size(), 1, "the first project imports the BOM only");
        Assert.assertEquals(Poms.text(managed.get(0), "artifactId"), "lowrank4j-bom");
        Assert.assertEquals(Poms.text(managed.get(0), "version"), version, "the BOM's version");
        Assert.assertEquals(Poms.text(managed.get(0), "scope"), "import");

        boolean api = false;
        boolean binding = false;
        for (Element dependency : Poms.children(Poms.child(pom, "dependencies"), "dependency")) {
            String group = Poms.text(dependency, "groupId");
            String artifact = Poms.text(dependency, "artifactId");
            Assert.assertTrue(
                    group.equals("org.lowrank4j")
                            || group.startsWith("ai.djl")
                            || group.equals("org.slf4j"),
                    "the first project depends on Lowrank4J, DJL and an SLF4J binding only: "
                            + group
                            + ":"
                            + artifact);
            if (artifact.equals("lowrank4j-api")) {
                api = true;
            }
            if (artifact.equals("slf4j-simple")) {
                binding = true;
                Assert.assertEquals(
                        Poms.text(dependency, "version"),
                        Poms.text(Poms.child(parent, "properties"), "slf4j.version"),
                        "the SLF4J binding at the build's SLF4J version");
            }
            if (artifact.endsWith("-native-cpu") || artifact.endsWith("-native-mkl")) {
                Assert.assertEquals(
                        Poms.text(dependency, "classifier"),
                        Poms.text(Poms.child(parent, "properties"), "native.classifier"),
                        artifact + "'s classifier");
            }
        }
        Assert.assertTrue(api, "the first project depends on lowrank4j-api");
        Assert.assertTrue(binding, "the first project has an SLF4J binding");
    }
}
