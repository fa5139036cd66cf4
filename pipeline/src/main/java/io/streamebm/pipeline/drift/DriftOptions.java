package io.streamebm.pipeline.drift;

import io.streamebm.pipeline.config.PipelineConfig;
import java.util.Objects;

/**
 * The drift settings of a trainer, read once from the configuration ({@code drift.*}, validated
 * there).
 *
 * @param delta         ADWIN's confidence ({@code drift.delta}): a smaller one means fewer false
 *                      alarms and a later detection
 * @param maxWindow     the most recent records ADWIN compares ({@code drift.max-window})
 * @param reaction      what the trainer does on a drift ({@code drift.reaction})
 * @param raiseLrFactor learning-rate factor of {@link DriftReaction#RAISE_LR}, above 1
 * @param raiseLrSteps  updates the raised rate lasts
 * @param eventsTopic   where drift events go ({@code drift.events-topic}; empty in the
 *                      configuration means {@code <model.name>.events})
 */
public record DriftOptions(double delta, long maxWindow, DriftReaction reaction, double raiseLrFactor,
        int raiseLrSteps, String eventsTopic) {

    /** Suffix of the default events topic, after the model name. */
    public static final String EVENTS_SUFFIX = ".events";

    /** Checks what the configuration cannot: that the values fit together. */
    public DriftOptions {
        Objects.requireNonNull(reaction, "reaction");
        if (eventsTopic == null || eventsTopic.isEmpty()) {
            throw new IllegalArgumentException("eventsTopic must be named");
        }
        if (!(raiseLrFactor > 1) || raiseLrSteps < 1) {
            throw new IllegalArgumentException("raise-lr needs a factor > 1 and >= 1 step, got " + raiseLrFactor
                    + " and " + raiseLrSteps);
        }
    }

    /** The options of a validated configuration. */
    public static DriftOptions fromConfig(PipelineConfig config) {
        String topic = config.string("drift.events-topic");
        return new DriftOptions(config.number("drift.delta"), config.longValue("drift.max-window"),
                config.choice("drift.reaction", DriftReaction.class), config.number("drift.raise-lr-factor"),
                config.integer("drift.raise-lr-steps"),
                topic.isEmpty() ? config.string("model.name") + EVENTS_SUFFIX : topic);
    }

    /** A new detector with these parameters. */
    public DriftDetector detector() {
        return new Adwin(delta, maxWindow);
    }
}
