package io.streamebm.pipeline.app;

import java.util.Locale;

/**
 * The JSON value of one score record:
 * {@code {"energy":E,"topic":T,"partition":P,"offset":O,"modelVersion":V}}.
 *
 * <p>JSON has no NaN or infinity, and {@code "energy":NaN} breaks every reader of the score topic.
 * An energy that is not finite (a sample far outside anything the model has seen can overflow it)
 * is therefore written as {@code "energy":null} with an added field {@code "nonFinite"} holding
 * {@code "NaN"}, {@code "Infinity"} or {@code "-Infinity"}. Finite energies are written as before,
 * without the extra field.
 */
public final class ScoreJson {

    private ScoreJson() {
    }

    /** The score record of one input record. */
    public static String of(double energy, String topic, int partition, long offset, long modelVersion) {
        boolean finite = Double.isFinite(energy);
        // Topic names are limited to [a-zA-Z0-9._-] by Kafka: nothing in them needs escaping.
        String json = String.format(Locale.ROOT,
                "{\"energy\":%s,\"topic\":\"%s\",\"partition\":%d,\"offset\":%d,\"modelVersion\":%d",
                finite ? Double.toString(energy) : "null", topic, partition, offset, modelVersion);
        return finite ? json + "}" : json + ",\"nonFinite\":\"" + energy + "\"}";
    }
}
