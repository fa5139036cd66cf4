package io.streamebm.pipeline.train;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One batch of input as the trainer sees it: valid samples with their source positions, the
 * position after the whole batch (dead-lettered records included), and how to acknowledge it.
 * Kafka poll batches are adapted to this in {@code KafkaTraining}; tests build it directly.
 *
 * @param samples      the valid samples, in source order
 * @param endPositions per source ("topic-partition"), the next position after this batch
 * @param acknowledge  called once the state that used this batch is durable
 */
public record InputBatch(List<Sample> samples, Map<String, Long> endPositions, Runnable acknowledge) {

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
    }
}
