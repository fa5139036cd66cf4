package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.TestBroker;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The output transactions carry the consumer's group metadata, so that the broker refuses the
 * offsets of a member the group has moved on from: expelled (a zombie, for instance a process
 * paused past its deadline), or one generation behind after an ordinary rebalance. Real broker;
 * the group's members are plain {@code KafkaConsumer}s, and a separate {@code read_committed}
 * consumer and the admin client check what became visible.
 */
class ZombieFencingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    @Timeout(180)
    void anExpelledMemberCommitsNothingAndItsOutputsStayInvisible() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = topics(broker, "zombie");
        String group = topic + "-g";
        try (KafkaConsumer<byte[], byte[]> zombie = member(broker, group, 1_500);
                KafkaConsumer<byte[], byte[]> survivor = member(broker, group, 300_000)) {
            zombie.subscribe(List.of(topic));
            pollUntil(() -> zombie.assignment().size() == 2, zombie);
            ConsumerGroupMetadata before = zombie.groupMetadata();
            // The zombie stops polling past its poll deadline: the group expels it, and the
            // survivor takes both partitions (and would read their records again).
            survivor.subscribe(List.of(topic));
            pollUntil(() -> survivor.assignment().size() == 2, survivor);

            try (TransactionalOutputs outputs = open(broker, group, "zombie-outputs")) {
                outputs.fencedByTheGroup(() -> Optional.of(before));
                outputs.send(new ProducerRecord<>(topic + ".out", bytes("from the zombie")));
                UncheckedIOException refused = assertThrows(UncheckedIOException.class,
                        () -> outputs.commit(Map.of(topic + "-0", 7L)));
                assertTrue(refused.getMessage().contains("the group refused the offsets"), refused.getMessage());
            }
            try (Admin admin = broker.admin()) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertTrue(committed.values().stream().allMatch(o -> o == null || o.offset() != 7),
                        "the zombie's offsets were committed: " + committed);
            }
            assertEquals(List.of(), readCommitted(broker, topic + ".out"), "the zombie's outputs became visible");
        }
    }

    @Test
    @Timeout(180)
    void aCommitOneGenerationBehindIsRefusedAndItsOutputsGoWithTheNextCommit() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = topics(broker, "generation");
        String group = topic + "-g";
        try (KafkaConsumer<byte[], byte[]> first = member(broker, group, 300_000);
                KafkaConsumer<byte[], byte[]> second = member(broker, group, 300_000)) {
            first.subscribe(List.of(topic));
            pollUntil(() -> first.assignment().size() == 2, first);
            ConsumerGroupMetadata old = first.groupMetadata();
            second.subscribe(List.of(topic));
            // Both take part in the rebalance: each ends with one partition, in a new generation.
            pollUntil(() -> first.assignment().size() == 1 && second.assignment().size() == 1
                    && first.groupMetadata().generationId() > old.generationId()
                    && first.groupMetadata().generationId() == second.groupMetadata().generationId(), first, second);
            TopicPartition kept = first.assignment().iterator().next();
            String source = kept.topic() + "-" + kept.partition();

            AtomicReference<ConsumerGroupMetadata> metadata = new AtomicReference<>(old);
            try (TransactionalOutputs outputs = open(broker, group, "generation-outputs")) {
                outputs.fencedByTheGroup(() -> Optional.of(metadata.get()));
                outputs.send(new ProducerRecord<>(topic + ".out", bytes("sent before the rebalance was seen")));
                assertThrows(UncheckedIOException.class, () -> outputs.commit(Map.of(source, 5L)));
                // The consumer's next poll brings the new generation; the trainer's next attempt succeeds.
                metadata.set(first.groupMetadata());
                outputs.send(new ProducerRecord<>(topic + ".out", bytes("sent after")));
                outputs.commit(Map.of(source, 5L));
            }
            try (Admin admin = broker.admin()) {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).get(kept);
                assertEquals(5L, committed.offset());
            }
            assertEquals(List.of("sent before the rebalance was seen", "sent after"),
                    readCommitted(broker, topic + ".out"), "each output once, in order, with the commit that succeeded");
        }
    }

    /**
     * What the trainer does before it releases partitions: commit from the revocation callback, with
     * the metadata the consumer has there. The group must accept it (the generation is still
     * current while members revoke), or every ordinary rebalance would stop a member.
     */
    @Test
    @Timeout(180)
    void aCommitFromTheRevocationCallbackIsAccepted() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = topics(broker, "revoking");
        String group = topic + "-g";
        List<String> outcomes = new ArrayList<>();
        try (TransactionalOutputs outputs = open(broker, group, "revoking-outputs");
                KafkaConsumer<byte[], byte[]> first = member(broker, group, 300_000);
                KafkaConsumer<byte[], byte[]> second = member(broker, group, 300_000)) {
            first.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                    if (partitions.isEmpty()) {
                        return;
                    }
                    ConsumerGroupMetadata now = first.groupMetadata();
                    outputs.fencedByTheGroup(() -> Optional.of(now));
                    outputs.send(new ProducerRecord<>(topic + ".out", bytes("revoked")));
                    try {
                        outputs.commit(Map.of(topic + "-0", 3L, topic + "-1", 4L));
                        outcomes.add("committed");
                    } catch (RuntimeException e) {
                        outcomes.add("refused: " + e.getMessage());
                    }
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                }
            });
            pollUntil(() -> first.assignment().size() == 2, first);
            second.subscribe(List.of(topic));
            pollUntil(() -> !outcomes.isEmpty() && first.assignment().size() == 1 && second.assignment().size() == 1,
                    first, second);
        }
        // The rebalance's revocation, and the one closing the first consumer.
        assertTrue(!outcomes.isEmpty() && outcomes.stream().allMatch("committed"::equals), outcomes.toString());
        assertEquals(outcomes.size(), readCommitted(broker, topic + ".out").size());
    }

    /** A new two-partition input topic and its one-partition outputs topic ({@code <topic>.out}). */
    private static String topics(LocalKafkaBroker broker, String prefix) {
        String topic = TestBroker.uniqueTopic(prefix);
        broker.createTopic(topic, 2);
        broker.createTopic(topic + ".out", 1);
        return topic;
    }

    private static TransactionalOutputs open(LocalKafkaBroker broker, String group, String transactionalId) {
        return TransactionalOutputs.open(broker.bootstrapServers(), group, transactionalId, Map.of(), Map.of(),
                Duration.ofSeconds(30));
    }

    /** A member of {@code group} that the group expels when it does not poll for {@code pollDeadlineMs}. */
    private static KafkaConsumer<byte[], byte[]> member(LocalKafkaBroker broker, String group, int pollDeadlineMs) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, pollDeadlineMs);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                org.apache.kafka.clients.consumer.RangeAssignor.class.getName());
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Polls the consumers in turn (each rebalance needs every member's poll) until {@code done}. */
    @SafeVarargs
    private static void pollUntil(BooleanSupplier done, KafkaConsumer<byte[], byte[]>... consumers) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos() * 2;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "the group did not settle");
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                c.poll(Duration.ofMillis(100));
            }
        }
    }

    private static List<String> readCommitted(LocalKafkaBroker broker, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
