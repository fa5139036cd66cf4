package io.streamebm.pipeline.app;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.monitoring.GroupMetrics;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One member of a scale-out group of two, for tests: its learner, output transactions and
 * {@link GroupSync} on a real broker, driven by hand outside any consumer. The model is
 * {@code <topic>-model}, so its params topic is {@code <topic>-model.params}.
 */
final class GroupMember implements AutoCloseable {
    final EbmLearner learner;
    final GroupSync sync;
    final GroupMetrics metrics = new GroupMetrics("m", "pcd");
    final TransactionalOutputs outputs;
    long step;
    long records;

    /** A member of {@code <topic>-group}, without a signing key. */
    GroupMember(LocalKafkaBroker broker, String topic, String name, Path dir) {
        this(broker, topic, name, topic + "-group", Optional.empty(), dir);
    }

    /**
     * @param group  the consumer group
     * @param signer the key its contributions are signed and checked with, if any
     * @param dir    where its checkpoints go (a folder per member is made in it)
     */
    GroupMember(LocalKafkaBroker broker, String topic, String name, String group, Optional<SnapshotSigner> signer,
            Path dir) {
        Map<String, String> s = new HashMap<>(LightModel.trainer(broker, topic, dir.resolve(name)));
        s.putAll(Map.of("scale-out.enabled", "true", "scale-out.members", "2", "scale-out.round-timeout", "PT5S",
                "model.name", topic + "-model", "kafka.group", group, "kafka.member-name", name,
                "batch.max-size", "64", "seed", "7", "snapshot.topic", ""));
        PipelineConfig config = GroupSync.memberShare(PipelineConfig.parse(Map.of(), s));
        learner = new EbmLearner(config);
        outputs = TransactionalOutputs.open(broker.bootstrapServers(), group, name + "-outputs",
                Map.of(), KafkaParts.adminProperties(config), Duration.ofSeconds(30));
        sync = new GroupSync(config, name, learner.architecture(),
                new SnapshotPublisher(config, learner.architecture(), signer, v -> { }), () -> outputs, metrics);
        try {
            sync.join(learner, 0);
        } catch (RuntimeException e) {
            sync.close();
            outputs.close();
            throw e;
        }
    }

    /** Two updates on a batch of {@code seed}, then a sync whose transaction commits. */
    void trainAndPublish(long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (int i = 0; i < 2; i++) {
            learner.update(Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 2));
            step++;
            records += 32;
            sync.syncWanted(step); // asked after every update, as the trainer does: the member is active
        }
        sync.sync(learner, step, records, Optional.empty());
        outputs.commit(Map.of());
    }

    @Override
    public void close() {
        sync.close();
        outputs.close();
    }
}
