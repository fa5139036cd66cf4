package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.app.ScoreJob;
import io.streamebm.pipeline.app.SnapshotValidator;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamebm score}: anomaly scores from the newest model snapshot. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score every input record with the newest model snapshot.",
            "Follows the snapshots of --model-name on the snapshot topic (--set snapshot.topic=..., default "
                + "ebm.models) and writes the energy of every record of the input topic to the score topic "
                + "(default ebm.scores)."})
public final class ScoreCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Mixin
    TopicOptions topics;

    @Option(names = "--dim", paramLabel = "N", description = "sample dimension of the input records (default 2)")
    Integer dim;

    @Option(names = "--model-name", paramLabel = "NAME", description = "name of the model whose snapshots to follow (default 'default')")
    String modelName;

    @Option(names = "--scores-topic", paramLabel = "NAME", description = "score output topic (default ebm.scores)")
    String scoresTopic;

    @Option(names = "--records", paramLabel = "N", description = "stop after scoring N records (default: run until stopped)")
    long records;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> flags = new LinkedHashMap<>(topics.flags());
        flags.put("model.dim", dim);
        flags.put("model.name", modelName);
        flags.put("score.topic", scoresTopic);
        PipelineConfig config = options.resolve(Map.of(), flags, System.err);
        if (config.string("kafka.bootstrap-servers").isEmpty()) {
            throw new ConfigException(List.of("kafka.bootstrap-servers is missing: pass --bootstrap-server HOST:PORT"));
        }
        return KafkaAccessDenied.translate(config, () -> {
            try (ScoreJob job = new ScoreJob(config, System.out)) {
                // The summary is printed inside the body: after SIGTERM the JVM exits as soon as the
                // body has returned, and a line printed later may never be written.
                CleanStop.run(job::stop, () -> {
                    long n = job.run(records);
                    System.out.println(summary(n, job.rejectedSnapshots()));
                    return n;
                }, config.duration("shutdown.timeout"));
            }
            return 0;
        });
    }

    /** "scored N records; K snapshots rejected reason=count ...", naming only reasons that occurred. */
    static String summary(long scored, Map<SnapshotValidator.Reason, Long> rejected) {
        long refused = rejected.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder line = new StringBuilder("scored " + scored + " records; " + refused + " snapshots rejected");
        rejected.forEach((reason, count) -> {
            if (count > 0) {
                line.append(' ').append(reason.label()).append('=').append(count);
            }
        });
        return line.toString();
    }
}
