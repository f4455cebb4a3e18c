package org.lowrank4j.docs;

import java.util.List;
import java.util.Set;
import org.testng.Assert;
import org.testng.annotations.Test;

/** The documentation test's import check fails where a pasted snippet would not compile. */
public class SnippetImportsTest {

    private static final String SOURCE =
            String.join(
                    "\n",
                    "package org.example;",
                    "",
                    "import ai.djl.ndarray.NDArray;",
                    "import ai.djl.ndarray.NDManager;",
                    "import ai.djl.ndarray.types.Shape;",
                    "import java.util.List;",
                    "",
                    "public final class Example {",
                    "    static final class Helper {}",
                    "",
                    "    public static void main(String[] args) {",
                    "        // snippet:complete",
                    "        try (NDManager manager = NDManager.newBaseManager()) {",
                    "            NDArray x = manager.ones(new Shape(2)); // a List in a comment",
                    "            System.out.println(\"Shape of a Map: \" + x.getShape());",
                    "        }",
                    "        // end",
                    "        // snippet:missing",
                    "        Helper helper = new Helper();",
                    "        List<Helper> helpers = List.of(helper);",
                    "        // end",
                    "    }",
                    "}",
                    "");

    private static final String COMPLETE_REGION =
            String.join(
                    "\n",
                    "try (NDManager manager = NDManager.newBaseManager()) {",
                    "    NDArray x = manager.ones(new Shape(2)); // a List in a comment",
                    "    System.out.println(\"Shape of a Map: \" + x.getShape());",
                    "}",
                    "");

    @Test
    public void snippetIsShownWithTheImportsItUses() {
        String shown = SnippetImports.shown(SOURCE, COMPLETE_REGION);
        Assert.assertEquals(
                shown,
                "import ai.djl.ndarray.NDArray;\n"
                        + "import ai.djl.ndarray.NDManager;\n"
                        + "import ai.djl.ndarray.types.Shape;\n\n"
                        + COMPLETE_REGION,
                "java.util.List is named in a comment only, String and System are java.lang");
        Assert.assertNull(DocumentationTest.checkSnippet(shown, SOURCE, "complete", "complete"));
    }

    @Test
    public void blockWithoutItsImportsFails() {
        String problem =
                DocumentationTest.checkSnippet(COMPLETE_REGION, SOURCE, "complete", "complete");
        Assert.assertNotNull(problem, "a block that leaves out the imports must fail");
        Assert.assertTrue(problem.contains("import ai.djl.ndarray.NDManager;"), problem);
    }

    @Test
    public void typeWithoutAnImportFails() {
        String region = DocumentationTest.region(SOURCE, "missing", "Example.java");
        String shown = SnippetImports.shown(SOURCE, region);
        Assert.assertEquals(
                SnippetImports.unresolved(region, SnippetImports.needed(SOURCE, region)),
                Set.of("Helper"),
                "Helper is a nested class of the example that a reader does not have");
        String problem = DocumentationTest.checkSnippet(shown, SOURCE, "missing", "missing");
        Assert.assertNotNull(problem, "a snippet naming a type no import provides must fail");
        Assert.assertTrue(problem.contains("[Helper]"), problem);
    }

    @Test
    public void qualifiedNamesAndDeclarationsNeedNoImport() {
        String snippet =
                "record Point(int x, int y) {}\n"
                        + "var p = new Point(1, 2);\n"
                        + "java.util.Map<String, Integer> m = java.util.Map.of(\"a\", p.x());\n"
                        + "Thread.sleep(Math.max(0, m.get(\"a\")));\n";
        Assert.assertEquals(SnippetImports.unresolved(snippet, List.of()), Set.of());
        Assert.assertEquals(
                SnippetImports.unresolved("Shape s = null;\n", List.of("import java.util.List;")),
                Set.of("Shape"));
    }

    @Test(expectedExceptions = IllegalArgumentException.class)
    public void wildcardImportsAreRefused() {
        SnippetImports.imports("import ai.djl.ndarray.*;\n");
    }
}
