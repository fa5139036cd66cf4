package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.pipeline.TestBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * SIGTERM always ends {@code train}: a trainer whose clean stop hangs (frozen in its final
 * checkpoint write by a fault point) is halted by the stop watchdog with one line and exit code 4.
 */
class HungStopTest {

    @TempDir
    Path dir;

    @Test
    void aCleanStopThatHangsIsHaltedWithOneLineAndCodeFour() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("hung-stop");
        broker.createTopic(topic, 1);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "hung-stop-producer")) {
            Flux.range(0, 500).map(i -> SampleCodecs.record(topic, null, new float[] {i % 7, i % 3}, JsonSampleCodec.INSTANCE))
                    .concatMap(sender::send, 64).blockLast();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                // The first checkpoint write is the final one of the clean stop: freeze there.
                "-Dstreamebm.fault=checkpoint-write@1",
                "-cp", System.getProperty("java.class.path"), "io.streamebm.pipeline.StreamEbmCli",
                "train", "--bootstrap-server", broker.bootstrapServers(), "--topic", topic, "--group", topic + "-g",
                "--checkpoint-dir", dir.resolve("checkpoints").toString(), "--metrics-port", "0",
                "--set", "model.hidden=8", "--set", "loss.chains=16", "--set", "loss.k=1",
                "--set", "checkpoint.every-steps=1000000", "--set", "checkpoint.interval=PT1H",
                "--set", "snapshot.topic=", "--set", "shutdown.timeout=2s"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        try {
            awaitLine(in, seen, "first update");
            sigterm(p);
            awaitLine(in, seen, "FAULT-POINT checkpoint-write 1");
            String line = awaitLine(in, seen, "the clean stop did not finish");
            assertEquals("streamebm: the clean stop did not finish within 2 s; halting with code 4", line);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM:\n" + seen);
            assertEquals(4, p.exitValue(), seen.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    /** SIGTERM without {@link Process#destroy()}, which would also close the output still to be read. */
    static void sigterm(Process p) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
    }

    private static String awaitLine(BufferedReader in, StringBuilder seen, String marker) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.contains(marker)) {
                return line;
            }
        }
        fail("the trainer's output ended before '" + marker + "':\n" + seen);
        return null;
    }
}
