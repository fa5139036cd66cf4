package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The product end to end on a real broker: eight Gaussians streamed into Kafka, PCD trained online
 * from it, snapshots on the snapshot topic, scores from the scoring job, and the live metrics
 * endpoint checked by promtool.
 */
class EndToEndTrainingTest {

    private static final int RECORDS = 96_000;
    private static final double RADIUS = 2.0;

    @TempDir
    Path dir;

    @Test
    void learnsEightGaussiansPublishesSnapshotsAndScores() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("e2e");
        String models = topic + ".models";
        String scores = topic + ".scores";
        broker.createTopic(topic, 3);
        broker.createTopic(models, 1);
        broker.createTopic(scores, 1);
        DatasetStream data = Datasets.eightGaussians(RADIUS, 0.1, 11);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "e2e-producer")) {
            new SyntheticProducer(sender, topic, JsonSampleCodec.INSTANCE, data::next).run(RECORDS, 0);
        }

        Map<String, String> settings = LightModel.trainer(broker, topic, dir.resolve("checkpoints"));
        settings.putAll(Map.of(
                "snapshot.topic", models,
                "snapshot.every-steps", "20",
                "score.topic", scores,
                "model.name", "e2e",
                "batch.max-size", "128"));
        PipelineConfig config = PipelineConfig.parse(Map.of(), settings);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (TrainingJob job = new TrainingJob(config, new PrintStream(log, true, StandardCharsets.UTF_8))) {
            TrainingJob.Summary summary = job.run(RECORDS);
            assertEquals(RECORDS, summary.recordsSeen());

            double[][] energies = job.trainer().onThread(() -> {
                float[] modes = new float[16];
                float[] between = new float[16];
                for (int k = 0; k < 8; k++) {
                    double a = k * Math.PI / 4;
                    double b = a + Math.PI / 8;
                    modes[2 * k] = (float) (RADIUS * Math.cos(a));
                    modes[2 * k + 1] = (float) (RADIUS * Math.sin(a));
                    between[2 * k] = (float) (RADIUS * Math.cos(b));
                    between[2 * k + 1] = (float) (RADIUS * Math.sin(b));
                }
                return new double[][] {
                    job.learner().energies(Nd4j.create(modes, new long[] {8, 2}, DataType.FLOAT)).toDoubleVector(),
                    job.learner().energies(Nd4j.create(between, new long[] {8, 2}, DataType.FLOAT)).toDoubleVector(),
                    job.learner().energies(Nd4j.zeros(DataType.FLOAT, 1, 2)).toDoubleVector()};
            });
            // Local contrast: each mode against the two points halfway to its neighbours on the circle.
            // (Far-apart sectors of the ring may sit at different overall levels early in training.)
            int lowerThanNeighbours = 0;
            double contrast = 0;
            for (int k = 0; k < 8; k++) {
                double neighbours = (energies[1][k] + energies[1][(k + 7) % 8]) / 2;
                contrast += neighbours - energies[0][k];
                if (energies[0][k] < neighbours) {
                    lowerThanNeighbours++;
                }
            }
            String report = "E(modes) " + java.util.Arrays.toString(energies[0]) + ", E(between) "
                    + java.util.Arrays.toString(energies[1]) + ", E(centre) " + energies[2][0];
            assertTrue(contrast > 0 && lowerThanNeighbours >= 6, lowerThanNeighbours + "/8 modes below their neighbours; " + report);
            assertTrue(mean(energies[0]) < energies[2][0], report);

            String scrape = get("http://127.0.0.1:" + job.monitoring().port() + "/metrics");
            assertTrue(scrape.contains("ebm_train_steps_total{"), scrape);
            assertTrue(scrape.contains("ebm_checkpoints_total{"), scrape);
            Path scrapeFile = Files.writeString(dir.resolve("scrape.txt"), scrape);
            Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectInput(scrapeFile.toFile())
                    .redirectErrorStream(true).start();
            String promtoolOut = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, promtool.waitFor(), "promtool check metrics on the live trainer:\n" + promtoolOut);
        }

        List<ConsumerRecord<byte[], byte[]>> snapshots = readAll(broker.bootstrapServers(), models, 1);
        assertTrue(snapshots.size() >= 3, "snapshots: " + snapshots.size());
        long previous = -1;
        for (ConsumerRecord<byte[], byte[]> r : snapshots) {
            assertEquals("e2e", new String(r.key(), StandardCharsets.UTF_8));
            ModelSnapshots.Snapshot s = ModelSnapshots.decode(r.value());
            assertTrue(s.version() > previous, "versions increase: " + previous + " then " + s.version());
            previous = s.version();
        }

        // --records N scores exactly N, and the next run goes on from there: a batch is cut.
        try (ScoreJob scorer = new ScoreJob(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            assertEquals(500, scorer.run(500));
        }
        try (ScoreJob scorer = new ScoreJob(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            assertEquals(230, scorer.run(230));
        }
        List<ConsumerRecord<byte[], byte[]>> scored = readAll(broker.bootstrapServers(), scores, 730);
        assertEquals(730, scored.size(), "scores written by runs of 500 and 230 records");
        assertEquals(730, scored.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)
                .replaceAll(".*\"partition\":(\\d+),\"offset\":(\\d+).*", "$1@$2")).distinct().count(),
                "no record scored twice");
        String first = new String(scored.get(0).value(), StandardCharsets.UTF_8);
        assertTrue(first.matches("\\{\"energy\":-?[0-9.E-]+,\"topic\":\"" + topic + "\",\"partition\":\\d,\"offset\":\\d+,\"modelVersion\":\\d+"
                + ",\"percentile\":([01]\\.[0-9]+(E-?[0-9]+)?|null),\"anomaly\":(true|false|null)}"), first);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int atLeast) {
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrap, "group.id", topic + "-reader-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "enable.auto.commit", false);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int idle = 0;
            while (System.nanoTime() < deadline && (out.size() < atLeast || idle < 3)) {
                int n = 0;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.add(r);
                    n++;
                }
                idle = n == 0 ? idle + 1 : 0;
            }
        }
        return out;
    }
}
