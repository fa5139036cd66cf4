package io.streamebm.pipeline.app;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes the trainer's model snapshots to {@code snapshot.topic}: each one in the checkpoint format
 * without positions ({@link ModelSnapshots#encode}, with the calibration of the moment), keyed by
 * model name, signed when a signing key is configured, and sent into
 * the open output transaction so that it becomes visible with the offsets it was trained on.
 * Scorers follow this topic ({@link ModelSnapshots}).
 */
final class SnapshotPublisher {

    private final String topic;
    private final String modelName;
    private final Map<String, String> architecture;
    private final Optional<SnapshotSigner> signer;
    private final LongConsumer published;

    /**
     * @param architecture the learner's settings, written into every snapshot's metadata
     * @param published    hears the version of every snapshot sent
     */
    SnapshotPublisher(PipelineConfig config, Map<String, String> architecture, Optional<SnapshotSigner> signer,
            LongConsumer published) {
        this.topic = config.string("snapshot.topic");
        this.modelName = config.string("model.name");
        this.architecture = Map.copyOf(architecture);
        this.signer = Objects.requireNonNull(signer, "signer");
        this.published = Objects.requireNonNull(published, "published");
    }

    /** The snapshot topic, empty when snapshots are off. */
    String topic() {
        return topic;
    }

    /** The key snapshots are signed with, if any: with scale-out it signs the members' contributions too. */
    Optional<SnapshotSigner> signer() {
        return signer;
    }

    /**
     * The most bytes a snapshot of a model with {@code params} takes, calibration and signature
     * included ({@link SizedTopic#recordBytes}).
     */
    int maxRecordBytes(Map<String, INDArray> params) {
        try {
            return SizedTopic.recordBytes(ModelSnapshots.encode(0, 0, metadata(0), params, Optional.empty()).length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a snapshot of the model", e);
        }
    }

    private Map<String, String> metadata(long version) {
        Map<String, String> meta = new LinkedHashMap<>(architecture);
        meta.put("model.name", modelName);
        meta.put("version", Long.toString(version));
        return meta;
    }

    /**
     * Sends snapshot {@code version} into {@code outputs}' transaction, unless no snapshot topic is
     * configured or a committed transaction already holds this version.
     */
    void publish(TransactionalOutputs outputs, long version, Map<String, INDArray> params, long recordsSeen,
            Optional<EnergyPercentiles> calibration) {
        if (topic.isEmpty() || outputs.snapshotWritten(version)) {
            // After a crash, the replay reaches versions a committed transaction already holds.
            return;
        }
        byte[] value;
        try {
            value = ModelSnapshots.encode(version, recordsSeen, metadata(version), params, calibration);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode snapshot " + version, e);
        }
        byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, value);
        record.headers().add("content-type", ModelSnapshots.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        signer.ifPresent(s -> record.headers().add(SnapshotSigner.HEADER, s.sign(value)));
        outputs.sendSnapshot(record, version);
        published.accept(version);
    }
}
