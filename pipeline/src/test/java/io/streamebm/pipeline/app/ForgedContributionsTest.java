package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forged and corrupted records on the params topic, written by a plain {@link KafkaProducer}
 * beside a group that signs its contributions ({@code snapshot.signing-key-file}): garbage, a
 * truncated contribution, and a well-formed contribution of an invented member with a million
 * records and enormous updates, unsigned and signed with another key. A member that joins with the
 * group's key takes in only the genuine contribution and trains on; a member without a key would
 * have taken the forgery in, which is what the key is for.
 */
class ForgedContributionsTest {

    private static final SnapshotSigner KEY = SnapshotSigner.of("the group's key, 32 bytes long!!".getBytes(StandardCharsets.UTF_8));
    private static final SnapshotSigner OTHER_KEY = SnapshotSigner.of("somebody else's key, also long".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    @Test
    void contributionsWithoutTheGroupsSignatureAreSkippedAndTheGroupTrainsOn() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("forged");
        broker.createTopic(topic, 2);
        String params = topic + "-model.params";
        String group = topic + "-group";
        try (GroupMember a = new GroupMember(broker, topic, "a", group, Optional.of(KEY), dir)) {
            a.trainAndPublish(1);
            a.sync.committed(a.learner, () -> true);
            byte[] genuine = GroupCount.newestValue(broker.bootstrapServers(), params);
            byte[] forged = inflated(genuine, "mallory");
            try (KafkaProducer<byte[], byte[]> p = plainProducer(broker)) {
                p.send(record(params, "x", "not a contribution".getBytes(StandardCharsets.UTF_8), null)).get();
                p.send(record(params, "a", Arrays.copyOf(genuine, genuine.length / 2), KEY)).get();
                p.send(record(params, "mallory", forged, null)).get();
                p.send(record(params, "mallory", forged, OTHER_KEY)).get();
            }

            try (GroupMember b = new GroupMember(broker, topic, "b", group, Optional.of(KEY), dir)) {
                assertEquals(1, b.sync.groupMembers(), "only a's contribution counts");
                assertEquals(64, b.sync.groupRecordsCounted());
                b.trainAndPublish(2);
                b.sync.committed(b.learner, () -> true);
                a.trainAndPublish(3);
                a.sync.committed(a.learner, () -> true);
                assertEquals(2, a.sync.groupMembers());
                assertEquals(64 + 64 + 64, a.sync.groupRecordsCounted(), "a's two syncs and b's one, nothing forged");
                for (INDArray v : a.learner.modelState().values()) {
                    assertTrue(v.amaxNumber().doubleValue() < 100, "no forged update in a's model");
                }
            }
        }
        // The same topic read without a key: the unsigned forgery would count, a million records.
        try (GroupMember c = new GroupMember(broker, topic, "c", group, Optional.empty(), dir)) {
            assertTrue(c.sync.groupRecordsCounted() >= 1_000_000, "without a key: " + c.sync.groupRecordsCounted());
        }
    }

    /** {@code genuine} re-encoded (a forger knows the format) as member {@code member}'s, with a million records and updates 1e6 times larger. */
    private static byte[] inflated(byte[] genuine, String member) throws Exception {
        Checkpoint c = CheckpointFormat.decode(genuine);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put("member", member);
        meta.put("last.records", "1000000");
        Map<String, INDArray> updates = new LinkedHashMap<>();
        c.arrays().forEach((name, a) -> updates.put(name, a.mul(1e6)));
        return CheckpointFormat.encode(new Checkpoint(0, 1_000_000, Map.of(), meta, updates));
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value, SnapshotSigner signer) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
        if (signer != null) {
            r.headers().add(SnapshotSigner.HEADER, signer.sign(value));
        }
        return r;
    }

    private static KafkaProducer<byte[], byte[]> plainProducer(LocalKafkaBroker broker) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
