package org.lowrank4j.internal;

/**
 * JSON text for the files this library writes (plans and reports): quoted strings and numbers.
 * Reading goes through Gson, which DJL ships.
 */
public final class Json {

    private Json() {}

    /**
     * Returns a string as a quoted JSON string.
     *
     * @param s the string
     * @return the quoted string
     */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    /**
     * Returns a number as JSON: {@code null} for NaN and infinities, which JSON cannot hold.
     *
     * @param v the number
     * @return the JSON text
     */
    public static String number(double v) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        return String.valueOf(v);
    }
}
