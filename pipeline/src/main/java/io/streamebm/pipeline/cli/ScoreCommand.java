package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.app.ScoreJob;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamebm score}: anomaly scores from the newest model snapshot. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Follow the newest model snapshot (--set snapshot.topic=..., default ebm.models) and write",
            "the energy of every record of the input topic to the score topic (default ebm.scores)."})
public final class ScoreCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = "--scores-topic", paramLabel = "NAME", description = "score output topic (default ebm.scores)")
    String scoresTopic;

    @Option(names = "--records", paramLabel = "N", description = "stop after scoring N records (default: run until stopped)")
    long records;

    @Override
    public Integer call() throws Exception {
        PipelineConfig config = options.resolve(scoresTopic == null ? Map.of() : Map.of("score.topic", scoresTopic));
        if (config.string("kafka.bootstrap-servers").isEmpty()) {
            throw new ConfigException(List.of("kafka.bootstrap-servers is missing: pass --bootstrap-server HOST:PORT"));
        }
        try (ScoreJob job = new ScoreJob(config, System.out)) {
            long n = CleanStop.run(job::stop, () -> job.run(records));
            System.out.println("scored " + n + " records");
        }
        return 0;
    }
}
