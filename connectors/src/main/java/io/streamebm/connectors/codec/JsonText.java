package io.streamebm.connectors.codec;

import java.util.Locale;

/**
 * JSON text for the small records this project writes by hand (dead letters, events), where a JSON
 * library would be the only reason to put one on the classpath.
 */
public final class JsonText {

    private JsonText() {
    }

    /** {@code s} as a JSON string literal, with its quotes: {@code "}, {@code \\} and control characters escaped. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
