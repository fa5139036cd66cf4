package io.streamebm.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code key=value} configuration overrides the harnesses take on their command lines. */
public final class HarnessArgs {

    private HarnessArgs() {
    }

    /** The overrides {@code args[from..]}, each {@code key=value}, in order. */
    public static Map<String, String> overrides(String[] args, int from) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = from; i < args.length; i++) {
            put(out, args[i]);
        }
        return out;
    }

    /**
     * Adds one {@code key=value} override.
     *
     * @throws IllegalArgumentException when it has no {@code =}
     */
    public static void put(Map<String, String> overrides, String keyValue) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("expected key=value, got '" + keyValue + "'");
        }
        overrides.put(keyValue.substring(0, eq), keyValue.substring(eq + 1));
    }
}
