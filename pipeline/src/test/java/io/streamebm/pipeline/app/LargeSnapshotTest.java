package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose snapshot is larger than Kafka's default record limit of 1 MiB (2→512→512→1,
 * 265,000 parameters) publishes its snapshots: the trainer creates the snapshot topic large
 * enough. A snapshot topic that exists with the default limit is refused when the job starts, with
 * the command that raises it, rather than stopping the trainer at its first snapshot. With
 * scale-out the same holds for the params topic, whose contributions are as large as the model.
 */
class LargeSnapshotTest {

    private static final int RECORDS = 2_000;

    @TempDir
    Path dir;

    private LocalKafkaBroker broker;
    private String topic;
    private String models;

    /** A new input topic of {@value #RECORDS} records; its snapshot topic does not exist yet. */
    @BeforeEach
    void produce() {
        broker = TestBroker.get();
        topic = TestBroker.uniqueTopic("large");
        models = topic + ".models";
        broker.createTopic(topic, 1);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "large-producer")) {
            new SyntheticProducer(sender, topic, Float32SampleCodec.INSTANCE, Datasets.eightGaussians(2.0, 0.1, 3)::next)
                    .run(RECORDS, 0);
        }
    }

    @Test
    void aSnapshotOverOneMebibyteReachesAPlainReader() throws Exception {
        try (TrainingJob job = new TrainingJob(config(), quiet())) {
            assertEquals(RECORDS, job.run(RECORDS).recordsSeen());
        }
        List<ConsumerRecord<byte[], byte[]>> snapshots = EndToEndTrainingTest.readAll(broker.bootstrapServers(), models, 1);
        assertTrue(!snapshots.isEmpty(), "no snapshot on " + models);
        byte[] value = snapshots.get(snapshots.size() - 1).value();
        assertTrue(value.length > 1 << 20, "a snapshot of " + value.length + " bytes does not test the limit");
        ModelSnapshots.Snapshot s = ModelSnapshots.decode(value);
        assertEquals(RECORDS, s.recordsSeen(), "the last snapshot counts every record");
    }

    @Test
    void anExistingTopicTooSmallForTheModelIsRefusedAtStart() throws Exception {
        broker.createTopic(models, 1); // the broker's default limit, about 1 MiB
        try (TrainingJob job = new TrainingJob(config(), quiet())) {
            ConfigException e = assertThrows(ConfigException.class, () -> job.run(RECORDS));
            assertTrue(e.getMessage().contains("snapshot.topic '" + models + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("max.message.bytes"), e.getMessage());
            assertEquals(0, job.trainer().recordsSeen(), "nothing trained before the refusal");
        }
    }

    @Test
    void aMemberSharesAContributionOverOneMebibyteThroughTheParamsTopicItCreates() throws Exception {
        String params = topic + "-wide.params";
        try (TrainingJob job = new TrainingJob(scaleOut(), quiet())) {
            assertEquals(RECORDS, job.run(RECORDS).recordsSeen());
        }
        // An independent reader: the newest committed contribution, as another member would read it.
        byte[] newest = GroupCount.newestValue(broker.bootstrapServers(), params);
        assertTrue(newest != null && newest.length > 1 << 20, "a contribution over 1 MiB on " + params);
        assertEquals(RECORDS, ParamsTopic.parse(newest).contribution().records());
    }

    @Test
    void anExistingParamsTopicTooSmallForTheModelIsRefusedAtStart() throws Exception {
        String params = topic + "-wide.params";
        broker.createTopic(params, 1, Map.of("cleanup.policy", "compact")); // the broker's default limit, about 1 MiB
        try (TrainingJob job = new TrainingJob(scaleOut(), quiet())) {
            ConfigException e = assertThrows(ConfigException.class, () -> job.run(RECORDS));
            assertTrue(e.getMessage().contains("scale-out.params-topic '" + params + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("a contribution of this model takes up to"), e.getMessage());
            assertTrue(e.getMessage().contains("--add-config max.message.bytes="), e.getMessage());
            assertEquals(0, job.trainer().recordsSeen(), "nothing trained before the refusal");
        }
    }

    /** {@link #config} as the one member of a group sharing its model through {@code <topic>-wide.params}. */
    private PipelineConfig scaleOut() {
        return config().with(Map.of("scale-out.enabled", "true", "model.name", topic + "-wide"));
    }

    private PipelineConfig config() {
        // The light model made wide (2-512-512-1) and trained by denoising score matching, which is fast.
        Map<String, String> s = LightModel.trainer(broker, topic, dir.resolve(topic));
        s.putAll(Map.of(
                "snapshot.topic", models,
                "snapshot.every-steps", "5",
                "model.hidden", "512,512",
                "loss.type", "dsm",
                "quality.every-steps", "0"));
        s.put("batch.max-size", "100");
        return PipelineConfig.parse(Map.of(), s);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
