package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer calibrates its snapshots: trained online from Kafka on eight Gaussians, its newest
 * snapshot carries the percentiles of the recent training energies, and {@code score} then gives
 * every held-out record of the same distribution a numeric percentile and an anomaly flag, with
 * about the configured share (0.5% at 0.995) flagged.
 */
class TrainerCalibrationTest {

    private static final int TRAINING = 60_000;
    private static final int HELD_OUT = 40_000;

    @TempDir
    Path dir;

    @Test
    void scoresOfStationaryHeldOutDataFlagTheConfiguredShare() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("calibrated");
        String heldOut = topic + ".held-out";
        String models = topic + ".models";
        String scores = topic + ".scores";
        broker.createTopic(topic, 1);
        broker.createTopic(heldOut, 1);
        broker.createTopic(models, 1);
        broker.createTopic(scores, 1);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "calibrated-producer")) {
            new SyntheticProducer(sender, topic, JsonSampleCodec.INSTANCE, Datasets.eightGaussians(2.0, 0.1, 21)::next)
                    .run(TRAINING, 0);
            new SyntheticProducer(sender, heldOut, JsonSampleCodec.INSTANCE, Datasets.eightGaussians(2.0, 0.1, 22)::next)
                    .run(HELD_OUT, 0);
        }
        Map<String, String> settings = LightModel.trainer(broker, topic, dir.resolve("checkpoints"));
        settings.putAll(Map.of(
                "snapshot.topic", models,
                "snapshot.every-steps", "100",
                "score.topic", scores,
                "model.name", "calibrated"));
        // The light model of EndToEndTrainingTest, still learning at the end: a window of 5,000
        // keeps the sketch to energies of models close to the snapshot's (measured: 0.63% flagged;
        // with 10,000 and two partitions, 0.75%). One partition: the same order every run.
        // Every batch is measured: this test checks what the sketch makes of the energies,
        // OnlineTrainerTest checks which batches are measured.
        settings.putAll(Map.of("batch.max-size", "128", "calibration.window-records", "5000", "seed", "5"));
        settings.put("calibration.every-batches", "1");
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        try (TrainingJob job = new TrainingJob(config, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8))) {
            assertEquals(TRAINING, job.run(TRAINING).recordsSeen());
        }

        Map<String, String> scoring = new HashMap<>(settings);
        scoring.put("kafka.topic", heldOut);
        scoring.put("kafka.group", heldOut + "-scorer");
        PipelineConfig scorerConfig = PipelineConfig.parse(Map.of(), scoring);
        try (ScoreJob scorer = new ScoreJob(scorerConfig, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8))) {
            scorer.run(HELD_OUT);
        }
        List<ConsumerRecord<byte[], byte[]>> scored = EndToEndTrainingTest.readAll(broker.bootstrapServers(), scores,
                HELD_OUT);
        assertTrue(scored.size() >= HELD_OUT, "scores: " + scored.size());
        NewestScores newest = NewestScores.of(scored);
        assertTrue(newest.counted() >= HELD_OUT * 3 / 4, newest.counted() + " of " + scored.size()
                + " scored by version " + newest.version());
        double share = newest.share();
        System.out.printf(java.util.Locale.ROOT, "calibration: flagged %d of %d held-out records (%.3f%%) by version %d%n",
                newest.flagged(), newest.counted(), 100 * share, newest.version());
        assertTrue(share >= 0.002 && share <= 0.008, "flagged " + newest.flagged() + " of " + newest.counted() + " = "
                + 100 * share + "%");
    }
}
