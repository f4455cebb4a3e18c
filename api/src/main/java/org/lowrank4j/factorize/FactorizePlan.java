package org.lowrank4j.factorize;

import ai.djl.util.JsonUtils;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The structure of a factorized model: for every swapped layer, its path, the method and the
 * settings that rebuild the factorized block. {@link Factorizer#restore} applies it to a freshly
 * built model so that {@code Model.load} can read the saved parameters back.
 *
 * <p>It is saved as JSON, numbers as numbers:
 *
 * <pre>{@code
 * {"format": "lowrank4j-plan", "version": 2, "layers": [
 *   {"path": "01SequentialBlock/01Conv2d", "method": "low-rank",
 *    "settings": {"layer": "Conv2d", "filters": 16, "rank": 4, ...}}]}
 * }</pre>
 *
 * <p>Plans of version 1, which held every setting as a string, are read as well.
 */
public final class FactorizePlan {

    private static final String FORMAT = "lowrank4j-plan";
    private static final int VERSION = 2;

    /** The plan versions read: 1 held settings as strings only. */
    private static final List<Integer> READ_VERSIONS = List.of(1, 2);

    /** An integer setting, written as a JSON number (a decimal is, where Java writes it so). */
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,17})");

    /** The JSON writer of plans and reports: indented, nulls kept, text unescaped. */
    static final Gson GSON =
            JsonUtils.builder(true).serializeNulls().disableHtmlEscaping().create();

    /** The longest plan text read: far more than a model of thousands of layers needs. */
    public static final int MAX_CHARS = 16 * 1024 * 1024;

    /** The deepest JSON nesting read: a plan has three levels. */
    public static final int MAX_NESTING = 8;

    private final List<Entry> entries;

    private FactorizePlan(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
    }

    /**
     * Returns a plan.
     *
     * @param entries the swapped layers
     * @return the plan
     */
    public static FactorizePlan of(List<Entry> entries) {
        Objects.requireNonNull(entries, "entries must not be null");
        return new FactorizePlan(entries);
    }

    /**
     * Returns the swapped layers.
     *
     * @return the entries, in forward order
     */
    public List<Entry> getEntries() {
        return entries;
    }

    /**
     * Returns the plan as JSON (the current version, settings that are numbers written as numbers).
     *
     * @return the JSON text
     */
    public String toJson() {
        return GSON.toJson(toJsonTree()) + "\n";
    }

    /** Returns the plan as a JSON object. */
    JsonObject toJsonTree() {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        root.addProperty("version", VERSION);
        JsonArray layers = new JsonArray();
        for (Entry e : entries) {
            JsonObject layer = new JsonObject();
            layer.addProperty("path", e.path);
            layer.addProperty("method", e.method);
            JsonObject settings = new JsonObject();
            for (Map.Entry<String, String> kv : e.settings.entrySet()) {
                settings.add(kv.getKey(), settingValue(kv.getValue()));
            }
            layer.add("settings", settings);
            layers.add(layer);
        }
        root.add("layers", layers);
        return root;
    }

    /**
     * A setting as JSON: a number where the text is one as Java writes it (so that reading it back
     * gives the same text), else a string.
     */
    private static JsonPrimitive settingValue(String text) {
        if (INTEGER.matcher(text).matches()) {
            return new JsonPrimitive(Long.parseLong(text));
        }
        if (!text.isEmpty() && (Character.isDigit(text.charAt(0)) || text.charAt(0) == '-')) {
            try {
                double d = Double.parseDouble(text);
                if (Double.isFinite(d) && Double.toString(d).equals(text)) {
                    return new JsonPrimitive(d);
                }
            } catch (NumberFormatException e) {
                // a string
            }
        }
        return new JsonPrimitive(text);
    }

    /**
     * Reads a plan from JSON.
     *
     * @param json the JSON text written by {@link #toJson()}
     * @return the plan
     * @throws IllegalArgumentException if the text is not a plan
     */
    public static FactorizePlan fromJson(String json) {
        Objects.requireNonNull(json, "json must not be null");
        if (json.length() > MAX_CHARS) {
            throw new IllegalArgumentException(
                    "a plan of "
                            + json.length()
                            + " characters is not accepted; at most "
                            + MAX_CHARS
                            + " are");
        }
        JsonElement root = parse(json);
        if (!root.isJsonObject()
                || !new JsonPrimitive(FORMAT).equals(root.getAsJsonObject().get("format"))) {
            throw new IllegalArgumentException(
                    "the text is not a factorization plan; a JSON object with \"format\": \""
                            + FORMAT
                            + "\" is accepted");
        }
        JsonObject map = root.getAsJsonObject();
        JsonElement version = map.get("version");
        // numbers compare by value (1 and 1.0 match, 1.9 and the string "1" do not)
        boolean known = false;
        for (int v : READ_VERSIONS) {
            known |= new JsonPrimitive(v).equals(version);
        }
        if (!known) {
            throw new IllegalArgumentException(
                    "plan version "
                            + version
                            + " is not accepted; versions "
                            + READ_VERSIONS
                            + " are");
        }
        JsonElement layers = map.get("layers");
        if (layers == null || !layers.isJsonArray()) {
            throw new IllegalArgumentException(
                    "the plan has no \"layers\" list; a list of layers is accepted");
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (JsonElement o : layers.getAsJsonArray()) {
            JsonObject m = o.isJsonObject() ? o.getAsJsonObject() : null;
            JsonElement path = m == null ? null : m.get("path");
            JsonElement method = m == null ? null : m.get("method");
            JsonElement settings = m == null ? null : m.get("settings");
            if (!isString(path)
                    || !isString(method)
                    || settings == null
                    || !settings.isJsonObject()) {
                throw new IllegalArgumentException(
                        "plan layer "
                                + shortened(o)
                                + " is not accepted; an object with a string \"path\", a string"
                                + " \"method\" and a \"settings\" object is");
            }
            if (!paths.add(path.getAsString())) {
                throw new IllegalArgumentException(
                        "plan layer path '"
                                + path.getAsString()
                                + "' appears twice; each layer is accepted once");
            }
            Map<String, String> s = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> kv : settings.getAsJsonObject().entrySet()) {
                JsonElement v = kv.getValue();
                if (!v.isJsonPrimitive()) {
                    throw new IllegalArgumentException(
                            "setting '"
                                    + kv.getKey()
                                    + "' of plan layer '"
                                    + path.getAsString()
                                    + "' is "
                                    + shortened(v)
                                    + "; a string or a number is accepted");
                }
                s.put(kv.getKey(), v.getAsString());
            }
            entries.add(new Entry(path.getAsString(), method.getAsString(), s));
        }
        return new FactorizePlan(entries);
    }

    /** Parses JSON with Gson, refusing nesting deeper than a plan has and trailing text. */
    private static JsonElement parse(String json) {
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setNestingLimit(MAX_NESTING);
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException(
                        "the plan has text after its JSON value; one JSON object is accepted");
            }
            return root;
        } catch (JsonParseException | IOException e) {
            throw new IllegalArgumentException(
                    "the text is not valid JSON ("
                            + e.getMessage()
                            + "); a factorization plan, at most "
                            + MAX_NESTING
                            + " levels deep, is accepted",
                    e);
        }
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static String shortened(JsonElement e) {
        String text = String.valueOf(e);
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /**
     * Writes the plan to a file as JSON.
     *
     * @param file the file
     * @throws IOException if it cannot be written
     */
    public void save(Path file) throws IOException {
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }

    /**
     * Reads a plan from a JSON file.
     *
     * @param file the file
     * @return the plan
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if it is not a plan
     */
    public static FactorizePlan load(Path file) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        long size = Files.size(file);
        if (size > MAX_CHARS * 4L) { // UTF-8: at most 4 bytes a character
            throw new IllegalArgumentException(
                    "plan file "
                            + file
                            + " of "
                            + size
                            + " bytes is not accepted; a plan of at most "
                            + MAX_CHARS
                            + " characters is");
        }
        return fromJson(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return toJson();
    }

    /** One swapped layer. */
    public static final class Entry {

        private final String path;
        private final String method;
        private final Map<String, String> settings;

        /**
         * Creates an entry.
         *
         * @param path the layer's path
         * @param method the name of the {@link LayerMethod}
         * @param settings what the method needs to rebuild the block
         */
        public Entry(String path, String method, Map<String, String> settings) {
            this.path = path;
            this.method = method;
            this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        }

        /**
         * Returns the layer's path.
         *
         * @return the path
         */
        public String getPath() {
            return path;
        }

        /**
         * Returns the name of the method.
         *
         * @return the method name
         */
        public String getMethod() {
            return method;
        }

        /**
         * Returns the settings.
         *
         * @return the settings
         */
        public Map<String, String> getSettings() {
            return settings;
        }
    }
}
