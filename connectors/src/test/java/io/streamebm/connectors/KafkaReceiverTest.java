package io.streamebm.connectors;

import static io.streamebm.connectors.KafkaTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.streamebm.broker.LocalKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** The receiver against a real broker: volume, ordering, commits, backpressure, redelivery, rebalance. */
class KafkaReceiverTest {

    private static LocalKafkaBroker broker;
    private static Admin admin;

    @BeforeAll
    static void setUp() {
        broker = SharedBroker.get();
        admin = broker.admin();
    }

    @AfterAll
    static void tearDown() {
        admin.close();
    }

    @Test
    void consumesHundredThousandRecordsInOrderAndCommitsEndOffsets() throws Exception {
        String topic = "volume";
        int partitions = 3;
        int perPartition = 33_334;
        broker.createTopic(topic, partitions);
        KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, perPartition);
        int total = partitions * perPartition;

        KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "volume-g", topic).build());
        int[] nextSeq = new int[partitions];
        AtomicLong count = new AtomicLong();
        List<String> errors = new ArrayList<>();
        receiver.receive()
                .doOnNext(batch -> {
                    for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
                        int p = KafkaTestSupport.partitionOf(r.value());
                        int seq = KafkaTestSupport.seqOf(r.value());
                        if (p != r.partition() || seq != nextSeq[p]) {
                            errors.add("partition " + r.partition() + " expected seq " + nextSeq[p] + " got " + p + ":" + seq);
                        }
                        nextSeq[p] = seq + 1;
                    }
                    count.addAndGet(batch.size());
                    batch.acknowledge();
                })
                .takeUntil(b -> count.get() >= total)
                .blockLast(Duration.ofSeconds(120));
        receiver.closed().block(Duration.ofSeconds(30));

        assertEquals(List.of(), errors.subList(0, Math.min(5, errors.size())));
        assertEquals(total, count.get());
        for (int p = 0; p < partitions; p++) {
            assertEquals(perPartition, nextSeq[p], "partition " + p);
        }
        assertEquals(KafkaTestSupport.endOffsets(admin, topic, partitions), KafkaTestSupport.committed(admin, "volume-g"));
    }

    @Test
    void slowSubscriberPausesPartitionsKeepsPollingAndBoundsInFlightRecords() throws Exception {
        String topic = "slow";
        int partitions = 3;
        int perPartition = 2_000;
        int maxPollRecords = 50;
        int maxInFlight = 300;
        broker.createTopic(topic, partitions);
        KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, perPartition);
        int total = partitions * perPartition;

        KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "slow-g", topic)
                .property("max.poll.records", maxPollRecords)
                .maxInFlightRecords(maxInFlight)
                .build());
        Scheduler slow = Schedulers.newSingle("slow-subscriber");
        Map<Integer, Integer> nextSeq = new ConcurrentHashMap<>();
        AtomicLong count = new AtomicLong();
        List<ReceiverBatch> held = new ArrayList<>();
        AtomicLong pollsWhilePausedSeen = new AtomicLong();
        try {
            receiver.receive()
                    .publishOn(slow, 2)
                    .doOnNext(batch -> {
                        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
                            int seq = KafkaTestSupport.seqOf(r.value());
                            int expected = nextSeq.getOrDefault(r.partition(), 0);
                            assertEquals(expected, seq, "order in partition " + r.partition());
                            nextSeq.put(r.partition(), seq + 1);
                        }
                        count.addAndGet(batch.size());
                        ReceiverStats before = receiver.stats();
                        sleep(5);
                        ReceiverStats after = receiver.stats();
                        if (before.paused() && after.paused() && after.polls() > before.polls()) {
                            pollsWhilePausedSeen.incrementAndGet();
                        }
                        // Acknowledge late, in bulk, so that the in-flight limit also stops the fetching; 5 batches stay
                        // below the limit, else the subscriber would wait for batches the receiver holds back.
                        held.add(batch);
                        if (held.size() >= 5) {
                            held.forEach(ReceiverBatch::acknowledge);
                            held.clear();
                        }
                    })
                    .takeUntil(b -> count.get() >= total)
                    .doOnComplete(() -> held.forEach(ReceiverBatch::acknowledge))
                    .blockLast(Duration.ofSeconds(120));
        } finally {
            slow.dispose();
        }
        receiver.closed().block(Duration.ofSeconds(30));
        ReceiverStats stats = receiver.stats();

        assertEquals(total, count.get());
        for (int p = 0; p < partitions; p++) {
            assertEquals(perPartition, nextSeq.get(p));
        }
        assertTrue(stats.pauses() > 0, "partitions were never paused: " + stats);
        assertTrue(pollsWhilePausedSeen.get() > 0, "no poll happened while paused: " + stats);
        assertTrue(stats.maxInFlightRecords() <= maxInFlight + maxPollRecords,
                "in-flight records exceeded the bound: " + stats);
        assertEquals(KafkaTestSupport.endOffsets(admin, topic, partitions), KafkaTestSupport.committed(admin, "slow-g"));
    }

    @Test
    void unacknowledgedBatchesAreRedeliveredToTheNextConsumerOfTheGroup() throws Exception {
        String topic = "redeliver";
        int partitions = 2;
        int perPartition = 1_000;
        broker.createTopic(topic, partitions);
        KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, perPartition);

        ReceiverOptions opts = KafkaTestSupport.options(broker.bootstrapServers(), "redeliver-g", topic)
                .property("max.poll.records", 100)
                .closeTimeout(Duration.ofMillis(300))
                .build();
        KafkaReceiver first = KafkaReceiver.create(opts);
        Map<TopicPartition, Long> ackedUpTo = new HashMap<>();
        AtomicInteger batches = new AtomicInteger();
        first.receive()
                .doOnNext(batch -> {
                    if (batches.incrementAndGet() <= 4) {
                        batch.acknowledge();
                        ackedUpTo.putAll(batch.nextOffsets());
                    }
                })
                .take(8)
                .blockLast(Duration.ofSeconds(60));
        first.closed().block(Duration.ofSeconds(30));
        Map<TopicPartition, Long> committed = KafkaTestSupport.committed(admin, "redeliver-g");
        assertEquals(ackedUpTo, committed, "only the acknowledged prefix is committed");

        KafkaReceiver second = KafkaReceiver.create(opts);
        Map<TopicPartition, List<Long>> seen = new ConcurrentHashMap<>();
        AtomicLong count = new AtomicLong();
        long expected = (long) partitions * perPartition - committed.values().stream().mapToLong(Long::longValue).sum();
        second.receive()
                .doOnNext(batch -> {
                    for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
                        seen.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r.offset());
                    }
                    batch.acknowledge();
                    count.addAndGet(batch.size());
                })
                .takeUntil(b -> count.get() >= expected)
                .blockLast(Duration.ofSeconds(60));
        second.closed().block(Duration.ofSeconds(30));
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            long start = committed.getOrDefault(tp, 0L);
            List<Long> offsets = seen.getOrDefault(tp, List.of());
            assertEquals(perPartition - start, offsets.size(), "records re-read from " + tp);
            if (!offsets.isEmpty()) {
                assertEquals(start, offsets.get(0), "second consumer starts at the last commit of " + tp);
            }
        }
        assertEquals(KafkaTestSupport.endOffsets(admin, topic, partitions), KafkaTestSupport.committed(admin, "redeliver-g"));
    }

    @Test
    void rebalanceBetweenTwoConsumersProcessesEveryRecord() throws Exception {
        String topic = "rebalance";
        int partitions = 6;
        int perPartitionPerRound = 2_500;
        broker.createTopic(topic, partitions);
        KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, perPartitionPerRound);

        Set<String> processed = ConcurrentHashMap.newKeySet();
        AtomicLong byA = new AtomicLong();
        AtomicLong byB = new AtomicLong();
        List<Collection<TopicPartition>> revokedFromA = Collections.synchronizedList(new ArrayList<>());
        ReceiverOptions.Builder base = KafkaTestSupport.options(broker.bootstrapServers(), "rebalance-g", topic)
                .property("max.poll.records", 200);
        KafkaReceiver a = KafkaReceiver.create(base.onRevoked(revokedFromA::add).build());
        KafkaReceiver b = KafkaReceiver.create(base.onRevoked(p -> { }).build());
        Disposable runA = a.receive().publishOn(Schedulers.boundedElastic(), 4).subscribe(batch -> {
            batch.records().forEach(r -> processed.add(r.partition() + "@" + r.offset()));
            byA.addAndGet(batch.size());
            batch.acknowledge();
        });
        Disposable runB = null;
        try {
            await("first consumer to start", Duration.ofSeconds(60), () -> byA.get() >= 1_000);
            runB = b.receive().publishOn(Schedulers.boundedElastic(), 4).subscribe(batch -> {
                batch.records().forEach(r -> processed.add(r.partition() + "@" + r.offset()));
                byB.addAndGet(batch.size());
                batch.acknowledge();
            });
            await("second consumer to get partitions", Duration.ofSeconds(60), () -> !b.assignment().isEmpty());
            KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, perPartitionPerRound, perPartitionPerRound);
            int total = 2 * partitions * perPartitionPerRound;
            await("every record processed", Duration.ofSeconds(90), () -> processed.size() >= total);
            assertEquals(total, processed.size());
        } finally {
            stop(a, runA, b, runB);
        }
        assertTrue(byB.get() > 0, "the second consumer got no records");
        assertTrue(!revokedFromA.isEmpty(), "the first consumer saw no revocation");
        Set<TopicPartition> union = new HashSet<>(KafkaTestSupport.committed(admin, "rebalance-g").keySet());
        assertEquals(partitions, union.size());
        assertEquals(KafkaTestSupport.endOffsets(admin, topic, partitions), KafkaTestSupport.committed(admin, "rebalance-g"),
                "no partition is stuck behind its end offset");
    }

    /**
     * A batch still unprocessed when a rebalance takes its partitions knows it: each partition it
     * holds records of reports {@code revokedSincePolled} once revoked, even if the same receiver
     * got it back (an eager rebalance revokes everything, then assigns); batches polled after the
     * rebalance report nothing. A consumer that counts records relies on this to drop stale copies.
     */
    @Test
    void aBatchKnowsWhichOfItsPartitionsWereRevokedAfterItWasPolled() throws Exception {
        String topic = "revoked-since";
        int partitions = 4;
        broker.createTopic(topic, partitions);
        KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, 2_000);

        List<ReceiverBatch> beforeRevocation = Collections.synchronizedList(new ArrayList<>());
        List<ReceiverBatch> afterRevocation = Collections.synchronizedList(new ArrayList<>());
        Set<TopicPartition> revokedFromA = ConcurrentHashMap.newKeySet();
        AtomicInteger revocations = new AtomicInteger();
        ReceiverOptions.Builder base = KafkaTestSupport.options(broker.bootstrapServers(), "revoked-since-g", topic)
                .property("max.poll.records", 50)
                .maxInFlightRecords(400); // A holds its batches unacknowledged, so it pauses at 400 records
        KafkaReceiver a = KafkaReceiver.create(base.onRevoked(p -> {
            if (!p.isEmpty()) {
                revokedFromA.addAll(p);
                revocations.incrementAndGet();
            }
        }).build());
        KafkaReceiver b = KafkaReceiver.create(base.onRevoked(p -> { }).build());
        // No publishOn: each batch is filed on the poll thread, in order with the rebalance callbacks.
        Disposable runA = a.receive().subscribe(
                batch -> (revocations.get() == 0 ? beforeRevocation : afterRevocation).add(batch));
        Disposable runB = null;
        try {
            await("the first receiver to hold batches", Duration.ofSeconds(60), () -> beforeRevocation.size() >= 2);
            assertTrue(beforeRevocation.stream().noneMatch(batch -> batch.nextOffsets().keySet().stream()
                    .anyMatch(batch::revokedSincePolled)), "nothing is revoked before a rebalance");
            runB = b.receive().subscribe(ReceiverBatch::acknowledge);
            await("a rebalance that revokes partitions from the first receiver", Duration.ofSeconds(60),
                    () -> !b.assignment().isEmpty() && !revokedFromA.isEmpty());
            Set<TopicPartition> reported = new HashSet<>();
            for (ReceiverBatch batch : List.copyOf(beforeRevocation)) {
                for (TopicPartition tp : batch.nextOffsets().keySet()) {
                    assertEquals(revokedFromA.contains(tp), batch.revokedSincePolled(tp), tp + " in " + batch);
                    if (batch.revokedSincePolled(tp)) {
                        reported.add(tp);
                    }
                }
            }
            assertTrue(!reported.isEmpty(), "no held batch reported its revoked partitions: " + revokedFromA);
            await("the first receiver to poll again after the rebalance", Duration.ofSeconds(60),
                    () -> !afterRevocation.isEmpty());
            for (ReceiverBatch batch : List.copyOf(afterRevocation)) {
                for (TopicPartition tp : batch.nextOffsets().keySet()) {
                    assertTrue(!batch.revokedSincePolled(tp), tp + " of a batch polled after the rebalance");
                }
            }
            assertTrue(!beforeRevocation.get(0).revokedSincePolled(new TopicPartition("other", 0)),
                    "a partition the batch holds no records of is never reported");
        } finally {
            stop(a, runA, b, runB);
        }
    }

    /** Cancels both subscriptions (the second may not have started) and waits for both consumers to close. */
    private static void stop(KafkaReceiver a, Disposable runA, KafkaReceiver b, Disposable runB) {
        runA.dispose();
        if (runB != null) {
            runB.dispose();
        }
        a.closed().block(Duration.ofSeconds(30));
        b.closed().block(Duration.ofSeconds(30));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
