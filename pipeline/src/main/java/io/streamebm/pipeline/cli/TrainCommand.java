package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.app.TrainingJob;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamebm train}: trains online from a topic of any Kafka cluster. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train an energy-based model online from a Kafka topic.",
            "Checkpoints make the model state exactly-once: on restart the trainer resumes from the newest "
                + "valid checkpoint. Ctrl-C or SIGTERM stops cleanly (final checkpoint, offsets committed)."})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Mixin
    TopicOptions topics;

    @Mixin
    TrainingOptions training;

    @Option(names = "--records", paramLabel = "N", description = "stop once the model has counted N records (default: run until stopped)")
    long records;

    @Option(names = "--fresh-start", description = "ignore existing checkpoints in the checkpoint directory")
    boolean freshStart;

    @Option(names = "--help-config", description = "print every configuration key with its default and exit")
    boolean helpConfig;

    @Override
    public Integer call() throws Exception {
        if (helpConfig) {
            ConfigHelp.print(System.out);
            return 0;
        }
        Map<String, Object> flags = new LinkedHashMap<>(topics.flags());
        flags.putAll(training.flags());
        flags.put("checkpoint.fresh-start", freshStart ? "true" : null);
        return runUntilStopped(options.resolve(Map.of(), flags, System.err), records);
    }

    /** Runs a training job until it ends or the JVM is asked to stop. */
    static int runUntilStopped(PipelineConfig config, long records) throws Exception {
        return KafkaAccessDenied.translate(config, () -> {
            try (TrainingJob job = new TrainingJob(config, System.out)) {
                TrainingJob.Summary s = CleanStop.run(job::stop, () -> job.run(records), config.duration("shutdown.timeout"));
                System.out.println("stopped after step " + s.steps() + " with " + s.recordsSeen() + " records counted");
            }
            return 0;
        });
    }
}
