package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import io.streamebm.pipeline.ChildJvm;
import io.streamebm.pipeline.TestBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's outputs through SIGKILLs: the trainer runs as a child process, is killed during a
 * step, between its output transaction's commit and its checkpoint write, and after a checkpoint,
 * and is restarted each time. A {@code read_committed} reader (a plain {@code KafkaConsumer}) must
 * then see every dead letter exactly once and snapshot versions that strictly increase.
 */
class OutputsExactlyOnceTest {

    private static final int RECORDS = 6000;

    @TempDir
    Path dir;

    @Test
    @Timeout(600)
    void readCommittedReadersSeeEachDeadLetterAndSnapshotOnceThroughKills() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("outputs");
        broker.createTopic(topic, 3);
        broker.createTopic(topic + ".dlq", 1);
        String snapshots = topic + ".models";
        broker.createTopic(snapshots, 1);
        List<Long> poisonIndexes = produce(broker.bootstrapServers(), topic);
        int valid = RECORDS - poisonIndexes.size();

        Path checkpoints = dir.resolve("checkpoints");
        for (String fault : new String[] {"step@9", "checkpoint-write@2", "after-checkpoint@2", "checkpoint-write@3"}) {
            Process p = start(broker.bootstrapServers(), topic, snapshots, checkpoints, fault, valid);
            ChildJvm.awaitLine(p, "FAULT-POINT", fault);
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
        }
        Process last = start(broker.bootstrapServers(), topic, snapshots, checkpoints, null, valid);
        String end = ChildJvm.awaitLine(last, "stopped after step", "final run");
        assertTrue(last.waitFor(120, TimeUnit.SECONDS), "final run did not exit");
        assertEquals(0, last.exitValue(), end);

        List<ConsumerRecord<byte[], byte[]>> deadLetters = readCommitted(broker.bootstrapServers(), topic + ".dlq");
        Map<String, Integer> bySource = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            String source = header(r, DeadLetterPublisher.SOURCE_PARTITION_HEADER) + "@"
                    + header(r, DeadLetterPublisher.SOURCE_OFFSET_HEADER);
            bySource.merge(source, 1, Integer::sum);
        }
        assertEquals(poisonIndexes.size(), deadLetters.size(), "dead letters seen by a read_committed reader: " + bySource);
        assertTrue(bySource.values().stream().allMatch(n -> n == 1), "a dead letter was written twice: " + bySource);

        List<Long> versions = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(broker.bootstrapServers(), snapshots)) {
            versions.add(ModelSnapshots.decode(r.value()).version());
        }
        assertTrue(versions.size() >= 3, "snapshots: " + versions);
        for (int i = 1; i < versions.size(); i++) {
            assertTrue(versions.get(i) > versions.get(i - 1), "snapshot versions must strictly increase: " + versions);
        }
    }

    /** Every 100th record (index 50 mod 100) is poison; partitions are chosen so each ends with valid records. */
    private static List<Long> produce(String bootstrap, String topic) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        List<Long> poison = new ArrayList<>();
        Random r = new Random(3);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                String value = i % 100 == 50 ? "[1.0," : "[" + (float) r.nextGaussian() + "," + (float) r.nextGaussian() + "]";
                if (i % 100 == 50) {
                    poison.add((long) i);
                }
                producer.send(new ProducerRecord<>(topic, i % 3, null, value.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        return poison;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long quietSince = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // Read until nothing new arrives for 3 s (after the first records), or the deadline.
            while (System.nanoTime() < deadline && (out.isEmpty() || System.nanoTime() - quietSince < 3_000_000_000L)) {
                var polled = c.poll(Duration.ofMillis(200));
                if (!polled.isEmpty()) {
                    polled.forEach(out::add);
                    quietSince = System.nanoTime();
                }
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static Process start(String bootstrap, String topic, String snapshots, Path checkpoints, String fault,
            int records) throws IOException {
        return ChildJvm.start(fault == null ? List.of() : List.of("streamebm.fault=" + fault),
                "io.streamebm.pipeline.StreamEbmCli",
                List.of("train", "--bootstrap-server", bootstrap, "--topic", topic, "--group", topic + "-g",
                        "--checkpoint-dir", checkpoints.toString(), "--records", Integer.toString(records),
                        "--metrics-port", "0", "--model-name", "outputs",
                        "--set", "model.hidden=16,16", "--set", "loss.chains=64", "--set", "loss.k=2",
                        "--set", "batch.max-size=97", "--set", "checkpoint.every-steps=4",
                        "--set", "snapshot.topic=" + snapshots, "--set", "snapshot.every-steps=3"));
    }
}
