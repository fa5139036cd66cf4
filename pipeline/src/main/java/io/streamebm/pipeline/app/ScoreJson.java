package io.streamebm.pipeline.app;

import java.util.Locale;

/**
 * The JSON value of one score record:
 * {@code {"energy":E,"topic":T,"partition":P,"offset":O,"modelVersion":V,"percentile":Q,"anomaly":A}}.
 *
 * <p>{@code percentile} is where the energy ranks among the recent training energies of the
 * snapshot's model, in [0, 1] (the share of those records whose energy is at most this one), and
 * {@code anomaly} is {@code percentile >= scoring.anomaly-percentile}. Both are {@code null} when
 * the snapshot carries no calibration (a trainer from before calibration wrote it) or the energy is
 * NaN: a reader sees the same keys in every record and can tell "not calibrated" from "normal".
 * They were added after the other fields; readers that predate them keep working.
 *
 * <p>JSON has no NaN or infinity, and {@code "energy":NaN} breaks every reader of the score topic.
 * An energy that is not finite (a sample far outside anything the model has seen can overflow it)
 * is therefore written as {@code "energy":null} with an added field {@code "nonFinite"} holding
 * {@code "NaN"}, {@code "Infinity"} or {@code "-Infinity"}, before the percentile. An infinite
 * energy still ranks: above every training energy (percentile 1, an anomaly) or below them all.
 */
public final class ScoreJson {

    private ScoreJson() {
    }

    /**
     * The score record of one input record.
     *
     * @param percentile        the energy's rank among recent training energies, NaN when unknown
     * @param anomalyPercentile the percentile from which a record is an anomaly
     */
    public static String of(double energy, String topic, int partition, long offset, long modelVersion,
            double percentile, double anomalyPercentile) {
        boolean finite = Double.isFinite(energy);
        // Topic names are limited to [a-zA-Z0-9._-] by Kafka: nothing in them needs escaping.
        StringBuilder json = new StringBuilder(160).append(String.format(Locale.ROOT,
                "{\"energy\":%s,\"topic\":\"%s\",\"partition\":%d,\"offset\":%d,\"modelVersion\":%d",
                finite ? Double.toString(energy) : "null", topic, partition, offset, modelVersion));
        if (!finite) {
            json.append(",\"nonFinite\":\"").append(energy).append('"');
        }
        if (Double.isNaN(percentile)) {
            json.append(",\"percentile\":null,\"anomaly\":null}");
        } else {
            json.append(",\"percentile\":").append(percentile).append(",\"anomaly\":")
                    .append(percentile >= anomalyPercentile).append('}');
        }
        return json.toString();
    }
}
