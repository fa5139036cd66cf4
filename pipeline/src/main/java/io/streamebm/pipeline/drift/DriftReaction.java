package io.streamebm.pipeline.drift;

/**
 * What the trainer does when the stream drifts ({@code drift.reaction}), besides counting, logging
 * and publishing the event, which it always does. Spelled in configuration as {@code none},
 * {@code reinit-chains}, {@code raise-lr} and {@code snapshot-pre-drift}.
 */
public enum DriftReaction {
    /** Nothing more: the model adapts at its usual pace. */
    NONE,
    /**
     * Re-initialise the persistent chains from recent data, so that the negative samples start on
     * the new distribution instead of wandering over from the old one (losses without chains: none).
     */
    REINIT_CHAINS,
    /**
     * Multiply the learning rate by {@code drift.raise-lr-factor} for {@code drift.raise-lr-steps}
     * updates, then restore it, so that the model adapts faster.
     */
    RAISE_LR,
    /**
     * Publish the model as it was before the drift as a snapshot under its own version, so that the
     * pre-drift model stays available for comparison or rollback.
     */
    SNAPSHOT_PRE_DRIFT
}
