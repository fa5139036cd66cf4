package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** With a key configured, every snapshot the trainer publishes carries a signature made with it, and the key never shows. */
class TrainerSignsSnapshotsTest {

    @TempDir
    Path dir;

    @Test
    void everySnapshotIsSignedWithTheConfiguredKey() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("signing-in");
        String models = TestBroker.uniqueTopic("signing-models");
        broker.createTopic(topic, 1);
        broker.createTopic(models, 1);
        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "signing-producer")) {
            Flux.range(0, 300).map(i -> SampleCodecs.record(topic, null, new float[] {i % 5, i % 3}, JsonSampleCodec.INSTANCE))
                    .concatMap(sender::send, 64).blockLast();
        }
        String key = "trainer-signing-key-" + Long.toHexString(System.nanoTime());
        Path keyFile = Files.writeString(dir.resolve("key"), key);
        PipelineConfig config = PipelineConfig.parse(Map.of(), Map.ofEntries(
                Map.entry("kafka.bootstrap-servers", broker.bootstrapServers()), Map.entry("kafka.topic", topic),
                Map.entry("kafka.group", topic + "-g"), Map.entry("snapshot.topic", models),
                Map.entry("snapshot.every-steps", "1"), Map.entry("snapshot.signing-key-file", keyFile.toString()),
                Map.entry("model.hidden", "8"), Map.entry("loss.chains", "16"), Map.entry("loss.k", "1"),
                Map.entry("batch.max-size", "50"), Map.entry("metrics.port", "0"),
                Map.entry("checkpoint.dir", dir.resolve("checkpoints").toString())));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (TrainingJob job = new TrainingJob(config, new PrintStream(log, true, StandardCharsets.UTF_8))) {
            job.run(300);
        }
        SnapshotSigner signer = SnapshotSigner.of(key.getBytes(StandardCharsets.UTF_8));
        List<ConsumerRecord<byte[], byte[]>> snapshots = EndToEndTrainingTest.readAll(broker.bootstrapServers(), models, 1);
        assertFalse(snapshots.isEmpty(), "no snapshot published");
        for (ConsumerRecord<byte[], byte[]> r : snapshots) {
            Header h = r.headers().lastHeader(SnapshotSigner.HEADER);
            assertNotNull(h, "unsigned snapshot at offset " + r.offset());
            assertTrue(signer.verifies(r.value(), h.value()), "bad signature at offset " + r.offset());
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("signing snapshots: HMAC-SHA256 snapshot signer (key from file " + keyFile + ")"), text);
        assertFalse(text.contains(key), text);
    }
}
