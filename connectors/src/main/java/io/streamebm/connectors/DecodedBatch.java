package io.streamebm.connectors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * The valid samples of one {@link ReceiverBatch}, once every invalid record of it has been confirmed in
 * its dead-letter topic. Acknowledging it acknowledges the whole source batch; a pipeline does so only when
 * the state that used these samples is durable.
 */
public final class DecodedBatch {

    private final ReceiverBatch source;
    private final List<DecodedSample> samples;
    private final int deadLettered;
    private final List<Rejection> rejections;
    /** The source batch's partitions by key, so that {@link #revokedSincePolled} parses nothing. */
    private final Map<String, TopicPartition> partitions = new LinkedHashMap<>();

    DecodedBatch(ReceiverBatch source, List<DecodedSample> samples, int deadLettered, List<Rejection> rejections) {
        this.source = source;
        for (PartitionAckTracker.Segment s : source.segments()) {
            partitions.put(PartitionKeys.key(s.partition), s.partition);
        }
        this.samples = Collections.unmodifiableList(samples);
        this.deadLettered = deadLettered;
        this.rejections = List.copyOf(rejections);
    }

    /**
     * @return the records rejected but not yet dead-lettered, in record order: empty unless the stage
     *         defers dead letters to its owner ({@link DecodingStage#deferringDeadLetters})
     */
    public List<Rejection> rejections() {
        return rejections;
    }

    /** @return the valid samples, in record order */
    public List<DecodedSample> samples() {
        return samples;
    }

    /** @return the batch they came from */
    public ReceiverBatch source() {
        return source;
    }

    /** @return how many records of the source batch went to the dead-letter topic */
    public int deadLettered() {
        return deadLettered;
    }

    /**
     * @param sourceKey a partition, keyed {@code "topic-partition"}
     * @return whether that partition left the receiver after the source batch was polled (see
     *         {@link ReceiverBatch#revokedSincePolled}): its samples here are stale copies
     */
    public boolean revokedSincePolled(String sourceKey) {
        TopicPartition tp = partitions.get(sourceKey);
        return tp != null && source.revokedSincePolled(tp);
    }

    /** Acknowledges every record of the source batch. */
    public void acknowledge() {
        source.acknowledge();
    }

    /**
     * @return per partition, keyed {@code "topic-partition"}, the next offset to read (last offset of the
     *         batch + 1, dead letters included): what a checkpoint stores to resume exactly after this batch
     */
    public Map<String, Long> sourcePositions() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, Long> e : source.nextOffsets().entrySet()) {
            m.put(PartitionKeys.key(e.getKey()), e.getValue());
        }
        return m;
    }

    @Override
    public String toString() {
        return "DecodedBatch{samples=" + samples.size() + ", deadLettered=" + deadLettered + ", positions="
                + sourcePositions() + "}";
    }
}
