package org.lowrank4j.docs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.testng.Assert;
import org.testng.annotations.Test;
import org.w3c.dom.Element;

/**
 * What a release publishes is consistent: one version in every POM, the CHANGELOG and the docs; the
 * BOM (which has no parent) at the parent's DJL version; the metadata a repository asks for in the
 * parent, where the modules inherit it.
 */
public class PublishingTest {

    private static final List<String> MODULES = List.of("api", "examples", "engine-tests");

    @Test
    public void oneVersionEverywhere() throws Exception {
        Path root = Poms.root();
        Element parent = Poms.read(root.resolve("pom.xml"));
        String version = Poms.text(parent, "version");
        for (String module : MODULES) {
            Element pom = Poms.read(root.resolve(module).resolve("pom.xml"));
            Assert.assertEquals(
                    Poms.text(Poms.child(pom, "parent"), "version"), version, module + "'s parent");
        }
        Element bom = Poms.read(root.resolve("bom/pom.xml"));
        Assert.assertEquals(Poms.text(bom, "version"), version, "the BOM's version");
        Assert.assertEquals(
                Poms.text(Poms.child(bom, "properties"), "djl.version"),
                Poms.text(Poms.child(parent, "properties"), "djl.version"),
                "the BOM imports the DJL version the build uses");
        String changelog = Files.readString(root.resolve("CHANGELOG.md"), StandardCharsets.UTF_8);
        Assert.assertTrue(
                changelog.contains("## [" + version + "]"),
                "CHANGELOG.md has a section for " + version);
        String gettingStarted =
                Files.readString(root.resolve("docs/getting-started.md"), StandardCharsets.UTF_8);
        Assert.assertTrue(
                gettingStarted.contains("<version>" + version + "</version>"),
                "getting-started.md shows the version " + version);
    }

    @Test
    public void metadataForARepository() throws Exception {
        Path root = Poms.root();
        for (Path path : List.of(root.resolve("pom.xml"), root.resolve("bom/pom.xml"))) {
            Element pom = Poms.read(path);
            for (String element : List.of("name", "description", "url")) {
                Assert.assertNotNull(Poms.text(pom, element), "<" + element + "> in " + path);
            }
            Element license = Poms.child(Poms.child(pom, "licenses"), "license");
            Assert.assertEquals(Poms.text(license, "name"), "The Apache License, Version 2.0");
            Element scm = Poms.child(pom, "scm");
            Assert.assertEquals(
                    Poms.text(scm, "connection"),
                    "scm:git:https://github.com/lowrank4j/lowrank4j.git",
                    "SCM connection in " + path);
            Element developer = Poms.child(Poms.child(pom, "developers"), "developer");
            Assert.assertEquals(Poms.text(developer, "name"), "The Lowrank4J Authors");
        }
        Assert.assertTrue(Files.exists(root.resolve("LICENSE")), "LICENSE");
        Assert.assertTrue(
                Files.readString(root.resolve("NOTICE"), StandardCharsets.UTF_8)
                        .contains("Copyright 2026 The Lowrank4J Authors"),
                "NOTICE with the copyright line");
    }

    @Test
    public void everyJarOfTheLibraryCarriesTheLicenceAndTheNotice() throws Exception {
        Path root = Poms.root();
        String version = Poms.text(Poms.read(root.resolve("pom.xml")), "version");
        for (String suffix : List.of("", "-sources", "-javadoc")) {
            Path jar = root.resolve("api/target/lowrank4j-api-" + version + suffix + ".jar");
            Assert.assertTrue(
                    Files.isRegularFile(jar),
                    jar + " is missing: the api module is packaged first");
            try (JarFile file = new JarFile(jar.toFile())) {
                for (String entry : List.of("META-INF/LICENSE", "META-INF/NOTICE")) {
                    Assert.assertNotNull(file.getEntry(entry), entry + " in " + jar.getFileName());
                }
            }
        }
    }
}
