package io.streamebm.monitoring;

import java.util.Locale;
import java.util.Objects;

/**
 * Liveness and readiness of a trainer at one instant, as served by {@code /health}.
 *
 * @param live                 the process answers (always true when this is computed at all)
 * @param ready                the broker is reachable and training is making progress
 * @param broker               the latest broker check
 * @param training             the training progress verdict
 * @param stepsApplied         updates applied so far
 * @param secondsSinceLastStep seconds since the latest applied update, NaN before the first one
 * @param secondsSinceStart    seconds since monitoring started
 */
public record HealthStatus(boolean live, boolean ready, BrokerStatus broker, Training training,
                           long stepsApplied, double secondsSinceLastStep, double secondsSinceStart) {

    /** Training progress as far as readiness is concerned. */
    public enum Training {
        /** No update yet, still within the start-up grace period. */
        STARTING,
        /** An update was applied within the stall timeout. */
        PROGRESSING,
        /** No update within the stall timeout (or none at all after the grace period). */
        STALLED,
        /**
         * The latest checkpoint attempt failed: updates may go on, but nothing new is durable or
         * committed, and a crash now would lose them to a replay.
         */
        CHECKPOINT_FAILING
    }

    /** Validates the fields. */
    public HealthStatus {
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(training, "training");
    }

    /** @return the HTTP status {@code /health} answers with: 200 when ready, 503 otherwise */
    public int httpStatus() {
        return ready ? 200 : 503;
    }

    /**
     * Renders this status as a small JSON object. Hand-written so that monitoring needs no JSON
     * library at run time; every string goes through {@link #quote(String)}.
     *
     * @return the JSON text
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"status\":").append(quote(ready ? "UP" : "DOWN"))
                .append(",\"live\":").append(live)
                .append(",\"ready\":").append(ready)
                .append(",\"broker\":{\"reachable\":").append(broker.reachable())
                .append(",\"nodes\":").append(broker.nodes())
                .append(",\"clusterId\":").append(quote(broker.clusterId()))
                .append(",\"detail\":").append(quote(broker.detail()))
                .append("},\"training\":{\"state\":").append(quote(training.name()))
                .append(",\"stepsApplied\":").append(stepsApplied)
                .append(",\"secondsSinceLastStep\":").append(number(secondsSinceLastStep))
                .append(",\"secondsSinceStart\":").append(number(secondsSinceStart))
                .append("}}");
        return b.toString();
    }

    private static String number(double d) {
        // JSON has no NaN; null is the conventional "no value".
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
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
