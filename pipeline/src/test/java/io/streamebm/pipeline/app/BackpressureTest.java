package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.ReceiverStats;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpressure reaches Kafka: with the whole topic already written, training is slower than the
 * input, so the consumer must pause instead of pulling everything into memory.
 */
class BackpressureTest {

    private static final int RECORDS = 30_000;

    @TempDir
    Path dir;

    @Test
    void aSlowTrainerPausesTheConsumerAndKeepsInFlightRecordsBounded() {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("backpressure");
        broker.createTopic(topic, 3);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "backpressure-producer")) {
            new SyntheticProducer(sender, topic, Float32SampleCodec.INSTANCE, Datasets.stream("two-moons", 5)::next)
                    .run(RECORDS, 0);
        }
        Map<String, String> settings = new HashMap<>(Map.of(
                "kafka.bootstrap-servers", broker.bootstrapServers(),
                "kafka.topic", topic,
                "kafka.group", topic + "-g",
                "checkpoint.dir", dir.toString(),
                "checkpoint.every-steps", "10",
                "metrics.port", "0",
                "snapshot.topic", ""));
        settings.putAll(Map.of("model.hidden", "16,16", "loss.chains", "64", "loss.k", "20", "batch.max-size", "100",
                "kafka.consumer.max.poll.records", "500"));
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        try (TrainingJob job = new TrainingJob(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            TrainingJob.Summary s = job.run(RECORDS);
            assertEquals(RECORDS, s.recordsSeen());
            ReceiverStats stats = job.receiverStats().orElseThrow();
            assertTrue(stats.pauses() > 0, "the consumer never paused: " + stats);
            // Unacknowledged records are what one checkpoint interval covers (10 x 100) plus the few
            // poll batches of 500 that the operators prefetch: far below the 30,000 available.
            assertTrue(stats.maxInFlightRecords() <= 5_000, "records in flight: " + stats);
            assertTrue(stats.polls() > stats.batches(), "polling went on while paused: " + stats);
        }
    }
}
