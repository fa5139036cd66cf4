package io.streamebm.connectors;

import java.util.ArrayDeque;
import java.util.BitSet;

import org.apache.kafka.common.TopicPartition;

/**
 * Acknowledgement state of one partition, owned by the poll thread.
 *
 * <p>Records are delivered in segments (one per poll batch) and may be acknowledged in any order; only the
 * contiguous acknowledged prefix of the delivered offsets may be committed, because committing past an
 * unacknowledged record would lose it on a restart. Offsets inside a segment need not be contiguous
 * (compaction and transaction markers leave gaps), so the segment keeps the exact offsets it delivered.
 */
final class PartitionAckTracker {

    /** Records of one partition delivered in one batch. */
    static final class Segment {
        final TopicPartition partition;
        final PartitionAckTracker owner;
        final long[] offsets;
        private BitSet acked;
        private boolean all;
        private int ackedCount;
        private int scanPos;

        Segment(TopicPartition partition, PartitionAckTracker owner, long[] offsets) {
            this.partition = partition;
            this.owner = owner;
            this.offsets = offsets;
        }

        int size() {
            return offsets.length;
        }

        int indexOf(long offset) {
            return java.util.Arrays.binarySearch(offsets, offset);
        }

        int pending() {
            return offsets.length - ackedCount;
        }

        /** @return how many records became acknowledged */
        int ackAll() {
            if (all) {
                return 0;
            }
            int newly = offsets.length - ackedCount;
            all = true;
            ackedCount = offsets.length;
            acked = null;
            return newly;
        }

        /** @return 1 if the record became acknowledged, 0 if it already was */
        int ack(int index) {
            if (all) {
                return 0;
            }
            if (acked == null) {
                acked = new BitSet(offsets.length);
            }
            if (acked.get(index)) {
                return 0;
            }
            acked.set(index);
            ackedCount++;
            if (ackedCount == offsets.length) {
                all = true;
                acked = null;
            }
            return 1;
        }

        boolean isAcked(int index) {
            return all || (acked != null && acked.get(index));
        }
    }

    private final TopicPartition partition;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private long committable = -1;
    private long pending;
    /** Set on the poll thread when the partition leaves the consumer; read by any thread. */
    private volatile boolean forgotten;

    PartitionAckTracker(TopicPartition partition) {
        this.partition = partition;
    }

    TopicPartition partition() {
        return partition;
    }

    /** Registers delivered offsets, ascending. */
    Segment deliver(long[] offsets) {
        Segment s = new Segment(partition, this, offsets);
        segments.addLast(s);
        pending += offsets.length;
        return s;
    }

    /**
     * Marks this tracker as belonging to an assignment that has ended (the partition was revoked or
     * lost). Should the partition come back, a new tracker follows it.
     */
    void forget() {
        forgotten = true;
    }

    /** @return whether the assignment this tracker followed has ended; any thread */
    boolean forgotten() {
        return forgotten;
    }

    /** @return records delivered and not yet acknowledged */
    long pending() {
        return pending;
    }

    /** Acknowledges a whole segment; @return newly acknowledged record count. */
    int ackAll(Segment s) {
        int n = s.ackAll();
        pending -= n;
        return n;
    }

    /** Acknowledges one record of a segment; @return 1 if new. */
    int ack(Segment s, int index) {
        int n = s.ack(index);
        pending -= n;
        return n;
    }

    /**
     * Moves past the acknowledged prefix.
     *
     * @return the offset to commit (the one after the last record of the acknowledged prefix), or -1 if no
     *         record has been acknowledged contiguously from the start yet
     */
    long committableOffset() {
        Segment head;
        while ((head = segments.peekFirst()) != null) {
            if (head.all) {
                committable = head.offsets[head.offsets.length - 1] + 1;
                segments.pollFirst();
                continue;
            }
            while (head.scanPos < head.offsets.length && head.isAcked(head.scanPos)) {
                committable = head.offsets[head.scanPos] + 1;
                head.scanPos++;
            }
            break;
        }
        return committable;
    }
}
