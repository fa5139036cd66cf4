package io.streamebm.monitoring;

import java.util.Objects;

/** The one check of the label values (model, loss, reasons) that the meters of this module carry. */
final class MeterLabels {

    private MeterLabels() {
    }

    /** {@code value} stripped; it must not be null or blank, {@code what} names it in the error. */
    static String require(String value, String what) {
        Objects.requireNonNull(value, what);
        String trimmed = value.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return trimmed;
    }

    /** The {@code model} and {@code loss} tags every StreamEBM meter carries, each checked by {@link #require}. */
    static io.micrometer.core.instrument.Tags modelAndLoss(String model, String loss) {
        return io.micrometer.core.instrument.Tags.of(TrainingMetrics.TAG_MODEL, require(model, "model"),
                TrainingMetrics.TAG_LOSS, require(loss, "loss"));
    }
}
