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
 * Keeps the code in the README and the user guide true: every {@code java} block announced by
 * {@code <!-- snippet: PATH#NAME -->} must equal the region {@code // snippet:NAME} … {@code //
 * end} of that source file, and every program those snippets come from must run on the engine under
 * test.
 */
public class DocumentationTest {

    private static final Pattern MARKER =
            Pattern.compile(
                    "<!-- snippet: ([^#\\s]+)#([\\w-]+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL);

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

    @Test
    public void snippetsMatchTheirSources() throws IOException {
        Path root = root();
        int count = 0;
        for (Path page : pages()) {
            String text = Files.readString(page, StandardCharsets.UTF_8);
            int javaBlocks = text.split("```java\n", -1).length - 1;
            int marked = 0;
            Matcher m = MARKER.matcher(text);
            while (m.find()) {
                marked++;
                String file = m.group(1);
                String source = Files.readString(root.resolve(file), StandardCharsets.UTF_8);
                Assert.assertEquals(
                        m.group(3),
                        region(source, m.group(2), file),
                        "snippet " + file + "#" + m.group(2) + " in " + root.relativize(page));
                count++;
            }
            Assert.assertEquals(
                    marked,
                    javaBlocks,
                    "every java block of "
                            + root.relativize(page)
                            + " must follow a <!-- snippet: PATH#NAME --> marker");
        }
        Assert.assertTrue(count > 0, "no snippets found");
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
