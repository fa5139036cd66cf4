package io.streamebm.pipeline.drift;

import io.streamebm.connectors.codec.JsonText;

import io.streamebm.pipeline.config.Choices;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One detected drift, as the trainer publishes it on {@code drift.events-topic} and logs it.
 *
 * <p>JSON, one object per event (fields may be added, never removed or renamed):
 * <pre>{@code
 * {"event":"drift","model":"default","step":1200,"records":307200,"time":"2026-12-03T10:15:30.123Z",
 *  "meanBefore":-1.02,"meanAfter":6.41,"change":7.43,"recordsBefore":198656,"recordsAfter":544,
 *  "detector":"adwin(delta=0.002, max-window=100000)","reaction":"raise-lr"}
 * }</pre>
 * The means are of the energies of arriving records under the model before it trained on them;
 * {@code records} counts the records the model had seen when the drift was found.
 *
 * @param model    the model name
 * @param step     the trainer's step when the drift was found
 * @param records  records the model had counted then
 * @param time     when it was found
 * @param drift    the change, as the detector measured it
 * @param detector the detector and its parameters ({@link DriftDetector#describe()})
 * @param reaction what the trainer does about it
 */
public record DriftEvent(String model, long step, long records, Instant time, Drift drift, String detector,
        DriftReaction reaction) {

    /** Checks that every field is there. */
    public DriftEvent {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(drift, "drift");
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(reaction, "reaction");
    }

    /** The event as the JSON object above. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"event\":\"drift\",\"model\":%s,\"step\":%d,\"records\":%d,\"time\":\"%s\","
                + "\"meanBefore\":%s,\"meanAfter\":%s,\"change\":%s,\"recordsBefore\":%d,\"recordsAfter\":%d,"
                + "\"detector\":%s,\"reaction\":\"%s\"}",
                JsonText.quote(model), step, records, time, number(drift.meanBefore()), number(drift.meanAfter()),
                number(drift.change()), drift.recordsBefore(), drift.recordsAfter(), JsonText.quote(detector),
                Choices.nameOf(reaction));
    }

    /**
     * The log line: where the drift was found and how large it is, e.g. {@code drift at step 1200
     * (307200 records): mean energy -1.0200 -> 6.4100 (+7.4300), 198656 records before, 544 after;
     * adwin(delta=0.002, max-window=100000); reaction raise-lr}.
     */
    public String logLine() {
        return String.format(Locale.ROOT, "drift at step %d (%d records): mean energy %.4f -> %.4f (%+.4f), %d records"
                + " before, %d after; %s; reaction %s", step, records, drift.meanBefore(), drift.meanAfter(),
                drift.change(), drift.recordsBefore(), drift.recordsAfter(), detector, Choices.nameOf(reaction));
    }

    /** A finite number as JSON; the detector only reports means of finite values. */
    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /** A JSON string: model names are free text. */
}
