package io.streamebm.pipeline.train;

import java.util.Map;

/**
 * The first phase of a checkpoint: makes the outputs written since the last checkpoint visible,
 * atomically with the input positions they cover, before the trainer writes its own state. In
 * Kafka, a transaction that holds the dead letters and snapshots and commits the consumer
 * offsets ({@code sendOffsetsToTransaction}).
 *
 * <p>Why this order: outputs committed and a checkpoint not yet written leaves a restart to
 * replay records whose outputs are already out, and those are recognised by the committed
 * offsets and not written again. The other order would lose outputs whose transaction a crash
 * aborted after the checkpoint had moved past their records.
 */
@FunctionalInterface
public interface OutputCommitter {

    /** No outputs of its own: nothing to commit. */
    OutputCommitter NONE = positions -> { };

    /**
     * Commits the outputs written so far together with {@code positions}. Called on the trainer
     * thread. A failure must be thrown: the trainer then stops rather than write a checkpoint whose
     * outputs are lost. The one exception is {@link java.io.UncheckedIOException}: nothing was
     * committed, the outputs are kept for the next attempt, and the trainer tries again later (for
     * Kafka: the group's generation moved on in a rebalance, so the broker refused the offsets).
     *
     * @param positions the next position per "topic-partition" that the outputs so far cover
     */
    void commit(Map<String, Long> positions);
}
