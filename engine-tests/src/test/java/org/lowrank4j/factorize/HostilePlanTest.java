package org.lowrank4j.factorize;

import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * Plans from files are validated before they are used: hostile or broken ones get a clear error.
 */
public class HostilePlanTest {

    private static final String LAYER =
            "{\"path\": \"01Conv2d\", \"method\": \"lowRank\", \"settings\": {\"rank\": \"4\"}}";

    private static String plan(String version, String layers) {
        return "{\"format\": \"lowrank4j-plan\", \"version\": "
                + version
                + ", \"layers\": ["
                + layers
                + "]}";
    }

    private static void refused(String json, String text) {
        IllegalArgumentException e =
                Assert.expectThrows(
                        IllegalArgumentException.class, () -> FactorizePlan.fromJson(json));
        Assert.assertTrue(
                e.getMessage().contains(text),
                "message '" + e.getMessage() + "' does not mention '" + text + "'");
    }

    @Test
    public void aValidPlanIsRead() {
        FactorizePlan p = FactorizePlan.fromJson(plan("1", LAYER));
        Assert.assertEquals(p.getEntries().size(), 1);
        Assert.assertEquals(FactorizePlan.fromJson(p.toJson()).toJson(), p.toJson());
    }

    @Test
    public void deepNestingIsRefusedWithoutOverflowingTheStack() {
        refused("[".repeat(200_000), "levels deep");
        refused(plan("1", "{\"a\": [[[[[[[[[[1]]]]]]]]]]}"), "levels deep");
    }

    @Test
    public void otherVersionsDuplicatesAndBadValuesAreRefused() {
        refused(plan("1.9", LAYER), "plan version 1.9");
        refused(plan("\"1\"", LAYER), "plan version \"1\"");
        refused(plan("2", LAYER), "version 1 is");
        refused(plan("1", LAYER + ", " + LAYER), "'01Conv2d' appears twice");
        refused(
                plan(
                        "1",
                        "{\"path\": \"01Conv2d\", \"method\": \"lowRank\", \"settings\":"
                                + " {\"rank\": [4]}}"),
                "setting 'rank' of plan layer '01Conv2d'");
        refused(plan("1", "{\"path\": 3, \"method\": \"lowRank\", \"settings\": {}}"), "string");
        refused(plan("1", LAYER) + " trailing", "not valid JSON");
        refused("{\"format\": \"lowrank4j-plan\"", "not valid JSON");
        refused("{\"format\": \"other\"}", "not a factorization plan");
        refused("x".repeat(FactorizePlan.MAX_CHARS + 1), "characters is not accepted");
    }
}
