package org.lowrank4j.docs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The imports a snippet needs: a page shows each snippet with the imports of its source file that
 * the snippet uses, so that the code compiles as shown once pasted into a class; every type the
 * snippet names must come from those imports, from {@code java.lang}, or from the snippet itself.
 */
final class SnippetImports {

    private static final Pattern IMPORT =
            Pattern.compile("^import\\s+(static\\s+)?([\\w.]+)\\s*;\\s*$", Pattern.MULTILINE);
    private static final Pattern COMMENT_OR_LITERAL =
            Pattern.compile(
                    "//[^\\n]*|/\\*.*?\\*/|\"\"\"(?:\\\\.|[^\\\\])*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\""
                            + "|'(?:\\\\.|[^'\\\\\\n])+'",
                    Pattern.DOTALL);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][\\w$]*");
    private static final Pattern DECLARED =
            Pattern.compile("\\b(?:class|interface|enum|record)\\s+([A-Z][\\w$]*)");

    private SnippetImports() {}

    /** The import statements of a source file, in their order (wildcards are refused). */
    static List<String> imports(String source) {
        List<String> imports = new ArrayList<>();
        for (String line : source.split("\n")) {
            if (line.startsWith("import ")) {
                Matcher m = IMPORT.matcher(line);
                if (!m.matches() || m.group(2).endsWith("*")) {
                    throw new IllegalArgumentException(
                            "'" + line + "': a snippet's source imports single names only");
                }
                imports.add(line.strip());
            }
        }
        return imports;
    }

    /** The name an import statement makes available: its last segment. */
    static String importedName(String importLine) {
        Matcher m = IMPORT.matcher(importLine);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an import statement: " + importLine);
        }
        String name = m.group(2);
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** The code without comments, string and character literals. */
    static String code(String snippet) {
        return COMMENT_OR_LITERAL.matcher(snippet).replaceAll(" ");
    }

    /**
     * The identifiers the code names on their own, that is not after a dot (a member or package).
     */
    static Set<String> unqualifiedNames(String snippet) {
        String code = code(snippet);
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(code);
        while (m.find()) {
            int before = m.start() - 1;
            while (before >= 0 && Character.isWhitespace(code.charAt(before))) {
                before--;
            }
            if (before < 0 || code.charAt(before) != '.') {
                names.add(m.group());
            }
        }
        return names;
    }

    /** The imports of {@code source} the snippet uses, in the order of the source file. */
    static List<String> needed(String source, String snippet) {
        Set<String> names = unqualifiedNames(snippet);
        List<String> needed = new ArrayList<>();
        for (String line : imports(source)) {
            if (names.contains(importedName(line))) {
                needed.add(line);
            }
        }
        return needed;
    }

    /**
     * The snippet as a page shows it: the imports it uses, a blank line, and the code; a snippet
     * that uses no import is shown as it is.
     */
    static String shown(String source, String snippet) {
        List<String> needed = needed(source, snippet);
        return needed.isEmpty() ? snippet : String.join("\n", needed) + "\n\n" + snippet;
    }

    /**
     * The type names (capitalised identifiers not after a dot) of the snippet that none of the
     * imports, {@code java.lang} or a declaration in the snippet provides: those a reader could not
     * compile.
     */
    static Set<String> unresolved(String snippet, List<String> imports) {
        Set<String> provided = new LinkedHashSet<>();
        for (String line : imports) {
            provided.add(importedName(line));
        }
        Matcher declared = DECLARED.matcher(code(snippet));
        while (declared.find()) {
            provided.add(declared.group(1));
        }
        Set<String> missing = new LinkedHashSet<>();
        for (String name : unqualifiedNames(snippet)) {
            if (Character.isUpperCase(name.charAt(0))
                    && !provided.contains(name)
                    && !inJavaLang(name)) {
                missing.add(name);
            }
        }
        return missing;
    }

    private static boolean inJavaLang(String name) {
        try {
            Class.forName("java.lang." + name, false, SnippetImports.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
