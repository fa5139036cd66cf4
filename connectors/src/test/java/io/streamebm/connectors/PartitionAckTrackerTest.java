package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionAckTrackerTest {

    private final TopicPartition tp = new TopicPartition("t", 0);

    @Test
    void commitsOnlyTheContiguousAcknowledgedPrefix() {
        PartitionAckTracker t = new PartitionAckTracker(tp);
        PartitionAckTracker.Segment a = t.deliver(new long[] {0, 1, 2});
        PartitionAckTracker.Segment b = t.deliver(new long[] {3, 4});
        PartitionAckTracker.Segment c = t.deliver(new long[] {5, 6});
        assertEquals(-1, t.committableOffset());
        t.ackAll(b);
        assertEquals(-1, t.committableOffset(), "a later batch alone commits nothing");
        t.ack(a, 1);
        assertEquals(-1, t.committableOffset());
        t.ack(a, 0);
        assertEquals(2, t.committableOffset(), "0 and 1 are contiguous");
        t.ack(a, 2);
        assertEquals(5, t.committableOffset(), "a is complete, b was already acknowledged");
        t.ack(c, 1);
        assertEquals(5, t.committableOffset());
        assertEquals(1, t.pending());
        t.ackAll(c);
        assertEquals(7, t.committableOffset());
        assertEquals(0, t.pending());
    }

    @Test
    void gapsInOffsetsAreFollowed() {
        PartitionAckTracker t = new PartitionAckTracker(tp);
        PartitionAckTracker.Segment a = t.deliver(new long[] {10, 12, 15});
        t.ack(a, 0);
        t.ack(a, 1);
        assertEquals(13, t.committableOffset());
        t.ack(a, 2);
        assertEquals(16, t.committableOffset());
    }

    @Test
    void acknowledgementsAreIdempotent() {
        PartitionAckTracker t = new PartitionAckTracker(tp);
        PartitionAckTracker.Segment a = t.deliver(new long[] {0, 1});
        assertEquals(1, t.ack(a, 0));
        assertEquals(0, t.ack(a, 0));
        assertEquals(1, t.ackAll(a));
        assertEquals(0, t.ackAll(a));
        assertEquals(0, t.ack(a, 1));
        assertEquals(0, t.pending());
        assertEquals(2, t.committableOffset());
    }

    @Test
    void randomOutOfOrderAcknowledgementsMatchAReferenceModel() {
        Random rnd = new Random(1234);
        for (int round = 0; round < 200; round++) {
            PartitionAckTracker t = new PartitionAckTracker(tp);
            List<PartitionAckTracker.Segment> segs = new ArrayList<>();
            List<long[]> refs = new ArrayList<>();
            long next = 0;
            for (int s = 0; s < 1 + rnd.nextInt(10); s++) {
                long[] offs = new long[1 + rnd.nextInt(6)];
                for (int i = 0; i < offs.length; i++) {
                    next += 1 + (rnd.nextInt(5) == 0 ? rnd.nextInt(3) : 0);
                    offs[i] = next;
                }
                segs.add(t.deliver(offs));
                refs.add(offs);
            }
            List<long[]> order = new ArrayList<>();
            for (int s = 0; s < segs.size(); s++) {
                for (int i = 0; i < refs.get(s).length; i++) {
                    order.add(new long[] {s, i});
                }
            }
            Collections.shuffle(order, rnd);
            java.util.TreeSet<Long> acked = new java.util.TreeSet<>();
            List<Long> all = new ArrayList<>();
            refs.forEach(r -> { for (long o : r) all.add(o); });
            for (long[] si : order) {
                t.ack(segs.get((int) si[0]), (int) si[1]);
                acked.add(refs.get((int) si[0])[(int) si[1]]);
                long expected = -1;
                for (long o : all) {
                    if (!acked.contains(o)) {
                        break;
                    }
                    expected = o + 1;
                }
                assertEquals(expected, t.committableOffset());
            }
            assertEquals(0, t.pending());
        }
    }
}
