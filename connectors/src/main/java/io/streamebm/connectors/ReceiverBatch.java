package io.streamebm.connectors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The records returned by one poll of a {@link KafkaReceiver}, with the means to acknowledge them.
 *
 * <p>Records of a partition appear in offset order. Acknowledging says "this record's effect is safe":
 * the receiver commits, per partition, only the offsets up to the first unacknowledged record. Both
 * {@link #acknowledge()} and {@link #acknowledge(ConsumerRecord)} may be called from any thread, any number
 * of times, in any order. Acknowledgements of partitions that were revoked in the meantime are ignored
 * (the new owner gets those records again).
 */
public final class ReceiverBatch {

    /** Where acknowledgements go; the receiver hands them to its poll thread. */
    interface AckSink {
        void acknowledgeAll(ReceiverBatch batch);

        void acknowledge(PartitionAckTracker.Segment segment, int index);
    }

    private static final AckSink DETACHED = new AckSink() {
        @Override
        public void acknowledgeAll(ReceiverBatch batch) {
        }

        @Override
        public void acknowledge(PartitionAckTracker.Segment segment, int index) {
        }
    };

    private final List<ConsumerRecord<byte[], byte[]>> records;
    private final List<PartitionAckTracker.Segment> segments;
    private final AckSink sink;
    private volatile boolean acknowledged;

    ReceiverBatch(List<ConsumerRecord<byte[], byte[]>> records, List<PartitionAckTracker.Segment> segments, AckSink sink) {
        this.records = Collections.unmodifiableList(records);
        this.segments = segments;
        this.sink = sink;
    }

    /**
     * A batch not tied to any receiver, whose acknowledgements go nowhere; for tests of downstream stages.
     *
     * @param records the records
     * @return the batch
     */
    public static ReceiverBatch detached(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<TopicPartition, List<Long>> offsets = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            offsets.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r.offset());
        }
        List<PartitionAckTracker.Segment> segs = new ArrayList<>();
        offsets.forEach((tp, list) -> {
            PartitionAckTracker t = new PartitionAckTracker(tp);
            segs.add(t.deliver(list.stream().mapToLong(Long::longValue).sorted().toArray()));
        });
        return new ReceiverBatch(new ArrayList<>(records), segs, DETACHED);
    }

    /** @return the records, grouped by partition and in offset order within a partition */
    public List<ConsumerRecord<byte[], byte[]>> records() {
        return records;
    }

    /** @return the number of records */
    public int size() {
        return records.size();
    }

    /** @return whether {@link #acknowledge()} has been called */
    public boolean isAcknowledged() {
        return acknowledged;
    }

    /** Acknowledges every record of this batch. Idempotent, thread-safe. */
    public void acknowledge() {
        if (!acknowledged) {
            acknowledged = true;
            sink.acknowledgeAll(this);
        }
    }

    /**
     * Acknowledges one record of this batch. Thread-safe.
     *
     * @param record a record of this batch
     * @throws IllegalArgumentException if the record does not belong to this batch
     */
    public void acknowledge(ConsumerRecord<?, ?> record) {
        Objects.requireNonNull(record, "record");
        for (PartitionAckTracker.Segment s : segments) {
            if (s.partition.partition() == record.partition() && s.partition.topic().equals(record.topic())) {
                int i = s.indexOf(record.offset());
                if (i >= 0) {
                    sink.acknowledge(s, i);
                    return;
                }
            }
        }
        throw new IllegalArgumentException("record " + record.topic() + "-" + record.partition() + "@"
                + record.offset() + " is not part of this batch");
    }

    /**
     * Whether {@code partition} left the receiver (a rebalance revoked it, or the group lost it) after
     * this batch was polled, even if it has been assigned to the receiver again since. Its records in
     * this batch are then stale: the consumer delivers them again from wherever the new assignment
     * starts, so a consumer that counts records must drop these copies, or it counts some twice (and,
     * having dropped some of them while the partition was away, may skip others). Thread-safe.
     *
     * @param partition a partition
     * @return true if the partition has records in this batch and has been revoked or lost since
     */
    public boolean revokedSincePolled(TopicPartition partition) {
        for (PartitionAckTracker.Segment s : segments) {
            if (s.partition.equals(partition)) {
                return s.owner.forgotten();
            }
        }
        return false;
    }

    /** @return per partition, the offset after the last record of this batch (the next one to read) */
    public Map<TopicPartition, Long> nextOffsets() {
        Map<TopicPartition, Long> m = new LinkedHashMap<>();
        for (PartitionAckTracker.Segment s : segments) {
            m.put(s.partition, s.offsets[s.offsets.length - 1] + 1);
        }
        return m;
    }

    List<PartitionAckTracker.Segment> segments() {
        return segments;
    }

    @Override
    public String toString() {
        return "ReceiverBatch{records=" + records.size() + ", next=" + nextOffsets() + "}";
    }
}
