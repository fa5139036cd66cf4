package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.pipeline.TestBroker;
import java.nio.file.Path;
import java.util.List;
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
        try (ChildProcess trainer = ChildProcess.start(List.of("-Xmx512m",
                // The first checkpoint write is the final one of the clean stop: freeze there.
                "-Dstreamebm.fault=checkpoint-write@1"), List.of(
                "train", "--bootstrap-server", broker.bootstrapServers(), "--topic", topic, "--group", topic + "-g",
                "--checkpoint-dir", dir.resolve("checkpoints").toString(), "--metrics-port", "0",
                "--set", "model.hidden=8", "--set", "loss.chains=16", "--set", "loss.k=1",
                "--set", "checkpoint.every-steps=1000000", "--set", "checkpoint.interval=PT1H",
                "--set", "snapshot.topic=", "--set", "shutdown.timeout=2s"))) {
            trainer.awaitLine("first update");
            trainer.sigterm();
            trainer.awaitLine("FAULT-POINT checkpoint-write 1");
            assertEquals("streamebm: the clean stop did not finish within 2 s; halting with code 4",
                    trainer.awaitLine("the clean stop did not finish"));
            assertTrue(trainer.ended(), "still running after SIGTERM:\n" + trainer.output());
            assertEquals(4, trainer.process.exitValue(), trainer.output());
        }
    }
}
