package org.lowrank4j.factorize;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.lowrank4j.tensor.Factorization;
import org.lowrank4j.tensor.Rank;
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
    public void settingsAreWrittenAsNumbersAndPlansOfVersion1AreStillRead() {
        String v1 =
                plan(
                        "1",
                        "{\"path\": \"01Conv2d\", \"method\": \"low-rank\", \"settings\":"
                                + " {\"layer\": \"Conv2d\", \"rank\": \"4\", \"scale\":"
                                + " \"0.5\", \"ranks\": \"4,4\", \"padded\": \"007\"}}");
        FactorizePlan old = FactorizePlan.fromJson(v1);
        JsonObject written = JsonParser.parseString(old.toJson()).getAsJsonObject();
        Assert.assertEquals(written.get("version").getAsInt(), 2);
        JsonObject settings =
                written.getAsJsonArray("layers")
                        .get(0)
                        .getAsJsonObject()
                        .getAsJsonObject("settings");
        Assert.assertTrue(settings.getAsJsonPrimitive("rank").isNumber(), settings.toString());
        Assert.assertEquals(settings.get("rank").getAsInt(), 4);
        Assert.assertTrue(settings.getAsJsonPrimitive("scale").isNumber(), settings.toString());
        for (String text : new String[] {"layer", "ranks", "padded"}) {
            Assert.assertTrue(settings.getAsJsonPrimitive(text).isString(), text);
        }
        // the settings read back are the very strings of the version-1 plan
        FactorizePlan again = FactorizePlan.fromJson(old.toJson());
        Assert.assertEquals(
                again.getEntries().get(0).getSettings(), old.getEntries().get(0).getSettings());
        Assert.assertEquals(old.getEntries().get(0).getSettings().get("padded"), "007");
        Assert.assertEquals(old.getEntries().get(0).getSettings().get("scale"), "0.5");
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
        refused(plan("3", LAYER), "versions [1, 2] are");
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

    @Test
    public void ranksNoLayerCanRealiseAreRefusedAtRestore() {
        for (LayerMethod method :
                List.of(
                        LayerMethods.lowRank(),
                        LayerMethods.forConv(Factorization.CP),
                        LayerMethods.forConv(Factorization.TUCKER))) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Block net = Nets.resnet();
                net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 8, 8));
                FactorizeReport report =
                        Factorizer.builder()
                                .setPolicy(
                                        FactorizePolicy.builder()
                                                .setRank(Rank.fraction(0.5))
                                                .optConvMethod(method)
                                                .optOnlyIfCheaper(false)
                                                .build())
                                .build()
                                .factorize(net);
                String json = report.getPlan().toJson();
                for (String huge : List.of("2000000000", "99999999999")) {
                    String hostile =
                            json.replaceFirst(
                                    "\"rank\": (\"[0-9,]+\"|[0-9]+)", "\"rank\": " + huge);
                    Assert.assertNotEquals(hostile, json, method.getName());
                    Block fresh = Nets.resnet();
                    String before = Factorizer.plan(fresh).toJson();
                    IllegalArgumentException e =
                            Assert.expectThrows(
                                    IllegalArgumentException.class,
                                    () ->
                                            Factorizer.restore(
                                                    fresh, FactorizePlan.fromJson(hostile)));
                    Assert.assertTrue(
                            e.getMessage().contains(huge),
                            method.getName() + ": " + e.getMessage());
                    Assert.assertEquals(Factorizer.plan(fresh).toJson(), before, "block changed");
                }
            }
        }
    }
}
