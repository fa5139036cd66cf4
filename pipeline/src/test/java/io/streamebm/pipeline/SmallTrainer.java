package io.streamebm.pipeline;

import io.streamebm.pipeline.config.PipelineConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The configuration of a trainer small enough for tests against a real broker: a 16×16 MLP, 64
 * chains, 2 Langevin steps, micro-batches of 64, a checkpoint and a snapshot every 5 steps.
 */
public final class SmallTrainer {

    private SmallTrainer() {
    }

    /**
     * @param bootstrap  the broker
     * @param topic      the input topic; the group is {@code <topic>-g}, snapshots go to {@code <topic>.models}
     * @param checkpoints the checkpoint directory
     * @param modelName  the model name (metrics tag, snapshot key)
     * @param extra      settings that override these
     */
    public static PipelineConfig config(String bootstrap, String topic, Path checkpoints, String modelName,
            Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "kafka.bootstrap-servers", bootstrap,
                "kafka.topic", topic,
                "kafka.group", topic + "-g",
                "checkpoint.dir", checkpoints.toString(),
                "checkpoint.every-steps", "5",
                "snapshot.topic", topic + ".models",
                "snapshot.every-steps", "5",
                "metrics.port", "0",
                "model.name", modelName));
        settings.putAll(Map.of("model.hidden", "16,16", "loss.chains", "64", "loss.k", "2", "batch.max-size", "64",
                "batch.max-wait", "100ms"));
        settings.putAll(extra);
        return PipelineConfig.parse(Map.of(), settings);
    }
}
