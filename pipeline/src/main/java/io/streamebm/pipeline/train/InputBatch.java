package io.streamebm.pipeline.train;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One batch of input as the trainer sees it: valid samples with their source positions, the
 * position after the whole batch (dead-lettered records included), and how to acknowledge it.
 * Kafka poll batches are adapted to this in {@code KafkaTraining}; tests build it directly.
 *
 * @param samples      the valid samples, in source order
 * @param endPositions per source ("topic-partition"), the next position after this batch
 * @param acknowledge  called once the state that used this batch is durable
 * @param outputs      what to write when the trainer counts this batch's records
 * @param revokedSincePolled whether a source left the consumer after this batch was read from it,
 *                     even if it came back since: this batch's records of it are then stale copies
 *                     (the consumer delivers them again from where the new assignment starts), and
 *                     the trainer ignores them. For Kafka: a rebalance revoked the partition. Asked
 *                     on the trainer thread, between the trainer's own release and resume of sources.
 */
public record InputBatch(List<Sample> samples, Map<String, Long> endPositions, Runnable acknowledge,
        List<Output> outputs, Predicate<String> revokedSincePolled) {

    /** For inputs whose sources never leave mid-stream: nothing is ever revoked. */
    private static final Predicate<String> NEVER_REVOKED = source -> false;

    /**
     * Something to write once the trainer counts the record at {@code position} of {@code source}
     * (a dead letter, for instance): the trainer runs {@code write} on its thread when it passes the
     * batch's end, unless that record was counted before (a re-delivery) or its source was released.
     *
     * @param source   "topic-partition"
     * @param position the record's offset within the source
     * @param write    writes the output; runs on the trainer thread
     */
    public record Output(String source, long position, Runnable write) {
    }

    /** A batch with no outputs of its own, from sources that are never revoked. */
    public InputBatch(List<Sample> samples, Map<String, Long> endPositions, Runnable acknowledge) {
        this(samples, endPositions, acknowledge, List.of());
    }

    /** A batch from sources that are never revoked. */
    public InputBatch(List<Sample> samples, Map<String, Long> endPositions, Runnable acknowledge,
            List<Output> outputs) {
        this(samples, endPositions, acknowledge, outputs, NEVER_REVOKED);
    }

    /**
     * One valid sample.
     *
     * @param source   "topic-partition"
     * @param position its offset within the source
     * @param values   the sample, length d
     */
    public record Sample(String source, long position, float[] values) {
    }

    /** Copies the lists and checks for nulls. */
    public InputBatch {
        samples = List.copyOf(Objects.requireNonNull(samples, "samples"));
        endPositions = Map.copyOf(Objects.requireNonNull(endPositions, "endPositions"));
        Objects.requireNonNull(acknowledge, "acknowledge");
        outputs = List.copyOf(Objects.requireNonNull(outputs, "outputs"));
        Objects.requireNonNull(revokedSincePolled, "revokedSincePolled");
    }
}
