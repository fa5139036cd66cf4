package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.checkpoint.ForgedCheckpoints;
import io.streamebm.pipeline.train.Models;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code score} as a child process against the real broker, fed forged snapshots through a plain
 * {@link KafkaProducer}: each is logged with its reason and skipped, scoring goes on with the last
 * good model, every score is valid JSON, and SIGTERM stops it. A calibrated snapshot gives every
 * record its percentile and anomaly flag; one without calibration gives nulls. And through a SIGKILL, a
 * {@code read_committed} reader sees every record scored exactly once.
 */
class ForgedSnapshotsScoreTest {

    /** One score record as JSON: no NaN or Infinity literals, ever. */
    private static final Pattern SCORE = Pattern.compile(
            "\\{\"energy\":(-?[0-9]+\\.[0-9]+(E-?[0-9]+)?|null),\"topic\":\"[A-Za-z0-9._-]+\",\"partition\":[0-9]+,"
                    + "\"offset\":[0-9]+,\"modelVersion\":([0-9]+)(,\"nonFinite\":\"(NaN|Infinity|-Infinity)\")?"
                    + ",\"percentile\":([01]\\.[0-9]+(E-?[0-9]+)?|null),\"anomaly\":(true|false|null)}");

    @TempDir
    Path dir;

    @Test
    void forgedSnapshotsAreRejectedWithAReasonAndScoringGoesOnWithTheLastGoodModel() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        Topics t = new Topics(broker, "forged");
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                ScoresReader scores = new ScoresReader(broker, t.scores)) {
            producer.send(snapshot(t, "forged", "forged", 2, 100, UnaryOperator.identity())).get();
            try (ChildProcess scorer = score(broker, t, "forged", List.of())) {
                scorer.awaitLine("scoring with model version 100");
                produceInputs(producer, t, 10);
                assertAllScoredWith(scores.await(10), 100);

                List<ProducerRecord<byte[], byte[]>> forged = List.of(
                        raw(t, "forged", ForgedCheckpoints.hugeArray(1L << 30)),
                        raw(t, "forged", ForgedCheckpoints.hugeString(Integer.MAX_VALUE - 8)),
                        snapshot(t, "forged", "forged", 2, Long.MAX_VALUE, a -> a.assign(Float.NaN)),
                        snapshot(t, "forged", "forged", 2, Long.MAX_VALUE, UnaryOperator.identity()),
                        snapshot(t, "forged", "forged", 3, 200, UnaryOperator.identity()),
                        snapshot(t, "forged", "someone-else", 2, 200, UnaryOperator.identity()),
                        raw(t, "forged", withCalibrationSection(2, 200, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0})));
                String[] reasons = {"malformed", "malformed", "non_finite", "version_jump", "wrong_shape", "wrong_model",
                    "bad_calibration"};
                for (int i = 0; i < forged.size(); i++) {
                    producer.send(forged.get(i)).get();
                    String line = scorer.awaitLine("rejected, ");
                    assertTrue(line.contains("rejected, " + reasons[i] + ": "), line);
                    assertTrue(line.endsWith("scoring goes on with version 100"), line);
                    produceInputs(producer, t, 10);
                    assertAllScoredWith(scores.await(10 * (i + 2)), 100);
                }

                // A genuine snapshot whose weights are finite but so large that energies overflow:
                // accepted, and its non-finite energies are written as null, never as NaN.
                producer.send(snapshot(t, "forged", "forged", 2, 150, a -> a.addi(1e30f))).get();
                scorer.awaitLine("scoring with model version 150");
                produceInputs(producer, t, 10);
                List<String> all = scores.await(90);
                assertAllValidJson(all);
                for (String s : all.subList(80, 90)) {
                    assertTrue(s.startsWith("{\"energy\":null,") && s.contains("\"modelVersion\":150,\"nonFinite\":"), s);
                }

                scorer.sigterm();
                String summary = scorer.awaitLine("scored ");
                assertEquals("scored 90 records; 7 snapshots rejected malformed=2 wrong_model=1 wrong_shape=1"
                        + " non_finite=1 bad_calibration=1 version_jump=1", summary);
                assertTrue(scorer.ended(), "score did not stop on SIGTERM:\n" + scorer.output());
            }
        }
    }

    @Test
    void aCalibratedSnapshotGivesEveryRecordItsPercentileAndAnomalyFlag() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        Topics t = new Topics(broker, "calibrated");
        // The inputs are (0.5, -0.25), (1.5, -0.25) and (2.5, -0.25) in turn; their energies rise in that order.
        Map<String, String> shape = Map.of(Models.TYPE, "gaussian", Models.DIM, "2");
        float[] e = Models.build(shape, 0).energyValues(org.nd4j.linalg.factory.Nd4j.create(
                new float[] {0.5f, -0.25f, 1.5f, -0.25f, 2.5f, -0.25f}, new long[] {3, 2})).toFloatVector();
        // Half the training energies at or below the first, 99.9% at or below the second.
        EnergyPercentiles calibration = EnergyPercentiles.of(e, new long[] {500, 999, 1000});
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                ScoresReader scores = new ScoresReader(broker, t.scores);
                ChildProcess scorer = score(broker, t, "calibrated", List.of())) {
            producer.send(snapshot(t, "calibrated", "calibrated", 2, 3, UnaryOperator.identity())).get();
            assertTrue(scorer.awaitLine("scoring with model version 3").endsWith(
                    ", without calibration (percentile and anomaly are null)"));
            produceInputs(producer, t, 3);
            for (String s : scores.await(3)) {
                assertTrue(s.endsWith("\"modelVersion\":3,\"percentile\":null,\"anomaly\":null}"), s);
            }

            Map<String, String> meta = new HashMap<>(shape);
            meta.put("model.name", "calibrated");
            meta.put("version", "4");
            producer.send(raw(t, "calibrated", ModelSnapshots.encode(4, 4, meta,
                    Models.parameters(Models.build(shape, 0)), java.util.Optional.of(calibration)))).get();
            assertTrue(scorer.awaitLine("scoring with model version 4").endsWith(
                    ", calibrated on 1000 recent training energies"));
            produceInputs(producer, t, 6);
            List<String> all = scores.await(9);
            assertAllValidJson(all);
            String[] expected = {"\"percentile\":0.5,\"anomaly\":false}", "\"percentile\":0.999,\"anomaly\":true}",
                "\"percentile\":1.0,\"anomaly\":true}"};
            for (int i = 3; i < 9; i++) {
                assertTrue(all.get(i).endsWith("\"modelVersion\":4," + expected[i % 3]), all.get(i));
            }
            scorer.sigterm();
            assertEquals("scored 9 records; 0 snapshots rejected", scorer.awaitLine("scored "));
        }
    }

    @Test
    void withAKeyOnlySnapshotsSignedWithItAreUsed() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        Topics t = new Topics(broker, "signed");
        String key = "test-key-" + Long.toHexString(System.nanoTime()) + "-0123456789";
        Path keyFile = Files.writeString(dir.resolve("snapshot.key"), key + "\n");
        SnapshotSigner signer = SnapshotSigner.of(key.getBytes(StandardCharsets.UTF_8));
        SnapshotSigner forger = SnapshotSigner.of("not-the-key-0123456789".getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                ScoresReader scores = new ScoresReader(broker, t.scores);
                ChildProcess scorer = score(broker, t, "signed", List.of("--set", "snapshot.signing-key-file=" + keyFile))) {
            producer.send(snapshot(t, "signed", "signed", 2, 10, UnaryOperator.identity())).get();
            assertTrue(scorer.awaitLine("rejected, ").contains("rejected, unsigned: "));

            ProducerRecord<byte[], byte[]> wrong = snapshot(t, "signed", "signed", 2, 20, UnaryOperator.identity());
            wrong.headers().add(SnapshotSigner.HEADER, forger.sign(wrong.value()));
            producer.send(wrong).get();
            assertTrue(scorer.awaitLine("rejected, ").contains("rejected, bad_signature: "));

            ProducerRecord<byte[], byte[]> good = snapshot(t, "signed", "signed", 2, 30, UnaryOperator.identity());
            good.headers().add(SnapshotSigner.HEADER, signer.sign(good.value()));
            producer.send(good).get();
            scorer.awaitLine("scoring with model version 30");
            produceInputs(producer, t, 10);
            assertAllScoredWith(scores.await(10), 30);

            scorer.sigterm();
            assertEquals("scored 10 records; 2 snapshots rejected unsigned=1 bad_signature=1", scorer.awaitLine("scored "));
            assertTrue(scorer.ended(), "score did not stop on SIGTERM:\n" + scorer.output());
            assertFalse(scorer.output().contains(key), "the key appears in the output:\n" + scorer.output());
        }
    }

    @Test
    void scoresAreWrittenOnceThroughASigkill() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        Topics t = new Topics(broker, "once");
        int n = 20_000;
        // Small polls: many transactions, so the kill falls between a batch's scores and their commit.
        List<String> smallPolls = List.of("--set", "kafka.consumer.max.poll.records=50");
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                ScoresReader scores = new ScoresReader(broker, t.scores)) {
            producer.send(snapshot(t, "once", "once", 2, 7, UnaryOperator.identity())).get();
            produceInputs(producer, t, n);
            try (ChildProcess first = score(broker, t, "once", smallPolls)) {
                int before = scores.await(1_000).size();
                first.process.destroyForcibly().waitFor(); // SIGKILL
                assertTrue(before < n, "the kill fell mid-stream");
            }
            try (ChildProcess second = score(broker, t, "once", smallPolls)) {
                scores.await(n);
                second.sigterm();
                assertTrue(second.ended(), "score did not stop on SIGTERM:\n" + second.output());
            }
            List<String> all = scores.drain(Duration.ofSeconds(3));
            assertAllValidJson(all);
            java.util.Set<String> offsets = new java.util.HashSet<>();
            for (String score : all) {
                java.util.regex.Matcher m = Pattern.compile("\"partition\":(\\d+),\"offset\":(\\d+)").matcher(score);
                assertTrue(m.find(), score);
                assertTrue(offsets.add(m.group(1) + "@" + m.group(2)), "scored twice: " + score);
            }
            assertEquals(n, offsets.size(), "every record scored once for a read_committed reader");
        }
    }

    private record Topics(String input, String models, String scores) {
        Topics(LocalKafkaBroker broker, String prefix) {
            this(TestBroker.uniqueTopic(prefix + "-in"), TestBroker.uniqueTopic(prefix + "-models"),
                    TestBroker.uniqueTopic(prefix + "-scores"));
            broker.createTopic(input, 1);
            broker.createTopic(models, 1);
            broker.createTopic(scores, 1);
        }
    }

    private static void assertAllScoredWith(List<String> all, long version) {
        assertAllValidJson(all);
        for (String s : all) {
            assertTrue(s.contains("\"modelVersion\":" + version + ","), s);
        }
    }

    private static void assertAllValidJson(List<String> all) {
        for (String s : all) {
            assertTrue(SCORE.matcher(s).matches(), "not a valid score record: " + s);
        }
    }

    /** A snapshot as the trainer writes it, of a Gaussian model, with its parameters passed through {@code edit}. */
    private static ProducerRecord<byte[], byte[]> snapshot(Topics t, String key, String modelName, int dim, long version,
            UnaryOperator<INDArray> edit) throws IOException {
        Map<String, String> shape = Map.of(Models.TYPE, "gaussian", Models.DIM, Integer.toString(dim));
        Map<String, INDArray> params = new HashMap<>(Models.parameters(Models.build(shape, 0)));
        params.replaceAll((name, a) -> edit.apply(a));
        Map<String, String> meta = new HashMap<>(shape);
        meta.put("model.name", modelName);
        meta.put("version", Long.toString(version));
        return raw(t, key, CheckpointFormat.encode(new Checkpoint(version, version, Map.of(), meta, params)));
    }

    /** A valid snapshot of a Gaussian model whose calibration section holds {@code section}. */
    private static byte[] withCalibrationSection(int dim, long version, byte[] section) throws IOException {
        Map<String, String> shape = Map.of(Models.TYPE, "gaussian", Models.DIM, Integer.toString(dim));
        Map<String, String> meta = new HashMap<>(shape);
        meta.put("model.name", "forged");
        meta.put("version", Long.toString(version));
        return CheckpointFormat.encode(new Checkpoint(version, version, Map.of(), meta,
                Models.parameters(Models.build(shape, 0)), Map.of(ModelSnapshots.CALIBRATION_SECTION, section)));
    }

    private static ProducerRecord<byte[], byte[]> raw(Topics t, String key, byte[] value) {
        return new ProducerRecord<>(t.models, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static void produceInputs(KafkaProducer<byte[], byte[]> producer, Topics t, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(t.input, null, ("[" + (i % 3) + ".5,-0.25]").getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
    }

    private static KafkaProducer<byte[], byte[]> producer(LocalKafkaBroker broker) {
        return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "max.request.size", 4 << 20),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Reads the score topic from the start, keeping every value seen. */
    private static final class ScoresReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final List<String> values = new ArrayList<>();

        ScoresReader(LocalKafkaBroker broker, String topic) {
            // read_committed: score writes each batch's scores in a transaction.
            consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "auto.offset.reset", "earliest", "enable.auto.commit", false,
                    "isolation.level", "read_committed"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.assign(List.of(new TopicPartition(topic, 0)));
        }

        /** Every score so far, once there are at least {@code n}; fails after two minutes without them. */
        List<String> await(int n) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (values.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            assertTrue(values.size() >= n, "expected " + n + " scores, got " + values.size()
                    + (values.size() < 50 ? ": " + values : ""));
            return List.copyOf(values);
        }

        /** Every score, after reading on for {@code quiet} more (to catch any written twice). */
        List<String> drain(Duration quiet) {
            long deadline = System.nanoTime() + quiet.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            return List.copyOf(values);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static ChildProcess score(LocalKafkaBroker broker, Topics t, String modelName, List<String> extra)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("score", "--bootstrap-server", broker.bootstrapServers(),
                "--topic", t.input, "--group", t.input + "-g", "--scores-topic", t.scores, "--set", "model.type=gaussian",
                "--model-name", modelName, "--set", "snapshot.topic=" + t.models,
                "--set", "kafka.consumer.max.partition.fetch.bytes=" + (4 << 20)));
        args.addAll(extra);
        return ChildProcess.start(List.of("-Xmx256m"), args);
    }
}
