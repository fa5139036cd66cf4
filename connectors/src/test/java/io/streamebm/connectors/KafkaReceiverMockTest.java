package io.streamebm.connectors;

import static io.streamebm.connectors.KafkaTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/** The poll loop's logic over a MockConsumer: pausing, re-pausing after rebalances, seeking, prefix commits, errors. */
class KafkaReceiverMockTest {

    private final TopicPartition p0 = new TopicPartition("t", 0);
    private final TopicPartition p1 = new TopicPartition("t", 1);
    private final TopicPartition p2 = new TopicPartition("t", 2);

    /** Requests only what the test asks for. */
    private static final class Manual extends BaseSubscriber<ReceiverBatch> {
        final LinkedBlockingQueue<ReceiverBatch> batches = new LinkedBlockingQueue<>();
        volatile Throwable error;

        @Override
        protected void hookOnSubscribe(Subscription s) {
        }

        @Override
        protected void hookOnNext(ReceiverBatch b) {
            batches.add(b);
        }

        @Override
        protected void hookOnError(Throwable t) {
            error = t;
        }

        ReceiverBatch next() throws InterruptedException {
            ReceiverBatch b = batches.poll(30, TimeUnit.SECONDS);
            if (b == null) {
                throw new AssertionError("no batch");
            }
            return b;
        }
    }

    private static ConsumerRecord<byte[], byte[]> rec(TopicPartition tp, long offset) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, ("v" + offset).getBytes());
    }

    private ReceiverOptions.Builder options() {
        return ReceiverOptions.builder().bootstrapServers("mock:9092").groupId("g").topics("t")
                .pollTimeout(Duration.ofMillis(10)).commitInterval(Duration.ofMillis(10)).closeTimeout(Duration.ofMillis(200));
    }

    @Test
    void pausesWithoutDemandRepausesAfterRebalanceSeeksAndCommitsTheAcknowledgedPrefix() throws Exception {
        MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
        List<Collection<TopicPartition>> revoked = new CopyOnWriteArrayList<>();
        KafkaReceiver receiver = KafkaReceiver.create(options()
                .onAssigned(parts -> parts.contains(p1) ? Map.of(p1, 5L) : Map.of())
                .onRevoked(revoked::add)
                .build(), props -> mock);
        mock.schedulePollTask(() -> {
            mock.rebalance(List.of(p0, p1));
            mock.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L, p2, 0L));
        });
        Manual sub = new Manual();
        receiver.receive().subscribe(sub);
        await("both partitions paused without demand", Duration.ofSeconds(30), () -> mock.paused().equals(Set.of(p0, p1)));
        assertTrue(receiver.stats().paused());
        for (long o = 0; o < 10; o++) {
            mock.addRecord(rec(p0, o));
            mock.addRecord(rec(p1, o));
        }
        long pollsBefore = receiver.stats().polls();
        await("polling continues while paused", Duration.ofSeconds(30), () -> receiver.stats().polls() > pollsBefore + 3);
        assertTrue(sub.batches.isEmpty(), "nothing delivered without demand");

        sub.request(1);
        ReceiverBatch batch = sub.next();
        List<Long> p0Offsets = new ArrayList<>();
        List<Long> p1Offsets = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
            (r.partition() == 0 ? p0Offsets : p1Offsets).add(r.offset());
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), p0Offsets);
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), p1Offsets, "onAssigned's start offset was used");
        assertEquals(Map.of(p0, 10L, p1, 10L), batch.nextOffsets());
        await("paused again once the demand is used", Duration.ofSeconds(30), () -> mock.paused().equals(Set.of(p0, p1)));

        // Out of order: 3, 0, 1 acknowledged; 2 missing, so only offsets 0..1 may be committed.
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
            if (r.partition() == 0 && (r.offset() == 3 || r.offset() == 0 || r.offset() == 1)) {
                batch.acknowledge(r);
            }
        }
        await("prefix committed", Duration.ofSeconds(30), () -> committed(mock, p0) == 2L);
        assertEquals(-1L, committed(mock, p1));
        assertEquals(15 - 3, receiver.stats().inFlightRecords(), "in-flight: 15 delivered, 3 acknowledged");

        // A rebalance while paused: p1 revoked (its acknowledged prefix committed first), p2 new and paused at once.
        mock.schedulePollTask(() -> mock.rebalance(List.of(p0, p2)));
        await("p2 assigned", Duration.ofSeconds(30), () -> mock.assignment().contains(p2));
        assertTrue(mock.paused().contains(p2), "a partition assigned while paused is paused");
        assertEquals(List.of(List.of(p1)), revoked.stream().map(ArrayList::new).toList());
        assertEquals(7, receiver.stats().inFlightRecords(), "p1's records no longer count once revoked");

        batch.acknowledge();
        await("the rest of p0 committed", Duration.ofSeconds(30), () -> committed(mock, p0) == 10L);
        assertEquals(0, receiver.stats().inFlightRecords());

        sub.cancel();
        receiver.closed().block(Duration.ofSeconds(30));
        assertTrue(mock.closed());
    }

    @Test
    void fatalErrorTerminatesTheFluxAfterClosingTheConsumer() throws Exception {
        MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
        KafkaReceiver receiver = KafkaReceiver.create(options().build(), props -> mock);
        mock.schedulePollTask(() -> {
            mock.rebalance(List.of(p0));
            mock.updateBeginningOffsets(Map.of(p0, 0L));
        });
        Manual sub = new Manual();
        receiver.receive().subscribe(sub);
        sub.request(10);
        mock.schedulePollTask(() -> mock.setPollException(new AuthorizationException("not allowed to read t")));
        await("error delivered", Duration.ofSeconds(30), () -> sub.error != null);
        assertTrue(sub.error instanceof AuthorizationException, sub.error.toString());
        assertTrue(mock.closed(), "consumer closed before the error is signalled");
    }

    @Test
    void retriableErrorsAreRetriedAndTheStreamGoesOn() throws Exception {
        MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
        KafkaReceiver receiver = KafkaReceiver.create(options().retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)).build(),
                props -> mock);
        mock.schedulePollTask(() -> {
            mock.rebalance(List.of(p0));
            mock.updateBeginningOffsets(Map.of(p0, 0L));
        });
        Manual sub = new Manual();
        receiver.receive().subscribe(sub);
        sub.request(10);
        mock.schedulePollTask(() -> mock.setPollException(new org.apache.kafka.common.errors.TimeoutException("broker away")));
        mock.schedulePollTask(() -> mock.addRecord(rec(p0, 0)));
        ReceiverBatch b = sub.next();
        assertEquals(1, b.size());
        assertTrue(receiver.stats().retries() >= 1);
        assertEquals(null, sub.error);
        sub.cancel();
        receiver.closed().block(Duration.ofSeconds(30));
    }

    @Test
    void aReceiverServesOneSubscription() {
        KafkaReceiver receiver = KafkaReceiver.create(options().build(), props -> new MockConsumer<>("earliest"));
        receiver.receive().subscribe(new Manual());
        Manual second = new Manual();
        receiver.receive().subscribe(second);
        assertTrue(second.error instanceof IllegalStateException);
        assertTrue(second.error.getMessage().contains("one subscription"));
    }

    private static long committed(MockConsumer<byte[], byte[]> mock, TopicPartition tp) {
        Map<TopicPartition, OffsetAndMetadata> m = mock.committed(Set.of(tp));
        OffsetAndMetadata om = m.get(tp);
        return om == null ? -1L : om.offset();
    }
}
