package io.streamebm.connectors;

import java.time.Duration;
import java.util.Map;

/** Shared fail-fast checks of the options builders. */
final class Options {
    private Options() {
    }

    static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive Duration (e.g. Duration.ofMillis(100)), got " + d);
        }
    }

    static void requireNonNegative(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be a Duration >= 0 (e.g. Duration.ofSeconds(5)), got " + d);
        }
    }

    static void checkIntProperty(Map<String, Object> props, String key, int min) {
        Object v = props.get(key);
        if (v == null) {
            return;
        }
        long n;
        try {
            n = v instanceof Number num ? num.longValue() : Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer >= " + min + ", got \"" + v + "\"");
        }
        if (n < min || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " must be an integer in " + min + ".." + Integer.MAX_VALUE + ", got " + v);
        }
    }
}
