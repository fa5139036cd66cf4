package io.streamebm.pipeline.cli;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.OutputTopics;
import io.streamebm.pipeline.app.SyntheticProducer;
import io.streamebm.pipeline.config.Choices;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.config.RecordFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamebm produce}: a synthetic 2-D dataset streamed into a topic at a given rate. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Stream a synthetic 2-D dataset into a Kafka topic.",
            "One sample per record, as a JSON array or packed float32 (--format).",
            "Client properties (TLS, SASL) come from --command-config and kafka.producer.* settings."})
public final class ProduceCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = "--topic", paramLabel = "NAME", description = "topic (default ebm.samples)")
    String topic;

    @Option(names = "--dataset", paramLabel = "NAME", description = "one of: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})",
            completionCandidates = DatasetNames.class)
    String dataset = "eight-gaussians";

    @Option(names = "--rate", paramLabel = "N", description = "records per second, 0 for as fast as possible (default ${DEFAULT-VALUE})")
    double rate = 1000;

    @Option(names = "--records", paramLabel = "N", description = "records to send, 0 for endless (default ${DEFAULT-VALUE})")
    long records;

    @Option(names = "--format", paramLabel = "FORMAT", description = "json or float32 (default ${DEFAULT-VALUE})")
    String format = "json";

    @Option(names = "--seed", paramLabel = "N", description = "dataset seed (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--partitions", paramLabel = "N", description = "partitions of the topic when produce creates it"
            + " (default: the cluster's default; an existing topic keeps its own). Several trainers of one group"
            + " share a topic by its partitions (scale-out)")
    int partitions;

    /** Lists the dataset names for the help text. */
    static final class DatasetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Datasets.NAMES.iterator();
        }
    }

    /**
     * A dataset name in any case, as {@link Datasets} spells it.
     *
     * @throws ConfigException naming the value and the known datasets
     */
    static String datasetName(String name) {
        String lower = name.trim().toLowerCase(Locale.ROOT);
        if (!Datasets.NAMES.contains(lower)) {
            throw new ConfigException(List.of("--dataset '" + name + "': must be one of " + Datasets.NAMES));
        }
        return lower;
    }

    @Override
    public Integer call() throws Exception {
        List<String> problems = new ArrayList<>();
        RecordFormat recordFormat = Choices.find(RecordFormat.class, format)
                .filter(f -> f != RecordFormat.AUTO).orElse(null);
        if (recordFormat == null) {
            problems.add("--format '" + format + "': must be one of [json, float32]");
        }
        if (rate < 0 || records < 0) {
            problems.add("--rate and --records must be >= 0");
        }
        if (partitions < 0) {
            problems.add("--partitions " + partitions + ": must be >= 1, or 0 for the cluster's default");
        }
        String datasetName;
        try {
            datasetName = datasetName(dataset);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            datasetName = null;
        }
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("kafka.topic", topic);
        PipelineConfig config;
        try {
            config = options.resolve(Map.of(), flags, System.err);
            if (config.string("kafka.bootstrap-servers").isEmpty()) {
                problems.add("kafka.bootstrap-servers is missing: pass --bootstrap-server HOST:PORT");
            }
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            config = null;
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return produce(config, datasetName, recordFormat);
    }

    private int produce(PipelineConfig config, String datasetName, RecordFormat recordFormat) throws Exception {
        String target = config.string("kafka.topic");
        DatasetStream stream = Datasets.stream(datasetName, seed);
        return KafkaAccessDenied.translate(config, () -> {
            OutputTopics.ensure(config, List.of(target),
                    partitions == 0 ? java.util.Optional.empty() : java.util.Optional.of(partitions), Duration.ofSeconds(30));
            try (KafkaSender sender = KafkaParts.sender(config, "streamebm-producer")) {
                SyntheticProducer producer = new SyntheticProducer(sender, target,
                        recordFormat == RecordFormat.JSON ? JsonSampleCodec.INSTANCE : Float32SampleCodec.INSTANCE,
                        stream::next);
                System.out.println("producing " + datasetName + " to " + target + " at "
                        + config.string("kafka.bootstrap-servers"));
                long n = CleanStop.run(producer::stop, () -> producer.run(records, rate));
                System.out.println("produced " + n + " records of " + datasetName + " to " + target);
            }
            return 0;
        });
    }
}
