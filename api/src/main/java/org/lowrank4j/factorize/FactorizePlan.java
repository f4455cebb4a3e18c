package org.lowrank4j.factorize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lowrank4j.internal.Json;

/**
 * The structure of a factorized model: for every swapped layer, its path, the method and the
 * settings that rebuild the factorized block. {@link Factorizer#restore} applies it to a freshly
 * built model so that {@code Model.load} can read the saved parameters back.
 *
 * <p>It is saved as JSON:
 *
 * <pre>{@code
 * {"format": "lowrank4j-plan", "version": 1, "layers": [
 *   {"path": "01SequentialBlock/01Conv2d", "method": "low-rank",
 *    "settings": {"layer": "Conv2d", "filters": "16", "rank": "4", ...}}]}
 * }</pre>
 */
public final class FactorizePlan {

    private static final String FORMAT = "lowrank4j-plan";
    private static final int VERSION = 1;

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
     * Returns the plan as JSON.
     *
     * @return the JSON text
     */
    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\"format\": ").append(Json.quote(FORMAT));
        b.append(", \"version\": ").append(VERSION).append(", \"layers\": [");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            b.append(i == 0 ? "\n  " : ",\n  ");
            b.append("{\"path\": ").append(Json.quote(e.path));
            b.append(", \"method\": ").append(Json.quote(e.method));
            b.append(", \"settings\": {");
            int j = 0;
            for (Map.Entry<String, String> s : e.settings.entrySet()) {
                b.append(j++ == 0 ? "" : ", ");
                b.append(Json.quote(s.getKey())).append(": ").append(Json.quote(s.getValue()));
            }
            b.append("}}");
        }
        return b.append(entries.isEmpty() ? "]}\n" : "\n]}\n").toString();
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
        Object root = Json.parse(json);
        if (!(root instanceof Map) || !FORMAT.equals(((Map<?, ?>) root).get("format"))) {
            throw new IllegalArgumentException(
                    "the text is not a factorization plan; a JSON object with \"format\": \""
                            + FORMAT
                            + "\" is accepted");
        }
        Map<?, ?> map = (Map<?, ?>) root;
        Object version = map.get("version");
        if (!(version instanceof Double) || ((Double) version).intValue() != VERSION) {
            throw new IllegalArgumentException(
                    "plan version " + version + " is not accepted; version " + VERSION + " is");
        }
        Object layers = map.get("layers");
        if (!(layers instanceof List)) {
            throw new IllegalArgumentException(
                    "the plan has no \"layers\" list; a list of layers is accepted");
        }
        List<Entry> entries = new ArrayList<>();
        for (Object o : (List<?>) layers) {
            if (!(o instanceof Map)) {
                throw new IllegalArgumentException(
                        "plan layer " + o + " is not accepted; an object is");
            }
            Map<?, ?> m = (Map<?, ?>) o;
            Object path = m.get("path");
            Object method = m.get("method");
            Object settings = m.get("settings");
            if (!(path instanceof String)
                    || !(method instanceof String)
                    || !(settings instanceof Map)) {
                throw new IllegalArgumentException(
                        "plan layer "
                                + o
                                + " is not accepted; an object with a string \"path\", a string"
                                + " \"method\" and a \"settings\" object is");
            }
            Map<String, String> s = new LinkedHashMap<>();
            for (Map.Entry<?, ?> kv : ((Map<?, ?>) settings).entrySet()) {
                s.put(String.valueOf(kv.getKey()), String.valueOf(kv.getValue()));
            }
            entries.add(new Entry((String) path, (String) method, s));
        }
        return new FactorizePlan(entries);
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
