package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.config.PipelineConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options shared by the commands that build a {@link PipelineConfig}: a YAML file, generic
 * {@code --set key=value} overrides, and dedicated flags named like Kafka's own tools. Flags win
 * over {@code --set}, which wins over the file.
 */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (see --help-config)")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one setting, e.g. --set loss.k=20 (repeatable)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--bootstrap-server", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrapServer;

    @Option(names = "--topic", paramLabel = "NAME", description = "input topic (default ebm.samples)")
    String topic;

    @Option(names = "--group", paramLabel = "NAME", description = "consumer group (default streamebm)")
    String group;

    @Option(names = "--dim", paramLabel = "N", description = "sample dimension (default 2)")
    Integer dim;

    @Option(names = "--metrics-port", paramLabel = "N", description = "metrics port (default 9404, 0 for any free port)")
    Integer metricsPort;

    @Option(names = "--metrics-host", paramLabel = "HOST", description = "metrics bind address (default 127.0.0.1)")
    String metricsHost;

    @Option(names = "--loss", paramLabel = "NAME", description = "loss: cd, pcd, sm, ssm, dsm, mle, nce (default pcd)")
    String loss;

    @Option(names = "--model", paramLabel = "TYPE", description = "model: mlp or gaussian (default mlp)")
    String model;

    @Option(names = "--model-name", paramLabel = "NAME", description = "model name for snapshots and metrics (default 'default')")
    String modelName;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "checkpoint directory (default ./checkpoints)")
    Path checkpointDir;

    @Option(names = "--seed", paramLabel = "N", description = "seed of every random source (default 42)")
    Long seed;

    /** Merges the file, {@code --set} and the flags into a validated configuration. */
    public PipelineConfig resolve(Map<String, String> commandDefaults) {
        Map<String, String> fromFile = configFile == null ? Map.of() : PipelineConfig.readYaml(configFile);
        Map<String, String> overrides = new LinkedHashMap<>();
        // A command's own defaults (the demo's, say) only fill what the file leaves unset.
        commandDefaults.forEach((k, v) -> {
            if (!fromFile.containsKey(k)) {
                overrides.put(k, v);
            }
        });
        overrides.putAll(settings);
        put(overrides, "kafka.bootstrap-servers", bootstrapServer);
        put(overrides, "kafka.topic", topic);
        put(overrides, "kafka.group", group);
        put(overrides, "model.dim", dim);
        put(overrides, "metrics.port", metricsPort);
        put(overrides, "metrics.host", metricsHost);
        put(overrides, "loss.type", loss);
        put(overrides, "model.type", model);
        put(overrides, "model.name", modelName);
        put(overrides, "checkpoint.dir", checkpointDir);
        put(overrides, "seed", seed);
        return PipelineConfig.parse(fromFile, overrides);
    }

    private static void put(Map<String, String> m, String key, Object value) {
        if (value != null) {
            m.put(key, String.valueOf(value));
        }
    }
}
