package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.ChildJvm;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once model state through the faults a running group meets, against a real broker: a
 * second, independent consumer (a plain {@code KafkaConsumer}, auto-committing what it reads)
 * joins the trainer's group mid-stream and leaves again, under the eager and the cooperative
 * assignor; and the broker is SIGKILLed and restarted mid-stream. In every case the records the
 * model counted equal the records in the topic, and its positions cover every one.
 */
class RebalanceExactlyOnceTest {

    private static final int RECORDS = 20_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void aMemberJoiningAndLeavingUnderTheEagerAssignorCountsEveryRecordOnce() throws Exception {
        joinAndLeave(RangeAssignor.class.getName());
    }

    @Test
    @Timeout(300)
    void aMemberJoiningAndLeavingUnderTheCooperativeAssignorCountsEveryRecordOnce() throws Exception {
        joinAndLeave(CooperativeStickyAssignor.class.getName());
    }

    private void joinAndLeave(String assignor) throws Exception {
        String bootstrap = TestBroker.get().bootstrapServers();
        String topic = TestBroker.uniqueTopic("rebalance");
        TestBroker.get().createTopic(topic, 3);
        String group = topic + "-g";

        CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> produce(bootstrap, topic, RECORDS, 400));
        try (TrainingJob job = new TrainingJob(config(bootstrap, topic, group, assignor), quiet())) {
            CompletableFuture<TrainingJob.Summary> run = CompletableFuture.supplyAsync(() -> job.run(RECORDS));
            awaitCounted(job, 1_000);

            // The intruder takes partitions from the trainer, reads and commits, then leaves.
            AtomicBoolean gotPartitions = new AtomicBoolean();
            long intruderRead = intrude(bootstrap, topic, group, assignor, Duration.ofSeconds(6), gotPartitions);
            assertTrue(gotPartitions.get(), "the second member never received a partition: no rebalance was tested");

            produced.get(120, TimeUnit.SECONDS);
            TrainingJob.Summary summary = finish(job, run);
            assertEquals(RECORDS, summary.recordsSeen(),
                    "records counted by the model (the intruder read " + intruderRead + " of them too)");
            assertCheckpointCovers(RECORDS);
        }
    }

    @Test
    @Timeout(600)
    void aBrokerKilledAndRestartedMidStreamCountsEveryRecordOnce() throws Exception {
        int port = LocalKafkaBroker.freePort();
        Path data = dir.resolve("broker");
        Process broker = startBroker(port, data);
        String bootstrap = "127.0.0.1:" + port;
        String topic = "restart";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // Not just createTopics: the idempotent producer below writes at once, before every partition may be led.
            LocalKafkaBroker.createTopic(admin, topic, 3, Map.of());
        }
        try {
            CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> produce(bootstrap, topic, RECORDS, 500));
            try (TrainingJob job = new TrainingJob(config(bootstrap, topic, "restart-g", RangeAssignor.class.getName()),
                    quiet())) {
                CompletableFuture<TrainingJob.Summary> run = CompletableFuture.supplyAsync(() -> job.run(RECORDS));
                awaitCounted(job, 2_000);
                long before = job.trainer().recordsSeen();
                broker.destroyForcibly(); // SIGKILL
                assertTrue(broker.waitFor(30, TimeUnit.SECONDS), "the broker did not die");
                Thread.sleep(2_000);
                broker = startBroker(port, data);

                produced.get(280, TimeUnit.SECONDS);
                assertEquals(RECORDS, recordsInTopic(bootstrap, topic), "the idempotent producer wrote each record once");
                TrainingJob.Summary summary = finish(job, run);
                assertTrue(before > 0 && before < RECORDS, "the kill fell mid-stream: " + before + " counted before it");
                assertEquals(RECORDS, summary.recordsSeen(), "records counted by the model");
                assertCheckpointCovers(RECORDS);
            }
        } finally {
            broker.destroy();
            broker.waitFor(60, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ helpers

    private PipelineConfig config(String bootstrap, String topic, String group, String assignor) {
        Map<String, String> m = new HashMap<>();
        m.put("kafka.bootstrap-servers", bootstrap);
        m.put("kafka.topic", topic);
        m.put("kafka.group", group);
        m.put("kafka.consumer.partition.assignment.strategy", assignor);
        m.put("checkpoint.dir", dir.resolve("checkpoints").toString());
        m.put("checkpoint.every-steps", "4");
        m.put("metrics.port", "0");
        m.put("snapshot.topic", "");
        m.put("model.hidden", "16,16");
        m.put("loss.chains", "64");
        m.put("loss.k", "2");
        m.put("batch.max-size", "97");
        return PipelineConfig.parse(Map.of(), m);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Waits until the model has counted {@code n} records, so that the fault falls mid-stream. */
    private static void awaitCounted(TrainingJob job, long n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (job.trainer().recordsSeen() < n) {
            assertTrue(System.nanoTime() < deadline, "the trainer never counted " + n + " records");
            sleep(20);
        }
    }

    /** Waits for the run to reach its record count; stops it (and reports a short count) if it never does. */
    private static TrainingJob.Summary finish(TrainingJob job, CompletableFuture<TrainingJob.Summary> run)
            throws Exception {
        try {
            return run.get(120, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            job.stop();
            return run.get(60, TimeUnit.SECONDS);
        }
    }

    private void assertCheckpointCovers(long records) throws IOException {
        Checkpoint c = new FileCheckpointStore(dir.resolve("checkpoints"), 3, (id, reason) -> { })
                .loadLatest().orElseThrow();
        assertEquals(records, c.recordsSeen(), "records in the final checkpoint");
        long covered = c.offsets().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(records, covered, "positions of the final checkpoint cover every record: " + c.offsets());
    }

    /** A plain consumer in the trainer's group: it polls for {@code duration}, auto-committing, then leaves. */
    private static long intrude(String bootstrap, String topic, String group, String assignor, Duration duration,
            AtomicBoolean gotPartitions) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "intruder");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
        p.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "200");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
        long read = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        gotPartitions.set(true);
                    }
                }
            });
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end) {
                read += c.poll(Duration.ofMillis(100)).count();
            }
        }
        return read;
    }

    /** Sends {@code n} samples in chunks of 1,000 with a pause between chunks, so training overlaps production. */
    private static void produce(String bootstrap, String topic, int n, long pauseMillis) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // A broker restarted after SIGKILL recovers its log first; on a loaded machine that takes a while.
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "240000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "240000");
        Random r = new Random(11);
        AtomicLong failures = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Exception> first = new java.util.concurrent.atomic.AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                String json = "[" + (float) r.nextGaussian() + "," + (float) r.nextGaussian() + "]";
                producer.send(new ProducerRecord<>(topic, json.getBytes(StandardCharsets.UTF_8)), (md, e) -> {
                    if (e != null) {
                        failures.incrementAndGet();
                        first.compareAndSet(null, e);
                    }
                });
                if (i % 1000 == 999) {
                    sleep(pauseMillis);
                }
            }
            producer.flush();
        }
        assertEquals(0, failures.get(), "sends failed, the first with " + first.get());
    }

    private static long recordsInTopic(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(60, TimeUnit.SECONDS).values().stream()
                    .mapToLong(i -> i.offset()).sum();
        }
    }

    /** The broker as a process of its own, so that it can be SIGKILLed; returns once it accepts clients. */
    private static Process startBroker(int port, Path data) throws IOException {
        Process p = ChildJvm.start(List.of(), "io.streamebm.broker.LocalKafkaBroker",
                List.of("--port", Integer.toString(port), "--data-dir", data.toString()));
        ChildJvm.awaitLine(p, line -> line.equals("127.0.0.1:" + port), "the broker on port " + port);
        return p;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
