package org.lowrank4j.docs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.testng.Assert;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Reading the project's POMs (and the first project's) for the tests of what they publish. */
final class Poms {

    private Poms() {}

    /** The project root: the nearest directory above the working directory with a README. */
    static Path root() {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("README.md"))) {
            dir = dir.getParent();
        }
        Assert.assertNotNull(dir, "project root with README.md not found");
        return dir;
    }

    /** The root element of a POM. */
    static Element read(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
    }

    /** The child elements of {@code parent} with that name. */
    static List<Element> children(Element parent, String name) {
        List<Element> children = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && ((Element) n).getTagName().equals(name)) {
                children.add((Element) n);
            }
        }
        return children;
    }

    /** The one child element of {@code parent} with that name. */
    static Element child(Element parent, String name) {
        List<Element> children = children(parent, name);
        Assert.assertEquals(
                children.size(), 1, "one <" + name + "> in <" + parent.getTagName() + ">");
        return children.get(0);
    }

    /** The trimmed text of the one child element with that name, or null if there is none. */
    static String text(Element parent, String name) {
        List<Element> children = children(parent, name);
        return children.isEmpty() ? null : children.get(0).getTextContent().trim();
    }
}
