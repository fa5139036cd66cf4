package io.streamebm.pipeline.app;

import io.streamebm.broker.LocalKafkaBroker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The light PCD model the broker tests train (2→64→64→1, 512 chains, small sampler steps, Adam
 * without momentum): it learns eight Gaussians well enough for their checks, and a few hundred
 * thousand records train in CI time. Each test adds its micro-batch size and seed.
 */
final class LightModel {

    private LightModel() {
    }

    /**
     * A trainer of the light model on {@code topic} of {@code broker}: its own group and checkpoint
     * directory, metrics on a free port; the caller adds the rest.
     */
    static Map<String, String> trainer(LocalKafkaBroker broker, String topic, Path checkpoints) {
        Map<String, String> s = new HashMap<>(settings());
        s.put("kafka.bootstrap-servers", broker.bootstrapServers());
        s.put("kafka.topic", topic);
        s.put("kafka.group", topic + "-trainer");
        s.put("checkpoint.dir", checkpoints.toString());
        s.put("metrics.port", "0");
        return s;
    }

    /** The model, loss, sampler and optimizer settings. */
    static Map<String, String> settings() {
        return Map.of(
                "model.hidden", "64,64",
                "loss.chains", "512",
                "loss.reinit", "0.0",
                "loss.alpha", "0.01",
                "sampler.step-size", "0.001",
                "optimizer.lr", "0.003",
                "optimizer.beta1", "0.0");
    }
}
