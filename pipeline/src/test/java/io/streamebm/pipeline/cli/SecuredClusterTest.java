package io.streamebm.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.SecureTestBroker;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train}, {@code produce}, {@code score} and kcat against a cluster secured as in production:
 * TLS, SASL/PLAIN and ACLs. Each command runs as its own process, configured only through
 * {@code --command-config}. A wrong password or a missing ACL must end the command with one line
 * and exit code 3, and no password may leak anywhere.
 */
class SecuredClusterTest {

    /** Distinctive, so that a leak anywhere can be found by searching for it. */
    private static final String TRAINER_PASSWORD = "trainer-Pw-7f3c9e1d5b";
    private static final String PRODUCER_PASSWORD = "producer-Pw-2a8e6c4f0d";
    private static final String SCORER_PASSWORD = "scorer-Pw-9b1d3f5e7a";
    private static final String INPUT = "secured.samples";
    private static final String GROUP = "trainers";
    private static final String SCORER_GROUP = "scorers";

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    private static SecureTestBroker cluster;

    @BeforeAll
    static void startSecuredBroker() throws Exception {
        cluster = SecureTestBroker.start(shared.resolve("tls"), Map.of("trainer", TRAINER_PASSWORD,
                "producer", PRODUCER_PASSWORD, "scorer", SCORER_PASSWORD, "nobody", "nobody-Pw-1"));
        for (String topic : List.of(INPUT, INPUT + ".dlq", "ebm.models", "ebm.scores", "default.events", "forbidden")) {
            cluster.broker().createTopic(topic, 1);
        }
        // Just what each needs. The producer writes the input.
        cluster.allow("producer", ResourceType.TOPIC, INPUT, PatternType.LITERAL, AclOperation.WRITE,
                AclOperation.DESCRIBE);
        // The trainer reads the input in its group and writes dead letters, snapshots and drift events.
        cluster.allow("trainer", ResourceType.TOPIC, INPUT, PatternType.LITERAL, AclOperation.READ,
                AclOperation.DESCRIBE);
        // READ to consume and to commit offsets inside its output transactions, DESCRIBE to read
        // back which outputs a committed transaction covers.
        cluster.allow("trainer", ResourceType.GROUP, GROUP, PatternType.LITERAL, AclOperation.READ,
                AclOperation.DESCRIBE);
        // Its output transactions: the transactional id is the member name plus "-outputs".
        cluster.allow("trainer", ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL, AclOperation.WRITE,
                AclOperation.DESCRIBE);
        for (String out : List.of(INPUT + ".dlq", "ebm.models", "default.events")) {
            cluster.allow("trainer", ResourceType.TOPIC, out, PatternType.LITERAL, AclOperation.WRITE,
                    AclOperation.DESCRIBE);
        }
        // The scorer reads the input and the snapshots in its groups (one per run for the snapshots),
        // and writes scores and dead letters.
        for (String in : List.of(INPUT, "ebm.models")) {
            cluster.allow("scorer", ResourceType.TOPIC, in, PatternType.LITERAL, AclOperation.READ,
                    AclOperation.DESCRIBE);
        }
        cluster.allow("scorer", ResourceType.GROUP, SCORER_GROUP, PatternType.PREFIXED, AclOperation.READ,
                AclOperation.DESCRIBE);
        // Its transactions: each batch's scores and dead letters commit with the batch's offsets.
        cluster.allow("scorer", ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL, AclOperation.WRITE,
                AclOperation.DESCRIBE);
        for (String out : List.of(INPUT + ".dlq", "ebm.scores")) {
            cluster.allow("scorer", ResourceType.TOPIC, out, PatternType.LITERAL, AclOperation.WRITE,
                    AclOperation.DESCRIBE);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A finished run of a process: its exit code and its output (stdout and stderr). */
    private record Run(int exit, String output) {
    }

    private static ProcessBuilder streamebm(String... args) {
        return streamebm(List.of(), args);
    }

    private static ProcessBuilder streamebm(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.streamebm.pipeline.StreamEbmCli"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().remove("STREAMEBM_DEBUG");
        return pb;
    }

    /** Runs a process to its end; fails if it is still running after {@code limitSeconds}. */
    private Run run(ProcessBuilder pb, long limitSeconds) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", pb.command()) + " still running after " + limitSeconds
                    + " s:\n" + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out));
    }

    /** The bound for a refused command to end. */
    private static final long REFUSED_WITHIN_SECONDS = 30;

    private Run produce(Path commandConfig, String topic, int records, long limitSeconds) throws Exception {
        return run(streamebm("produce", "--bootstrap-server", cluster.bootstrapServers(), "--command-config",
                commandConfig.toString(), "--topic", topic, "--rate", "0", "--records", String.valueOf(records)),
                limitSeconds);
    }

    private String[] trainArgs(Path commandConfig, String topic, String group, Path checkpoints) {
        return new String[] {"train", "--bootstrap-server", cluster.bootstrapServers(), "--command-config",
            commandConfig.toString(), "--topic", topic, "--group", group, "--checkpoint-dir", checkpoints.toString(),
            "--metrics-port", "0", "--set", "model.hidden=8", "--set", "loss.chains=16", "--set", "loss.k=2",
            "--set", "batch.max-size=64", "--set", "checkpoint.every-steps=5", "--set", "snapshot.every-steps=5"};
    }

    private Run score(Path commandConfig, String group, int records, long limitSeconds) throws Exception {
        return run(streamebm("score", "--bootstrap-server", cluster.bootstrapServers(), "--command-config",
                commandConfig.toString(), "--topic", INPUT, "--group", group, "--records", String.valueOf(records),
                // score serves the model shape of its configuration: the trainer's (trainArgs).
                "--set", "model.hidden=8"),
                limitSeconds);
    }

    private Run kcat(String user, String password, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kcat", "-b", cluster.bootstrapServers(),
                "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=" + user,
                "-X", "sasl.password=" + password, "-X", "ssl.ca.location=" + cluster.caPem()));
        cmd.addAll(List.of(args));
        return run(new ProcessBuilder(cmd), 60);
    }

    @Test
    void trainProduceScoreAndKcatWorkThroughSaslSslAndNoPasswordLeaks() throws Exception {
        List<String> outputs = new ArrayList<>();
        Run produced = produce(cluster.clientConfig("producer", PRODUCER_PASSWORD), INPUT, 3000, 120);
        outputs.add(produced.output());
        assertEquals(0, produced.exit(), produced.output());

        // kcat, an independent client, writes one more record and reads them all back.
        Path record = Files.writeString(dir.resolve("record.json"), "[0.5,-0.5]\n");
        Run kcatProduce = kcat("producer", PRODUCER_PASSWORD, "-t", INPUT, "-P", "-l", record.toString());
        assertEquals(0, kcatProduce.exit(), kcatProduce.output());
        Run kcatConsume = kcat("trainer", TRAINER_PASSWORD, "-t", INPUT, "-C", "-o", "beginning", "-e", "-q");
        assertEquals(0, kcatConsume.exit(), kcatConsume.output());
        assertEquals(3001, kcatConsume.output().lines().count(), "records read back by kcat");

        Path commandConfig = cluster.clientConfig("trainer", TRAINER_PASSWORD);
        Path checkpoints = dir.resolve("checkpoints");
        Path trainLog = dir.resolve("train.txt");
        // With the Kafka clients' INFO log, which dumps their whole configuration, sasl.jaas.config included.
        Process train = streamebm(List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info"),
                trainArgs(commandConfig, INPUT, GROUP, checkpoints)).redirectErrorStream(true)
                .redirectOutput(trainLog.toFile()).start();
        String health;
        try {
            String metrics = awaitMatch(trainLog, Pattern.compile("metrics at (http://127\\.0\\.0\\.1:\\d+)/metrics"),
                    train);
            awaitCheckpoint(checkpoints, train, trainLog);
            health = get(metrics + "/health");
        } finally {
            train.destroy(); // SIGTERM: the clean stop
            if (!train.waitFor(2, TimeUnit.MINUTES)) {
                train.destroyForcibly();
            }
        }
        String trainOutput = Files.readString(trainLog);
        outputs.add(trainOutput);
        assertTrue(health.contains("\"status\""), health);

        Run scored = score(cluster.clientConfig("scorer", SCORER_PASSWORD), SCORER_GROUP, 100, 180);
        outputs.add(scored.output());
        assertEquals(0, scored.exit(), scored.output());
        assertTrue(scored.output().contains("scoring with model version"), scored.output());

        Run helpConfig = run(streamebm("train", "--help-config", "--command-config", commandConfig.toString()), 60);
        assertEquals(0, helpConfig.exit(), helpConfig.output());
        outputs.add(helpConfig.output());

        // Kafka's own configuration dumps are in the output (the clients log them), so they are covered.
        assertTrue(trainOutput.contains("sasl.jaas.config"), "the client configuration dump is logged: " + trainOutput);
        for (String password : List.of(TRAINER_PASSWORD, PRODUCER_PASSWORD, SCORER_PASSWORD)) {
            for (String output : outputs) {
                assertFalse(output.contains(password), "password in the output:\n" + output);
            }
            assertFalse(health.contains(password), health);
            assertNoBytes(checkpoints, password);
        }
    }

    private static void assertNoBytes(Path root, String secret) throws IOException {
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(root)) {
            List<Path> regular = files.filter(Files::isRegularFile).toList();
            assertFalse(regular.isEmpty(), "checkpoint files were written");
            for (Path f : regular) {
                byte[] bytes = Files.readAllBytes(f);
                assertFalse(contains(bytes, needle), "the password is in " + f);
                // Also in UTF-16, in case a string was serialised by Java.
                assertFalse(contains(bytes, secret.getBytes(StandardCharsets.UTF_16BE)), f.toString());
            }
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void aWrongPasswordEndsEachCommandWithOneLine() throws Exception {
        Run produce = produce(cluster.clientConfig("producer", "wrong-password"), INPUT, 10, REFUSED_WITHIN_SECONDS);
        assertAccessDenied(produce, "authentication failed for user 'producer'");

        Run train = run(streamebm(trainArgs(cluster.clientConfig("trainer", "wrong-password"), INPUT, GROUP,
                dir.resolve("ck"))), REFUSED_WITHIN_SECONDS);
        assertAccessDenied(train, "authentication failed for user 'trainer'");

        Run score = score(cluster.clientConfig("scorer", "wrong-password"), SCORER_GROUP, 10, REFUSED_WITHIN_SECONDS);
        assertAccessDenied(score, "authentication failed for user 'scorer'");
    }

    @Test
    void aMissingAclEndsEachCommandWithOneLineNamingWhatWasRefused() throws Exception {
        Run produce = produce(cluster.clientConfig("producer", PRODUCER_PASSWORD), "forbidden", 10, REFUSED_WITHIN_SECONDS);
        assertAccessDenied(produce, "user 'producer' may not use topic forbidden");

        Run trainTopic = run(streamebm(trainArgs(cluster.clientConfig("trainer", TRAINER_PASSWORD), "forbidden",
                GROUP, dir.resolve("ck1"))), REFUSED_WITHIN_SECONDS);
        assertAccessDenied(trainTopic, "user 'trainer' may not use topic forbidden");

        Run trainGroup = run(streamebm(trainArgs(cluster.clientConfig("trainer", TRAINER_PASSWORD), INPUT,
                "other-group", dir.resolve("ck2"))), REFUSED_WITHIN_SECONDS);
        assertAccessDenied(trainGroup, "user 'trainer' may not use group other-group");

        Run score = score(cluster.clientConfig("scorer", SCORER_PASSWORD), "other-scorers", 10, REFUSED_WITHIN_SECONDS);
        assertAccessDenied(score, "user 'scorer' may not use group other-scorers");

        Run nobody = score(cluster.clientConfig("nobody", "nobody-Pw-1"), SCORER_GROUP, 10, REFUSED_WITHIN_SECONDS);
        // Refused at whatever score touches first (its group's committed offsets, before any topic).
        assertAccessDenied(nobody, "user 'nobody' may not use ");
    }

    /** Exit code 3, one error line naming what failed, and no stack trace. */
    private static void assertAccessDenied(Run r, String expected) {
        assertEquals(3, r.exit(), r.output());
        List<String> errors = r.output().lines().filter(l -> l.startsWith("streamebm ")).toList();
        assertEquals(1, errors.size(), "one error line:\n" + r.output());
        assertTrue(errors.get(0).contains(expected), errors.get(0));
        assertFalse(r.output().contains("\tat "), "a stack trace:\n" + r.output());
        assertFalse(r.output().contains("caused by"), r.output());
    }

    private static String awaitMatch(Path log, Pattern pattern, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Matcher m = pattern.matcher(Files.readString(log));
            if (m.find()) {
                return m.group(1);
            }
            if (!p.isAlive()) {
                throw new AssertionError("ended before " + pattern + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + pattern + " within 2 minutes:\n" + Files.readString(log));
    }

    private static void awaitCheckpoint(Path checkpoints, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(checkpoints)) {
                try (Stream<Path> s = Files.list(checkpoints)) {
                    if (s.anyMatch(c -> c.getFileName().toString().startsWith("ckpt-"))) {
                        return;
                    }
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("train ended before a checkpoint:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint within 2 minutes:\n" + Files.readString(log));
    }

    private static String get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try (var in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }
}
