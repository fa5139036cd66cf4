package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.StreamEbmCli;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a cluster that creates no topic by itself ({@code auto.create.topics.enable=false}, as many
 * production clusters are set), {@code produce}, {@code train} and {@code score} create the topics
 * they write (the input, dead-letter, snapshot, drift-event and score topics) instead of blocking on
 * the first record sent to one of them. A plain {@link KafkaProducer} adds a corrupt record to the
 * input; the outputs are read by a plain consumer.
 */
class StrictClusterTopicsTest {

    private static final int VALID = 3_000;

    @TempDir
    Path dir;

    @Test
    void trainAndScoreCreateTheTopicsTheyWriteOnAClusterThatDoesNot() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(0, dir.resolve("broker"),
                Map.of("auto.create.topics.enable", "false"))) {
            String topic = "strict";
            String bootstrap = broker.bootstrapServers();
            // produce creates its topic; a plain producer then appends the corrupt record.
            assertEquals(0, StreamEbmCli.execute("produce", "--bootstrap-server", bootstrap, "--topic", topic,
                    "--records", Integer.toString(VALID / 2), "--rate", "0", "--seed", "1", "--partitions", "3"));
            Map<String, Object> props = Map.of("bootstrap.servers", bootstrap, "max.block.ms", 20_000);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, "{not json".getBytes(StandardCharsets.UTF_8))).get();
            }
            assertEquals(0, StreamEbmCli.execute("produce", "--bootstrap-server", bootstrap, "--topic", topic,
                    "--records", Integer.toString(VALID / 2), "--rate", "0", "--seed", "2"));
            Map<String, String> settings = LightModel.trainer(broker, topic, dir.resolve("checkpoints"));
            settings.putAll(Map.of(
                    "model.name", "strict",
                    "snapshot.topic", topic + ".models",
                    "snapshot.every-steps", "5",
                    "score.topic", topic + ".scores",
                    "drift.enabled", "true",
                    "batch.max-size", "128"));
            PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                try (TrainingJob job = new TrainingJob(config, quiet)) {
                    assertEquals(VALID, job.run(VALID).recordsSeen());
                }
                try (ScoreJob scorer = new ScoreJob(config, quiet)) {
                    assertEquals(VALID, scorer.run(VALID));
                }
            });
            List<ConsumerRecord<byte[], byte[]>> deadLetters = EndToEndTrainingTest.readAll(bootstrap, topic + ".dlq", 2);
            assertEquals(2, deadLetters.size(), "the corrupt record, dead-lettered by train and by score");
            assertEquals("{not json", new String(deadLetters.get(0).value(), StandardCharsets.UTF_8));
            assertTrue(EndToEndTrainingTest.readAll(bootstrap, topic + ".models", 1).size() >= 1, "snapshots");
            assertEquals(VALID, EndToEndTrainingTest.readAll(bootstrap, topic + ".scores", VALID).size(), "scores");
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", bootstrap))) {
                assertEquals(3, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size(),
                        "produce --partitions 3 created the input topic with 3 partitions");
                assertTrue(admin.listTopics().names().get().contains("strict.events"),
                        "the drift events topic exists before the first drift");
            }
        }
    }
}
