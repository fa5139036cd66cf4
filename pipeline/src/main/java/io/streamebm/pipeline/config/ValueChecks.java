package io.streamebm.pipeline.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * The value checks of {@link PipelineConfig}'s keys: each returns why a trimmed value is wrong, or
 * null when it is valid. Kept apart from the configuration itself so that the table of keys reads as
 * one list, and a new rule has one obvious place to go.
 */
final class ValueChecks {

    private ValueChecks() {
    }

    /**
     * The one validator of true/false settings; {@link PipelineConfig#bool} recognises those settings by it.
     */
    static final Function<String, String> FLAG =
            v -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false") ? null : "must be true or false";

    static Function<String, String> flag() {
        return FLAG;
    }

    static Function<String, String> any() {
        return v -> null;
    }

    /** Empty (missing: the commands that need a cluster say so) or HOST:PORT[,HOST:PORT...]. */
    static Function<String, String> hostPorts() {
        String rule = "must be HOST:PORT[,HOST:PORT...] with a port in [1, 65535]";
        return v -> {
            if (v.isEmpty()) {
                return null;
            }
            for (String address : v.split(",", -1)) {
                String a = address.trim();
                int colon = a.lastIndexOf(':');
                if (colon <= 0) {
                    return rule;
                }
                try {
                    int port = Integer.parseInt(a.substring(colon + 1));
                    if (port < 1 || port > 65535) {
                        return rule;
                    }
                } catch (NumberFormatException e) {
                    return rule;
                }
            }
            return null;
        };
    }

    /** Empty, or a name Kafka accepts for a topic. */
    static Function<String, String> topicName() {
        return v -> v.isEmpty() || (v.length() <= 249 && v.matches("[a-zA-Z0-9._-]+") && !v.equals(".") && !v.equals(".."))
                ? null : "must be empty or a topic name of up to 249 letters, digits, '.', '_' and '-'";
    }

    static Function<String, String> nonEmpty() {
        return v -> v.isEmpty() ? "must not be empty" : null;
    }

    static Function<String, String> positiveInt() {
        return v -> {
            try {
                return Integer.parseInt(v) > 0 ? null : "must be a positive integer";
            } catch (NumberFormatException e) {
                return "must be a positive integer";
            }
        };
    }

    static Function<String, String> nonNegativeInt() {
        return s -> {
            try {
                return Integer.parseInt(s) >= 0 ? null : "must be an integer >= 0";
            } catch (NumberFormatException e) {
                return "must be an integer >= 0";
            }
        };
    }

    static Function<String, String> intAtLeast(int min) {
        return s -> {
            try {
                return Integer.parseInt(s) >= min ? null : "must be an integer >= " + min;
            } catch (NumberFormatException e) {
                return "must be an integer >= " + min;
            }
        };
    }

    static Function<String, String> atLeastTwo() {
        return s -> {
            try {
                return Integer.parseInt(s) >= 2 ? null : "must be an integer >= 2";
            } catch (NumberFormatException e) {
                return "must be an integer >= 2";
            }
        };
    }

    static Function<String, String> port() {
        return v -> {
            try {
                int p = Integer.parseInt(v);
                return p >= 0 && p <= 65535 ? null : "must be a port in [0, 65535]";
            } catch (NumberFormatException e) {
                return "must be a port in [0, 65535]";
            }
        };
    }

    static Function<String, String> anyLong() {
        return v -> {
            try {
                Long.parseLong(v);
                return null;
            } catch (NumberFormatException e) {
                return "must be an integer";
            }
        };
    }

    static Function<String, String> number(java.util.function.DoublePredicate ok, String rule) {
        return v -> {
            try {
                double d = Double.parseDouble(v);
                return Double.isFinite(d) && ok.test(d) ? null : "must be " + rule;
            } catch (NumberFormatException e) {
                return "must be " + rule;
            }
        };
    }

    /** {@code auto}, or a value {@code check} accepts. */
    static Function<String, String> autoOr(Function<String, String> check) {
        return v -> {
            if (v.equalsIgnoreCase("auto")) {
                return null;
            }
            String problem = check.apply(v);
            return problem == null ? null : problem + ", or auto";
        };
    }

    static Function<String, String> positive() {
        return number(d -> d > 0, "a number > 0");
    }

    static Function<String, String> nonNegative() {
        return number(d -> d >= 0, "a number >= 0");
    }

    static Function<String, String> probability() {
        return number(d -> d >= 0 && d <= 1, "a probability in [0, 1]");
    }

    static Function<String, String> unitInterval() {
        return number(d -> d >= 0 && d < 1, "a number in [0, 1)");
    }

    static Function<String, String> openUnitInterval() {
        return number(d -> d > 0 && d < 1, "a number in (0, 1)");
    }

    /** Largest MLP accepted: 50 million parameters (200 MB of float32, before optimizer state). */
    static final long MAX_MODEL_PARAMETERS = 50_000_000L;

    /**
     * Why an MLP of these widths cannot be built here, or null. Checked before anything allocates:
     * a model of two 10^6-wide layers used to die in native code ({@code bad_alloc}) with exit 1.
     */
    static String modelSizeProblem(String dim, String hidden) {
        long in = Long.parseLong(dim);
        long params = 0;
        for (String w : hidden.split(",")) {
            long out = Long.parseLong(w.trim());
            params += in * out + out;
            in = out;
        }
        params += in + 1;
        return params <= MAX_MODEL_PARAMETERS ? null : String.format(Locale.ROOT,
                "the MLP would have %,d parameters, more than the %,d this trainer accepts; use narrower layers",
                params, MAX_MODEL_PARAMETERS);
    }

    static Function<String, String> widths() {
        return v -> {
            try {
                for (String s : v.split(",")) {
                    if (Integer.parseInt(s.trim()) <= 0) {
                        return "must be positive integers separated by commas, like 128,128";
                    }
                }
                return null;
            } catch (NumberFormatException e) {
                return "must be positive integers separated by commas, like 128,128";
            }
        };
    }

    static Function<String, String> duration() {
        return v -> {
            try {
                Duration d = parseDuration(v);
                return d.isNegative() || d.isZero() ? "must be a positive duration" : null;
            } catch (RuntimeException e) {
                return "must be a duration such as PT0.2S, 200ms, 5s or 1m";
            }
        };
    }

    /** Parses ISO-8601 ({@code PT0.2S}) or a number with a unit ({@code 200ms}, {@code 5s}, {@code 1m}). */
    static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt") || s.startsWith("p")) {
            return Duration.parse(v.trim().toUpperCase(Locale.ROOT));
        }
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
        }
        if (s.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 1000));
        }
        if (s.endsWith("m")) {
            return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).trim()) * 60);
        }
        throw new IllegalArgumentException("not a duration: " + v);
    }

}
