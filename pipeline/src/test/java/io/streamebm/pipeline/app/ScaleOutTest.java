package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Scale-out against a real broker, with every member a {@code streamebm train} process: three
 * members on six partitions, one SIGKILLed mid-stream and restarted, a fourth joining, one leaving
 * for good, one frozen (SIGSTOP) past its session and woken. A plain {@code read_committed} consumer of the params topic, independent of the
 * trainers, follows the records the group's model has counted: never more than the valid records
 * produced, and in the end exactly as many. The group's offsets end at the topic's end, every dead
 * letter is written once, and the snapshot versions on the snapshot topic strictly increase.
 */
class ScaleOutTest {

    private static final int PARTITIONS = 6;
    private static final int BAD_EVERY = 1000;

    @TempDir
    Path dir;

    @Test
    void membersKilledJoiningAndLeavingCountEveryRecordOnceInOneModel() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("scaleout");
        String model = topic + "-model";
        String snapshots = topic + ".models";
        broker.createTopic(topic, PARTITIONS);
        broker.createTopic(snapshots, 1);
        DatasetStream data = Datasets.stream("eight-gaussians", 11);
        long valid = produce(broker.bootstrapServers(), topic, data, 12_000);
        List<ChildProcess> members = new ArrayList<>();
        try (GroupCount count = new GroupCount(broker.bootstrapServers(), model + ".params")) {
            ChildProcess m1 = start(broker, topic, model, snapshots, "m1");
            ChildProcess m2 = start(broker, topic, model, snapshots, "m2");
            ChildProcess m3 = start(broker, topic, model, snapshots, "m3");
            members.addAll(List.of(m1, m2, m3));
            count.awaitAtLeast(4_000, valid);

            m2.process.destroyForcibly(); // SIGKILL mid-stream
            assertTrue(m2.process.waitFor(30, TimeUnit.SECONDS), "m2 did not die");
            ChildProcess m2again = start(broker, topic, model, snapshots, "m2");
            members.add(m2again);
            valid += produce(broker.bootstrapServers(), topic, data, 6_000);
            count.awaitAtLeast(14_000, valid);

            ChildProcess m4 = start(broker, topic, model, snapshots, "m4"); // joins mid-stream
            members.add(m4);
            valid += produce(broker.bootstrapServers(), topic, data, 6_000);
            m3.sigterm(); // leaves for good
            assertTrue(m3.ended(), "m3 did not stop:\n" + m3.output());
            assertCleanStop(m3);

            // m1 freezes (SIGSTOP) mid-stream for longer than its session: the group expels it and
            // the others read its partitions again from the group's offsets. When it wakes it must
            // publish nothing more (its commits carry its old generation, which the broker refuses),
            // learn at its next poll that its partitions were lost, and stop; a restart rejoins.
            // Frozen while the group is stable, and woken only once the group has expelled it: a
            // member frozen in the middle of a rebalance, or woken before its session ran out, is
            // simply late, not a zombie.
            awaitGroup(broker, topic + "-g", "m1-trainer", true);
            valid += produce(broker.bootstrapServers(), topic, data, 6_000);
            m1.signal("STOP");
            awaitGroup(broker, topic + "-g", "m1-trainer", false);
            m1.signal("CONT");
            assertTrue(m1.ended(), "m1 did not stop after waking from a freeze:\n" + m1.output());
            assertTrue(m1.output().contains("the group gave"), "m1 stopped for another reason:\n" + m1.output());
            ChildProcess m1again = start(broker, topic, model, snapshots, "m1");
            members.add(m1again);
            valid += produce(broker.bootstrapServers(), topic, data, 6_000);
            count.awaitAtLeast(valid, valid);

            for (ChildProcess m : List.of(m1again, m2again, m4)) {
                m.sigterm();
                assertTrue(m.ended(), "a member did not stop:\n" + m.output());
                assertCleanStop(m);
            }
            String last = m4.output();
            assertTrue(last.contains("group model: " + valid + " records counted by 4 members"),
                    "the last member's final line gives the group's count:\n" + last);
            assertEquals(valid, count.read(), "records counted by the group's model after every member stopped");
        } catch (AssertionError e) {
            StringBuilder outputs = new StringBuilder(e.getMessage());
            for (ChildProcess m : members) {
                outputs.append("\n---- member output ----\n").append(m.output());
            }
            throw new AssertionError(outputs.toString(), e);
        } finally {
            members.forEach(ChildProcess::close);
        }
        long all = valid + valid / BAD_EVERY;
        assertEquals(all, committedOffsets(broker, topic + "-g"), "the group's offsets end at the topic's end");
        assertEquals(valid / BAD_EVERY, readCommitted(broker.bootstrapServers(), topic + ".dlq").size(),
                "every dead letter once");
        List<Long> versions = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(broker.bootstrapServers(), snapshots)) {
            versions.add(ModelSnapshots.decode(r.value()).version());
        }
        assertTrue(versions.size() >= 2, "snapshots: " + versions);
        for (int i = 1; i < versions.size(); i++) {
            assertTrue(versions.get(i) > versions.get(i - 1), "snapshot versions strictly increase: " + versions);
        }
        assertTrue(versions.get(versions.size() - 1) <= valid, "a version counts records: " + versions);
    }

    /**
     * Waits until the group is stable with {@code instance} among its members ({@code present}),
     * or until it no longer holds that member, whatever its state.
     */
    private static void awaitGroup(LocalKafkaBroker broker, String group, String instance, boolean present)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        try (Admin admin = broker.admin()) {
            while (true) {
                org.apache.kafka.clients.admin.ConsumerGroupDescription d = admin
                        .describeConsumerGroups(List.of(group)).describedGroups().get(group).get(30, TimeUnit.SECONDS);
                boolean holds = d.members().stream()
                        .anyMatch(m -> m.groupInstanceId().map(instance::equals).orElse(false));
                boolean stable = d.groupState() == org.apache.kafka.common.GroupState.STABLE;
                if (present ? holds && stable : !holds) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail("group " + group + " did not " + (present ? "settle with " : "expel ") + instance + ": " + d);
                }
                Thread.sleep(200);
            }
        }
    }

    /** A clean stop after SIGTERM: the shutdown hook finished, so the JVM reports the signal (143) or 0. */
    private static void assertCleanStop(ChildProcess m) {
        int code = m.process.exitValue();
        assertTrue(code == 0 || code == 143, "exit code " + code + ":\n" + m.output());
        assertTrue(m.output().contains("group model: "), "no final line:\n" + m.output());
    }

    private ChildProcess start(LocalKafkaBroker broker, String topic, String model, String snapshots, String member)
            throws Exception {
        ChildProcess p = ChildProcess.start(List.of("-Xmx512m"), List.of("train",
                "--bootstrap-server", broker.bootstrapServers(), "--topic", topic, "--group", topic + "-g",
                "--checkpoint-dir", dir.resolve(member).toString(), "--metrics-port", "0", "--model-name", model,
                "--set", "scale-out.enabled=true", "--set", "kafka.member-name=" + member,
                "--set", "snapshot.topic=" + snapshots, "--set", "snapshot.every-steps=20",
                "--set", "kafka.consumer.session.timeout.ms=10000",
                "--set", "model.hidden=16,16", "--set", "loss.chains=64", "--set", "loss.k=2",
                "--set", "batch.max-size=64", "--set", "batch.max-wait=PT0.05S", "--set", "quality.every-steps=0"));
        p.awaitLine("training from Kafka");
        return p;
    }

    /** Produces {@code n} valid samples and one record of the wrong dimension per {@link #BAD_EVERY}; returns n. */
    private static long produce(String bootstrap, String topic, DatasetStream data, int n) {
        try (KafkaSender sender = KafkaParts.sender(bootstrap, "scaleout-producer")) {
            Flux.range(0, n + n / BAD_EVERY)
                    .map(i -> i % (BAD_EVERY + 1) == BAD_EVERY
                            ? SampleCodecs.record(topic, null, new float[] {1, 2, 3}, Float32SampleCodec.INSTANCE)
                            : SampleCodecs.record(topic, null, data.next(), Float32SampleCodec.INSTANCE))
                    .flatMap(sender::send, 256) // 256 in flight: one at a time is 5 ms each (linger)
                    .blockLast();
        }
        return n;
    }

    private static long committedOffsets(LocalKafkaBroker broker, String group) throws Exception {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = GroupCount.readCommitted(bootstrap)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

}
