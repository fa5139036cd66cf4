package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer finds a change of its input stream: eight Gaussians for {@value #SWITCH} records,
 * then the checkerboard, on one partition. The first {@value #SWITCH} records are a stationary run,
 * in which no drift may be reported; the switch must be, within {@value #MAX_DELAY} records, as a
 * JSON event on the events topic that a {@code read_committed} reader sees, and on
 * {@code ebm_drift_events_total}.
 */
class TrainerDriftTest {

    private static final int SWITCH = 200_000;
    private static final int MAX_DELAY = 20_000;
    private static final int RECORDS = SWITCH + 30_000;
    private static final Pattern RECORDS_FIELD = Pattern.compile("\"records\":(\\d+)");

    @TempDir
    Path dir;

    @Test
    void aSwitchOfTheStreamIsPublishedOnTheEventsTopicAndTheStationaryPartIsQuiet() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        DatasetStream before = Datasets.eightGaussians(2.0, 0.1, 31);
        DatasetStream after = Datasets.checkerboard(4.0, 32);
        AtomicLong produced = new AtomicLong();
        String topic = produce(broker, "drifting", 1, JsonSampleCodec.INSTANCE,
                () -> produced.getAndIncrement() < SWITCH ? before.next() : after.next(), RECORDS);
        Trained run = train(broker, topic, "drifting", RECORDS, 256, "reinit-chains");
        List<String> found = run.events();
        long drifts = run.drifts();
        System.out.println("drift events: " + found);
        assertEquals(found.size(), drifts, "one count per published event");
        assertFalse(found.isEmpty(), "no drift event for the switch at record " + SWITCH);
        for (String e : found) {
            assertTrue(e.startsWith("{\"event\":\"drift\",\"model\":\"drifting\""), e);
            assertTrue(e.contains("\"reaction\":\"reinit-chains\""), e);
            assertTrue(recordsOf(e) > SWITCH, "a drift in the stationary part: " + e);
        }
        long delay = recordsOf(found.get(0)) - SWITCH;
        assertTrue(delay <= MAX_DELAY, "found " + delay + " records after the switch: " + found.get(0));
    }

    /**
     * Two million records of one stream raise no drift: the light model (so that the run fits in CI
     * time) with the default micro-batches of 256, the detector at its defaults. With micro-batches
     * of 1,024 one update of this model makes the next two batches look changed (bench/RESULTS.md,
     * "Calibration and drift").
     */
    @Test
    void twoMillionStationaryRecordsRaiseNoDrift() throws Exception {
        int records = 2_000_000;
        LocalKafkaBroker broker = TestBroker.get();
        String topic = produce(broker, "stationary", 2, Float32SampleCodec.INSTANCE,
                Datasets.eightGaussians(2.0, 0.1, 41)::next, records);
        Trained run = train(broker, topic, "stationary", records, 256, "none");
        assertEquals(List.of(), run.events(), "drift events on a stationary stream");
        assertEquals(0, run.drifts(), "ebm_drift_events_total on a stationary stream");
    }

    /** A new topic of {@code records} samples, and its events topic; returns the topic's name. */
    private static String produce(LocalKafkaBroker broker, String prefix, int partitions, SampleCodec codec,
            Supplier<float[]> samples, int records) {
        String topic = TestBroker.uniqueTopic(prefix);
        broker.createTopic(topic, partitions);
        broker.createTopic(topic + ".events", 1);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), prefix + "-producer")) {
            new SyntheticProducer(sender, topic, codec, samples).run(records, 0);
        }
        return topic;
    }

    /** What a training run with drift detection published: its committed events and its counter. */
    private record Trained(List<String> events, long drifts) {
    }

    /**
     * Trains the light model with drift detection on every record of {@code topic}, in micro-batches
     * of {@code batch}, publishing events on {@code <topic>.events}.
     */
    private Trained train(LocalKafkaBroker broker, String topic, String model, int records, int batch, String reaction) {
        Map<String, String> settings = LightModel.trainer(broker, topic, dir.resolve(topic));
        settings.putAll(Map.of(
                "model.name", model,
                "drift.enabled", "true",
                "drift.events-topic", topic + ".events",
                "drift.reaction", reaction,
                "batch.max-size", Integer.toString(batch)));
        settings.put("seed", "7");
        long drifts;
        try (TrainingJob job = new TrainingJob(PipelineConfig.parse(Map.of(), settings),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            assertEquals(records, job.run(records).recordsSeen());
            drifts = job.monitoring().drift().drifts();
        }
        return new Trained(readCommitted(broker.bootstrapServers(), topic + ".events"), drifts);
    }

    private static long recordsOf(String event) {
        Matcher m = RECORDS_FIELD.matcher(event);
        assertTrue(m.find(), event);
        return Long.parseLong(m.group(1));
    }

    /** Every committed event of the topic, in order. */
    private static List<String> readCommitted(String bootstrap, String topic) {
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrap, "group.id", topic + "-reader",
                "auto.offset.reset", "earliest", "enable.auto.commit", false, "isolation.level", "read_committed");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            // Assigned, not subscribed: no group join to wait for before the first records come.
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0));
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int idle = 0;
            while (System.nanoTime() < deadline && idle < 4) {
                int n = 0;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                    n++;
                }
                idle = n == 0 ? idle + 1 : 0;
            }
        }
        return out;
    }
}
