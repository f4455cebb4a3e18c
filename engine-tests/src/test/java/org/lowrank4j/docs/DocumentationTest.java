package org.lowrank4j.docs;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Keeps the code in the README and the user guide true and copyable: every {@code java} block
 * announced by {@code <!-- snippet: PATH#NAME -->} must show the imports of that source file the
 * region {@code // snippet:NAME} … {@code // end} uses, a blank line, and the region (see {@link
 * SnippetImports}); every type the region names must be imported there, so that it compiles as
 * shown; a block announced by {@code <!-- file: PATH -->} must equal that whole file; and every
 * program the snippets come from must run on the engine under test.
 */
public class DocumentationTest {

    private static final Pattern MARKER =
            Pattern.compile(
                    "<!-- snippet: ([^#\\s]+)#([\\w-]+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern FILE_MARKER =
            Pattern.compile("<!-- file: (\\S+) -->\\s*```(\\w+)\\n(.*?)```", Pattern.DOTALL);

    private static Path root() {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("README.md"))) {
            dir = dir.getParent();
        }
        Assert.assertNotNull(dir, "project root with README.md not found");
        return dir;
    }

    private static List<Path> pages() throws IOException {
        Path root = root();
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
            pages.addAll(
                    docs.filter(p -> p.toString().endsWith(".md"))
                            .sorted()
                            .collect(Collectors.toList()));
        }
        return pages;
    }

    /** The lines between the markers, with their common indentation removed. */
    static String region(String source, String name, String file) {
        String[] lines = source.split("\n", -1);
        int start = -1;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().equals("// snippet:" + name)) {
                start = i + 1;
                break;
            }
        }
        Assert.assertTrue(start >= 0, "no '// snippet:" + name + "' in " + file);
        List<String> body = new ArrayList<>();
        for (int i = start; ; i++) {
            Assert.assertTrue(
                    i < lines.length, "snippet " + name + " in " + file + " has no '// end'");
            if (lines[i].trim().equals("// end")) {
                break;
            }
            body.add(lines[i]);
        }
        int indent = Integer.MAX_VALUE;
        for (String l : body) {
            if (!l.isBlank()) {
                indent = Math.min(indent, l.length() - l.stripLeading().length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String l : body) {
            sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return sb.toString();
    }

    private static Set<String> sources() throws IOException {
        Set<String> files = new LinkedHashSet<>();
        for (Path page : pages()) {
            Matcher m = MARKER.matcher(Files.readString(page, StandardCharsets.UTF_8));
            while (m.find()) {
                files.add(m.group(1));
            }
        }
        return files;
    }

    /**
     * Checks one snippet of a page: the block must be the region with the imports it uses, and the
     * region must name no type those imports leave out.
     *
     * @return what is wrong, or null
     */
    static String checkSnippet(String block, String source, String name, String where) {
        String region = region(source, name, where);
        List<String> needed = SnippetImports.needed(source, region);
        Set<String> missing = SnippetImports.unresolved(region, needed);
        if (!missing.isEmpty()) {
            return where
                    + " names "
                    + missing
                    + ", which no import of its source file, java.lang or the snippet provides:"
                    + " a reader who pastes it cannot compile it; import them in the source file"
                    + " (a class of the example's own package must move to a package of its own)";
        }
        String expected = SnippetImports.shown(source, region);
        return block.equals(expected)
                ? null
                : where
                        + " differs from its source; expected:\n"
                        + expected
                        + "\nbut was:\n"
                        + block;
    }

    @Test
    public void snippetsMatchTheirSources() throws IOException {
        Path root = root();
        int count = 0;
        List<String> problems = new ArrayList<>();
        for (Path page : pages()) {
            String text = Files.readString(page, StandardCharsets.UTF_8);
            int javaBlocks = text.split("```java\n", -1).length - 1;
            int marked = 0;
            Matcher m = MARKER.matcher(text);
            while (m.find()) {
                marked++;
                String file = m.group(1);
                String source = Files.readString(root.resolve(file), StandardCharsets.UTF_8);
                String problem =
                        checkSnippet(
                                m.group(3),
                                source,
                                m.group(2),
                                "snippet "
                                        + file
                                        + "#"
                                        + m.group(2)
                                        + " in "
                                        + root.relativize(page));
                if (problem != null) {
                    problems.add(problem);
                }
                count++;
            }
            Matcher f = FILE_MARKER.matcher(text);
            while (f.find()) {
                if (f.group(2).equals("java")) {
                    marked++;
                }
                String file = f.group(1);
                Assert.assertEquals(
                        f.group(3),
                        Files.readString(root.resolve(file), StandardCharsets.UTF_8),
                        "file " + file + " as shown in " + root.relativize(page));
                count++;
            }
            Assert.assertEquals(
                    marked,
                    javaBlocks,
                    "every java block of "
                            + root.relativize(page)
                            + " must follow a <!-- snippet: PATH#NAME --> or <!-- file: PATH -->"
                            + " marker");
        }
        Assert.assertTrue(problems.isEmpty(), String.join("\n\n", problems));
        Assert.assertTrue(count > 0, "no snippets found");
    }

    /** The first-project files the getting-started page shows whole. */
    @Test
    public void gettingStartedShowsTheFirstProject() throws IOException {
        String page =
                Files.readString(root().resolve("docs/getting-started.md"), StandardCharsets.UTF_8);
        Set<String> shown = new LinkedHashSet<>();
        Matcher f = FILE_MARKER.matcher(page);
        while (f.find()) {
            shown.add(f.group(1));
        }
        Assert.assertTrue(
                shown.containsAll(
                        List.of(
                                "examples/first-project/pom.xml",
                                "examples/first-project/src/main/java/com/example/first/FirstProject.java")),
                "getting-started.md must show the first project's POM and program, shows " + shown);
    }

    @Test
    public void snippetProgramsRun() throws Exception {
        for (String file : sources()) {
            String className =
                    file.replaceFirst("^examples/src/main/java/", "")
                            .replaceFirst("\\.java$", "")
                            .replace('/', '.');
            Method main = Class.forName(className).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        }
    }
}
