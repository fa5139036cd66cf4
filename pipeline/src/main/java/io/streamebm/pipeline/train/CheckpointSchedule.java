package io.streamebm.pipeline.train;

import java.time.Duration;
import java.util.Objects;

/**
 * When the trainer writes its next checkpoint: every {@code everySteps} updates; after
 * {@code interval} when there is anything new, updates or acknowledgements waiting for a checkpoint
 * (a timer asks even when no data arrives, so an idle topic's offsets do not lag); and, after a
 * failed attempt, not before a back-off of 1 s, doubling up to {@code interval}, so a full disk is
 * retried steadily instead of on every update.
 *
 * <p>Not thread-safe: the trainer thread owns it.
 */
final class CheckpointSchedule {

    private static final long FIRST_RETRY_NANOS = 1_000_000_000L;

    private final int everySteps;
    private final long intervalNanos;
    private long lastStep;
    private long lastNanos;
    private int failuresInARow;
    private long notBeforeNanos;

    /**
     * @param everySteps updates between checkpoints, at least 1
     * @param interval   longest time between checkpoints while there is something new
     * @param nowNanos   the clock reading at start
     */
    CheckpointSchedule(int everySteps, Duration interval, long nowNanos) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("everySteps must be >= 1, got " + everySteps);
        }
        this.everySteps = everySteps;
        this.intervalNanos = Objects.requireNonNull(interval, "interval").toNanos();
        this.lastNanos = nowNanos;
    }

    /** The trainer starts (or restarts) from a checkpoint at {@code step}. */
    void restartedAt(long step, long nowNanos) {
        lastStep = step;
        lastNanos = nowNanos;
    }

    /** Whether a checkpoint is due after an update or on a timer tick. */
    boolean due(long step, boolean acknowledgementsWaiting, long nowNanos) {
        if (nowNanos - notBeforeNanos < 0) {
            return false;
        }
        boolean somethingNew = step > lastStep || acknowledgementsWaiting;
        return step - lastStep >= everySteps || (somethingNew && nowNanos - lastNanos >= intervalNanos)
                || (failuresInARow > 0 && somethingNew);
    }

    /** Whether the state at {@code step} is already in the last checkpoint. */
    boolean covers(long step) {
        return step == lastStep;
    }

    /** A checkpoint at {@code step} is durable. */
    void succeeded(long step, long nowNanos) {
        lastStep = step;
        lastNanos = nowNanos;
        failuresInARow = 0;
        notBeforeNanos = nowNanos;
    }

    /**
     * An attempt failed.
     *
     * @return how long until the next attempt
     */
    Duration failed(long nowNanos) {
        failuresInARow++;
        long backoff = FIRST_RETRY_NANOS << Math.min(failuresInARow - 1, 20);
        backoff = Math.max(FIRST_RETRY_NANOS, Math.min(backoff, intervalNanos));
        notBeforeNanos = nowNanos + backoff;
        return Duration.ofNanos(backoff);
    }

    /** Failed attempts since the last success. */
    int failuresInARow() {
        return failuresInARow;
    }

    /** How often the trainer's timer should ask {@link #due}: a quarter of the interval, within [100 ms, 5 s]. */
    Duration tick() {
        return Duration.ofNanos(Math.max(100_000_000L, Math.min(intervalNanos / 4, 5_000_000_000L)));
    }
}
