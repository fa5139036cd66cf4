package io.streamebm.connectors;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Shared fail-fast checks of the options builders, and how both options classes print Kafka properties. */
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

    /**
     * @param properties Kafka client properties
     * @return a copy to print, in the same order, with every value whose key looks secret (passwords, JAAS
     *         configurations, secrets, tokens) replaced by {@code [hidden]}
     */
    static Map<String, Object> withSecretsHidden(Map<String, Object> properties) {
        Map<String, Object> shown = new LinkedHashMap<>();
        properties.forEach((k, v) -> shown.put(k, isSecret(k) ? "[hidden]" : v));
        return shown;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token");
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
