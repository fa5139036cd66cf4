package io.streamebm.pipeline.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The dedicated flags of the commands that train ({@code train}, {@code demo}); each sets one configuration key. */
public final class TrainingOptions {

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

    /** These flags by configuration key; absent flags are null. */
    Map<String, Object> flags() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model.dim", dim);
        m.put("metrics.port", metricsPort);
        m.put("metrics.host", metricsHost);
        m.put("loss.type", loss);
        m.put("model.type", model);
        m.put("model.name", modelName);
        m.put("checkpoint.dir", checkpointDir);
        m.put("seed", seed);
        return m;
    }
}
