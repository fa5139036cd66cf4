package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.StreamEbmCli;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.InputBatch;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerListener;
import io.streamebm.telemetry.StepRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** The application around the trainer: configuration errors, checkpoint recovery, divergence, the demo. */
class ApplicationTest {

    @TempDir
    Path dir;

    private static final Map<String, String> SMALL = Map.of(
            "model.hidden", "16,16", "loss.chains", "64", "loss.k", "2", "batch.max-size", "50",
            "checkpoint.every-steps", "2", "metrics.port", "0");

    private PipelineConfig config(Map<String, String> extra) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(SMALL);
        m.put("checkpoint.dir", dir.resolve("checkpoints").toString());
        m.putAll(extra);
        return PipelineConfig.parse(Map.of(), m);
    }

    /** Batches of Gaussian samples from one source, as the Kafka adapter would hand them over. */
    private static Flux<InputBatch> batches(int count, int size, long seed) {
        Random r = new Random(seed);
        return Flux.range(0, count).map(b -> {
            List<InputBatch.Sample> s = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                s.add(new InputBatch.Sample("t-0", (long) b * size + i,
                        new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()}));
            }
            return new InputBatch(s, Map.of("t-0", (long) (b + 1) * size), () -> { });
        });
    }

    private static final class Captured implements AutoCloseable {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final PrintStream oldOut = System.out;
        private final PrintStream oldErr = System.err;

        Captured() {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        }

        String all() {
            return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static int cli(Captured c, String... args) {
        return StreamEbmCli.execute(args);
    }

    @Test
    void badConfigurationIsNamedAndExitsWithTwo() {
        try (Captured c = new Captured()) {
            assertEquals(2, cli(c, "train", "--bootstrap-server", "127.0.0.1:1", "--loss", "foo"));
            assertTrue(c.all().contains("loss.type = 'foo': must be one of [cd, pcd, sm, ssm, dsm, mle, nce]"), c.all());
        }
        try (Captured c = new Captured()) {
            assertEquals(2, cli(c, "train", "--bootstrap-server", "127.0.0.1:1", "--set", "sampler.step-size=-0.5",
                    "--set", "no.such.key=1"));
            assertTrue(c.all().contains("sampler.step-size = '-0.5': must be a number > 0"), c.all());
            assertTrue(c.all().contains("unknown setting 'no.such.key'"), c.all());
        }
        try (Captured c = new Captured()) {
            assertEquals(2, cli(c, "train", "--loss", "pcd"));
            assertTrue(c.all().contains("kafka.bootstrap-servers is missing"), c.all());
        }
    }

    @Test
    void aCheckpointOfAnotherDimensionIsRefusedWithTwo() {
        PipelineConfig two = config(Map.of("kafka.bootstrap-servers", "127.0.0.1:1"));
        try (OnlineTrainer t = new OnlineTrainer(new EbmLearner(two), store(), TrainingJob.trainerOptions(two),
                new TrainerListener() { })) {
            t.train(batches(2, 50, 1)).blockLast();
        }
        LocalKafkaBroker broker = TestBroker.get();
        try (Captured c = new Captured()) {
            int code = cli(c, "train", "--bootstrap-server", broker.bootstrapServers(), "--dim", "3",
                    "--checkpoint-dir", dir.resolve("checkpoints").toString(), "--metrics-port", "0",
                    "--set", "model.hidden=16,16", "--set", "loss.chains=64");
            assertEquals(2, code, c.all());
            assertTrue(c.all().contains("model.dim: checkpoint has 2, configuration has 3"), c.all());
            assertTrue(c.all().contains("--fresh-start"), c.all());
        }
    }

    private FileCheckpointStore store() {
        return new FileCheckpointStore(dir.resolve("checkpoints"), 3, (id, r) -> { });
    }

    @Test
    void aCorruptedNewestCheckpointFallsBackToThePreviousAndSaysSo() throws Exception {
        PipelineConfig cfg = config(Map.of("kafka.bootstrap-servers", TestBroker.get().bootstrapServers()));
        try (OnlineTrainer t = new OnlineTrainer(new EbmLearner(cfg), store(), TrainingJob.trainerOptions(cfg),
                new TrainerListener() { })) {
            t.train(batches(5, 50, 2)).blockLast(); // checkpoints at steps 2, 4 and the final 5
        }
        Path newest = dir.resolve("checkpoints").resolve("ckpt-0000000000000005").resolve("state.ckpt");
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 3] ^= 1;
        Files.write(newest, bytes);

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (TrainingJob job = new TrainingJob(cfg, new PrintStream(log, true, StandardCharsets.UTF_8))) {
            TrainingJob.Summary s = job.run(1); // already past 1 record: restore only
            assertEquals(4, s.steps());
            assertEquals(200, s.recordsSeen());
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("checkpoint ckpt-0000000000000005 skipped: checksum mismatch"), text);
        assertTrue(text.contains("resumed from checkpoint at step 4"), text);
    }

    @Test
    void aNewestCheckpointLinkedToDevZeroIsSkippedWithAReasonAndThePreviousUsed() throws Exception {
        PipelineConfig cfg = config(Map.of("kafka.bootstrap-servers", TestBroker.get().bootstrapServers()));
        try (OnlineTrainer t = new OnlineTrainer(new EbmLearner(cfg), store(), TrainingJob.trainerOptions(cfg),
                new TrainerListener() { })) {
            t.train(batches(4, 50, 3)).blockLast(); // checkpoints at steps 2 and 4
        }
        Path newest = Files.createDirectories(dir.resolve("checkpoints").resolve("ckpt-0000000000000009"));
        Files.createSymbolicLink(newest.resolve("state.ckpt"), Path.of("/dev/zero"));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // Reading /dev/zero whole used to run the trainer thread out of memory and hang restore()
        // for ever: bound the wait so that a regression fails instead of hanging the build.
        TrainingJob.Summary s = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            try (TrainingJob job = new TrainingJob(cfg, new PrintStream(log, true, StandardCharsets.UTF_8))) {
                return job.run(1); // already past 1 record: restore only
            }
        });
        assertEquals(4, s.steps());
        assertEquals(200, s.recordsSeen());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("checkpoint ckpt-0000000000000009 skipped: not a regular file"), text);
        assertTrue(text.contains("resumed from checkpoint at step 4"), text);
    }

    @Test
    void anInjectedNonFiniteStepIsRolledBackAndTrainingGoesOn() {
        PipelineConfig cfg = config(Map.of("kafka.bootstrap-servers", "127.0.0.1:1"));
        EbmLearner real = new EbmLearner(cfg);
        List<String> divergences = new ArrayList<>();
        List<StepRecord> results;
        try (OnlineTrainer t = new OnlineTrainer(new PoisonOnce(real, 3), store(), TrainingJob.trainerOptions(cfg),
                new TrainerListener() {
                    @Override
                    public void diverged(long step, String reason, String reaction) {
                        divergences.add(step + ": " + reaction + ": " + reason);
                    }
                })) {
            results = t.train(batches(6, 50, 3)).collectList().block(Duration.ofMinutes(2));
        }
        assertEquals(6, results.size());
        assertEquals(StepRecord.Outcome.ROLLED_BACK, results.get(2).outcome());
        for (int i : new int[] {0, 1, 3, 4, 5}) {
            assertEquals(StepRecord.Outcome.APPLIED, results.get(i).outcome(), "step " + (i + 1));
            assertTrue(Double.isFinite(results.get(i).loss()), "step " + (i + 1));
        }
        assertEquals(1, divergences.size(), divergences.toString());
        assertTrue(divergences.get(0).startsWith("3: both: "), divergences.toString());
        assertTrue(Double.isFinite(real.model().parameters().get(0).value().getDouble(0)), "the NaN was rolled back");
        assertEquals(cfg.number("optimizer.lr") / 2, real.learningRate(), 1e-12, "the reaction halved the learning rate");
    }

    @Test
    void theDemoRunsAndDrawsItsPlots() throws Exception {
        Path out = dir.resolve("demo");
        try (Captured c = new Captured()) {
            int code = cli(c, "demo", "--records", "4000", "--rate", "4000", "--out", out.toString(), "--metrics-port", "0",
                    "--set", "model.hidden=32,32", "--set", "loss.chains=128");
            assertEquals(0, code, c.all());
            String text = c.all();
            assertTrue(text.contains("demo done:"), text);
            assertTrue(text.contains("/metrics"), text);
        }
        for (String png : List.of("energy-landscape.png", "loss.png", "energy-gap.png")) {
            Path p = out.resolve(png);
            assertTrue(Files.size(p) > 5_000, png + " is missing or empty");
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(p), 8);
            assertEquals((byte) 0x89, head[0], png + " is not a PNG");
            assertEquals('P', head[1]);
        }
    }

}
