package io.streamebm.connectors;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * What a {@link KafkaReceiver} has delivered and what of it has been acknowledged: one
 * {@link PartitionAckTracker} per assigned partition, and the count of records in flight (delivered,
 * neither acknowledged nor revoked).
 *
 * <p>Acknowledgements arrive on any thread; they are queued and applied by {@link #drain()} on the
 * receiver's loop thread, which alone touches the trackers. So no lock is needed, and a tracker always
 * sees its segments' acknowledgements in the order the loop drains them.
 */
final class AckLedger implements ReceiverBatch.AckSink {

    /** One queued acknowledgement: a whole batch, or one record (index) of a segment. */
    private record Ack(ReceiverBatch batch, PartitionAckTracker.Segment segment, int index) {
    }

    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, PartitionAckTracker> trackers = new HashMap<>();
    private final Runnable onAcknowledged;
    // Written by the loop thread only; volatile so that the receiver's stats() reads fresh values.
    private volatile long inFlight;
    private volatile long maxInFlight;

    /** @param onAcknowledged called on the acknowledging thread after each acknowledgement is queued */
    AckLedger(Runnable onAcknowledged) {
        this.onAcknowledged = onAcknowledged;
    }

    @Override
    public void acknowledgeAll(ReceiverBatch batch) {
        acks.add(new Ack(batch, null, -1));
        onAcknowledged.run();
    }

    @Override
    public void acknowledge(PartitionAckTracker.Segment segment, int index) {
        acks.add(new Ack(null, segment, index));
        onAcknowledged.run();
    }

    /**
     * Registers the records of one poll as delivered.
     *
     * @param polled a non-empty poll result
     * @return the batch to emit, acknowledging into this ledger
     */
    ReceiverBatch deliver(ConsumerRecords<byte[], byte[]> polled) {
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(polled.count());
        List<PartitionAckTracker.Segment> segments = new ArrayList<>(polled.partitions().size());
        for (TopicPartition tp : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> part = polled.records(tp);
            long[] offsets = new long[part.size()];
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = part.get(i).offset();
            }
            list.addAll(part);
            segments.add(trackers.computeIfAbsent(tp, PartitionAckTracker::new).deliver(offsets));
        }
        long now = inFlight + list.size();
        inFlight = now;
        if (now > maxInFlight) {
            maxInFlight = now;
        }
        return new ReceiverBatch(list, segments, this);
    }

    /** Applies the queued acknowledgements. */
    void drain() {
        Ack a;
        long done = 0;
        while ((a = acks.poll()) != null) {
            if (a.batch != null) {
                for (PartitionAckTracker.Segment s : a.batch.segments()) {
                    done += apply(s, -1);
                }
            } else {
                done += apply(a.segment, a.index);
            }
        }
        if (done > 0) {
            inFlight = inFlight - done;
        }
    }

    private int apply(PartitionAckTracker.Segment s, int index) {
        // A segment of a revoked partition belongs to a dropped tracker: its records will be read again.
        if (trackers.get(s.partition) != s.owner) {
            return 0;
        }
        return index < 0 ? s.owner.ackAll(s) : s.owner.ack(s, index);
    }

    /**
     * @param tp a partition
     * @return the offset after the partition's acknowledged prefix, or -1 if nothing of it can be committed
     */
    long committableOffset(TopicPartition tp) {
        PartitionAckTracker t = trackers.get(tp);
        return t == null ? -1 : t.committableOffset();
    }

    /** @return the partitions with delivered records (a live view; copy it before the loop changes it) */
    Set<TopicPartition> partitions() {
        return trackers.keySet();
    }

    /**
     * Forgets revoked or lost partitions: their unacknowledged records leave the in-flight count,
     * acknowledgements that still arrive for them are ignored, and the batches already delivered
     * report them as {@linkplain ReceiverBatch#revokedSincePolled revoked since polled}.
     *
     * @param partitions the partitions
     */
    void forget(Collection<TopicPartition> partitions) {
        long dropped = 0;
        for (TopicPartition tp : partitions) {
            PartitionAckTracker t = trackers.remove(tp);
            if (t != null) {
                t.forget();
                dropped += t.pending();
            }
        }
        // The queued acks still reference the old trackers; drop them now so inFlight stays exact.
        drain();
        inFlight = inFlight - dropped;
    }

    /** @return records delivered and neither acknowledged nor revoked */
    long inFlight() {
        return inFlight;
    }

    /** @return the largest {@link #inFlight()} seen */
    long maxInFlight() {
        return maxInFlight;
    }
}
