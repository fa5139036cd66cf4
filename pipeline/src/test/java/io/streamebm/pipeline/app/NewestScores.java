package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What {@code score} wrote with its newest snapshot: how many records that version scored and how
 * many it flagged as anomalies. A scorer may start on an older snapshot before it has read the
 * newest, so only the newest version's scores count. Every score is checked for a numeric
 * percentile and a boolean anomaly flag on the way.
 *
 * @param version the newest model version among the scores
 * @param counted records that version scored
 * @param flagged of those, the anomalies
 */
record NewestScores(long version, int counted, int flagged) {

    private static final Pattern SCORE = Pattern.compile(
            "\"modelVersion\":(\\d+),\"percentile\":([^,]+),\"anomaly\":([a-z]+)}");

    /** Reads the scores of {@code scored}. */
    static NewestScores of(List<ConsumerRecord<byte[], byte[]>> scored) {
        long newest = 0;
        for (ConsumerRecord<byte[], byte[]> r : scored) {
            newest = Math.max(newest, Long.parseLong(match(r).group(1)));
        }
        int counted = 0;
        int flagged = 0;
        for (ConsumerRecord<byte[], byte[]> r : scored) {
            Matcher m = match(r);
            assertTrue(m.group(2).matches("[01]\\.[0-9]+(E-?[0-9]+)?|[01]"), "numeric percentile: " + m.group());
            assertTrue(m.group(3).equals("true") || m.group(3).equals("false"), "boolean anomaly: " + m.group());
            if (Long.parseLong(m.group(1)) == newest) {
                counted++;
                flagged += m.group(3).equals("true") ? 1 : 0;
            }
        }
        return new NewestScores(newest, counted, flagged);
    }

    /** The share of the newest version's scores that are anomalies. */
    double share() {
        return flagged / (double) counted;
    }

    private static Matcher match(ConsumerRecord<byte[], byte[]> r) {
        String json = new String(r.value(), StandardCharsets.UTF_8);
        Matcher m = SCORE.matcher(json);
        assertTrue(m.find(), json);
        return m;
    }
}
