package org.lowrank4j.architecture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * The packages of the library depend on each other one way only: every reference in code (imports
 * and qualified names, not comments) goes to a package this table allows.
 */
public class PackageDependencyTest {

    /** Each package and the library packages its code may use. */
    private static final Map<String, Set<String>> ALLOWED =
            Map.of(
                    "internal", Set.of(),
                    "engine", Set.of("internal"),
                    "linalg", Set.of("internal"),
                    "tensor", Set.of("internal", "linalg"),
                    "decompose", Set.of("internal", "linalg", "tensor"),
                    "fit", Set.of("internal", "linalg", "tensor"),
                    "cost", Set.of("internal", "engine", "linalg", "tensor"),
                    "nn",
                            Set.of(
                                    "internal",
                                    "engine",
                                    "linalg",
                                    "tensor",
                                    "decompose",
                                    "fit",
                                    "cost"),
                    "factorize",
                            Set.of(
                                    "internal",
                                    "engine",
                                    "linalg",
                                    "tensor",
                                    "decompose",
                                    "fit",
                                    "cost",
                                    "nn"));

    private static final Pattern REFERENCE = Pattern.compile("\\borg\\.lowrank4j\\.([a-z]+)\\.");

    private static Path sources() {
        Path dir = Paths.get("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            for (String module : new String[] {".", "api"}) {
                Path candidate = d.resolve(module).resolve("src/main/java/org/lowrank4j");
                if (Files.isDirectory(candidate)) {
                    return candidate.normalize();
                }
            }
        }
        throw new AssertionError("the sources of the api module are not found from " + dir);
    }

    /** The code of a source file: comments, string, text-block and character literals blanked. */
    static String code(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The library packages a source file's code refers to. */
    static Set<String> references(String source) {
        Set<String> used = new TreeSet<>();
        Matcher m = REFERENCE.matcher(code(source));
        while (m.find()) {
            used.add(m.group(1));
        }
        return used;
    }

    @Test
    public void everyPackageIsInTheTable() throws IOException {
        Set<String> packages;
        try (Stream<Path> dirs = Files.list(sources())) {
            packages =
                    dirs.filter(Files::isDirectory)
                            .map(p -> p.getFileName().toString())
                            .collect(Collectors.toCollection(TreeSet::new));
        }
        Assert.assertEquals(packages, new TreeSet<>(ALLOWED.keySet()));
    }

    @Test
    public void dependenciesPointOneWay() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : ALLOWED.entrySet()) {
            String pkg = e.getKey();
            try (Stream<Path> files = Files.list(sources().resolve(pkg))) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    if (!f.toString().endsWith(".java")) {
                        continue;
                    }
                    String source = Files.readString(f, StandardCharsets.UTF_8);
                    for (String used : references(source)) {
                        if (!used.equals(pkg) && !e.getValue().contains(used)) {
                            violations.add(pkg + "/" + f.getFileName() + " uses " + used);
                        }
                    }
                }
            }
        }
        Assert.assertEquals(violations, List.of(), "references against the package order");
    }

    @Test
    public void theScanSeesImportsAndQualifiedNamesButNotComments() {
        String source =
                "package org.lowrank4j.cost;\n"
                        + "import org.lowrank4j.nn.Rank;\n"
                        + "/** see {@link org.lowrank4j.factorize.Factorizer} */\n"
                        + "// org.lowrank4j.fit.LowRankFit in a comment\n"
                        + "class A { Object o = new org.lowrank4j.decompose.Tucker(); "
                        + "String s = \"org.lowrank4j.rank.X\"; }\n";
        Assert.assertEquals(references(source), Set.of("nn", "decompose"));
    }
}
