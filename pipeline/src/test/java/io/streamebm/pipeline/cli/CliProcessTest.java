package io.streamebm.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as users meet it: a separate JVM, its exit code, its stdout and stderr. */
class CliProcessTest {

    @TempDir
    Path dir;

    /** A finished run of {@code streamebm ARGS}. */
    private record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static ProcessBuilder streamebm(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "io.streamebm.pipeline.StreamEbmCli"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().remove("STREAMEBM_DEBUG");
        return pb;
    }

    private Run run(String... args) throws Exception {
        ProcessBuilder pb = streamebm(args);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("streamebm " + String.join(" ", args) + " did not end");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static void assertNoStackTrace(Run r) {
        assertFalse(r.all().contains("\tat "), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
    }

    @Test
    void versionComesFromTheBuild() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find());
        Run r = run("--version");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().startsWith("StreamEBM " + m.group(1) + System.lineSeparator()), r.out());
    }

    @Test
    void everyCommandSummaryIsACompleteSentence() throws Exception {
        Run r = run("--help");
        assertEquals(0, r.exit(), r.all());
        String commands = r.out().substring(r.out().indexOf("Commands:") + "Commands:".length());
        // An entry starts at two spaces and a name; continuation lines are indented further.
        List<String> entries = new ArrayList<>();
        for (String line : commands.split("\\R")) {
            if (line.matches("  \\S.*")) {
                entries.add(line.trim());
            } else if (!line.isBlank()) {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + " " + line.trim());
            }
        }
        assertEquals(5, entries.size(), entries.toString());
        for (String e : entries) {
            assertTrue(e.endsWith("."), "summary stops mid-sentence: " + e);
        }
    }

    @Test
    void scoreHelpListsOnlyWhatScoreUses() throws Exception {
        Run r = run("score", "--help");
        assertEquals(0, r.exit(), r.all());
        // The option list: one line per option, starting with its names.
        List<String> listed = r.out().lines().map(String::trim).filter(l -> l.startsWith("-"))
                .map(l -> l.replaceFirst("^-\\w, ", "").split("[= ]")[0]).toList();
        for (String unused : List.of("--loss", "--model", "--metrics-port", "--metrics-host", "--checkpoint-dir",
                "--seed", "--fresh-start", "--help-config")) {
            assertFalse(listed.contains(unused), unused + " is listed: " + listed);
        }
        for (String used : List.of("--bootstrap-server", "--command-config", "--config", "--set", "--topic", "--group",
                "--model-name", "--dim", "--scores-topic", "--records")) {
            assertTrue(r.out().contains(used), used + " is missing:\n" + r.out());
        }
    }

    @Test
    void helpConfigListsTheClientPassThrough() throws Exception {
        Run r = run("train", "--help-config");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("kafka.consumer.<property>"), r.out());
        assertTrue(r.out().contains("kafka.producer.<property>"), r.out());
        assertTrue(r.out().contains("--command-config FILE"), r.out());
        assertTrue(r.out().contains("sampler.type") && r.out().contains("one of [langevin, mala, hmc]"), r.out());
    }

    @Test
    void wrongValuesExitWithTwoAndOneListingWithoutStackTrace() throws Exception {
        Run config = run("train", "--bootstrap-server", "127.0.0.1:9", "--set", "sampler.type=MALAX",
                "--set", "optimizer.type=rmsprop", "--set", "kafka.consumer.security.protocol=TSL");
        assertEquals(2, config.exit(), config.all());
        assertTrue(config.err().contains("sampler.type = 'MALAX': must be one of [langevin, mala, hmc]"), config.err());
        assertTrue(config.err().contains("optimizer.type = 'rmsprop': must be one of [adam, adamw, sgd]"), config.err());
        assertTrue(config.err().contains("kafka.consumer.security.protocol = 'TSL'"), config.err());
        assertTrue(config.err().contains("SASL_SSL"), "the valid choices are named: " + config.err());
        assertNoStackTrace(config);

        Run type = run("train", "--dim", "two");
        assertEquals(2, type.exit(), type.all());
        assertTrue(type.err().contains("'two' is not an int"), type.err());
        assertFalse(type.err().contains("Usage:"), "one error, not the whole usage: " + type.err());
        assertNoStackTrace(type);

        Run format = run("produce", "--bootstrap-server", "127.0.0.1:9", "--format", "xml", "--dataset", "moons",
                "--partitions", "-2");
        assertEquals(2, format.exit(), format.all());
        assertTrue(format.err().contains("--format 'xml': must be one of [json, float32]"), format.err());
        assertTrue(format.err().contains("--dataset 'moons': must be one of ["), format.err());
        assertTrue(format.err().contains("--partitions -2: must be >= 1, or 0 for the cluster's default"), format.err());
        assertNoStackTrace(format);
    }

    @Test
    void produceTakesClientPropertiesFromCommandConfig() throws Exception {
        Path props = dir.resolve("client.properties");
        Files.writeString(props, "security.protocol=TSL\nsasl.mechanism=PLAIN\n");
        Run r = run("produce", "--bootstrap-server", "127.0.0.1:9", "--command-config", props.toString(),
                "--records", "1");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("kafka.producer.security.protocol = 'TSL': Invalid value TSL for configuration "
                + "security.protocol"), r.err());
        assertNoStackTrace(r);
    }

    @Test
    void trainAnnouncesWhereItIsConnectedAndWarnsWhileTheBrokerIsUnreachable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // closed again before the trainer starts: nothing listens there
        }
        String bootstrap = "127.0.0.1:" + closedPort;
        Process p = streamebm("train", "--bootstrap-server", bootstrap, "--topic", "in", "--group", "g1",
                "--checkpoint-dir", dir.resolve("ck").toString(), "--metrics-port", "0",
                "--set", "model.hidden=8", "--set", "loss.chains=16").start();
        try {
            String startup = await(p.getInputStream(), l -> l.startsWith("training from Kafka"));
            assertTrue(startup.contains("training from Kafka " + bootstrap + ", topic in, group g1; checkpoints in "
                    + dir.resolve("ck").toAbsolutePath()), startup);
            Matcher m = Pattern.compile("metrics at (http://127\\.0\\.0\\.1:(\\d+)/metrics)").matcher(startup);
            assertTrue(m.find(), startup);
            assertNotEquals(0, Integer.parseInt(m.group(2)), "the bound port, not the requested 0");
            HttpURLConnection c = (HttpURLConnection) URI.create(m.group(1)).toURL().openConnection();
            assertEquals(200, c.getResponseCode(), "the announced address serves the metrics");
            c.disconnect();

            String warning = await(p.getErrorStream(), l -> l.contains("WARN"));
            assertTrue(warning.contains("cannot reach Kafka at " + bootstrap), warning);
        } finally {
            p.destroy(); // SIGTERM: the clean stop
            if (!p.waitFor(1, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
    }

    /** The first line of {@code in} that {@code wanted} accepts; fails if none comes within a minute. */
    private static String await(java.io.InputStream in, Predicate<String> wanted) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    if (wanted.test(l)) {
                        return l;
                    }
                }
                return "(stream ended without the line)";
            } catch (IOException e) {
                return "(" + e + ")";
            }
        });
        try {
            return line.get(1, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            throw new AssertionError("no such line within a minute");
        }
    }
}
