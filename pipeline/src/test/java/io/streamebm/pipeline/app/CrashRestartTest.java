package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.pipeline.ChildJvm;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Runs the trainer as a child process, kills it with SIGKILL at several points (during a step,
 * during a checkpoint write, between a checkpoint and the acknowledgement), restarts it each time,
 * and finishes. The final model state must have counted every produced record exactly once.
 */
class CrashRestartTest {

    private static final int RECORDS = 6000;

    @TempDir
    Path dir;

    @Test
    void killedTrainerLosesNothingAndCountsNothingTwice() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("crash");
        broker.createTopic(topic, 3);
        produce(broker.bootstrapServers(), topic, RECORDS);

        Path checkpoints = dir.resolve("checkpoints");
        String[] faults = {"step@7", "checkpoint-write@3", "after-checkpoint@2", "step@5"};
        for (String fault : faults) {
            Process p = start(broker.bootstrapServers(), topic, checkpoints, fault);
            ChildJvm.awaitLine(p, "FAULT-POINT", fault);
            p.destroyForcibly(); // SIGKILL on Linux
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
        }
        Process last = start(broker.bootstrapServers(), topic, checkpoints, null);
        String end = ChildJvm.awaitLine(last, "stopped after step", "final run");
        assertTrue(last.waitFor(60, TimeUnit.SECONDS), "final run did not exit");
        assertEquals(0, last.exitValue(), end);

        Checkpoint c = new FileCheckpointStore(checkpoints, 3, (id, reason) -> { }).loadLatest().orElseThrow();
        assertEquals(RECORDS, c.recordsSeen(), "records counted by the final model state");
        long offsets = c.offsets().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(RECORDS, offsets, "positions cover every record: " + c.offsets());
    }

    private static void produce(String bootstrap, String topic, int n) {
        Random r = new Random(7);
        try (KafkaSender sender = KafkaParts.sender(bootstrap, "crash-test-producer")) {
            Flux.range(0, n)
                    .map(i -> SampleCodecs.record(topic, null,
                            new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()}, JsonSampleCodec.INSTANCE))
                    .concatMap(sender::send, 256)
                    .blockLast();
        }
    }

    private static Process start(String bootstrap, String topic, Path checkpoints, String fault) throws IOException {
        // No group.instance.id here: the default static membership (derived from the host and the
        // checkpoint directory) must let each restart take over its killed predecessor's partitions
        // at once; without it every restart waits out a 45 s session and this test takes minutes.
        return ChildJvm.start(fault == null ? List.of() : List.of("streamebm.fault=" + fault),
                "io.streamebm.pipeline.StreamEbmCli",
                List.of("train", "--bootstrap-server", bootstrap, "--topic", topic, "--group", topic + "-g",
                        "--checkpoint-dir", checkpoints.toString(), "--records", Integer.toString(RECORDS),
                        "--metrics-port", "0", "--model-name", "crash",
                        "--set", "model.hidden=16,16", "--set", "loss.chains=64", "--set", "loss.k=2",
                        "--set", "batch.max-size=97", "--set", "checkpoint.every-steps=4", "--set", "snapshot.topic="));
    }
}
