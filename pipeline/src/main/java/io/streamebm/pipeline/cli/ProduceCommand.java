package io.streamebm.pipeline.cli;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.app.KafkaParts;
import io.streamebm.pipeline.app.SyntheticProducer;
import io.streamebm.pipeline.config.ConfigException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamebm produce}: a synthetic 2-D dataset streamed into a topic at a given rate. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Stream a synthetic 2-D dataset into a Kafka topic, one sample per record."})
public final class ProduceCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-server", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrapServer;

    @Option(names = "--topic", paramLabel = "NAME", description = "topic (default ${DEFAULT-VALUE})")
    String topic = "ebm.samples";

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

    /** Lists the dataset names for the help text. */
    static final class DatasetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Datasets.NAMES.iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!Datasets.NAMES.contains(dataset)) {
            throw new ConfigException(List.of("--dataset '" + dataset + "' is unknown; expected one of " + Datasets.NAMES));
        }
        if (!format.equals("json") && !format.equals("float32")) {
            throw new ConfigException(List.of("--format '" + format + "' is unknown; expected json or float32"));
        }
        if (rate < 0 || records < 0) {
            throw new ConfigException(List.of("--rate and --records must be >= 0"));
        }
        DatasetStream stream = Datasets.stream(dataset, seed);
        try (KafkaSender sender = KafkaParts.sender(bootstrapServer, "streamebm-producer")) {
            SyntheticProducer producer = new SyntheticProducer(sender, topic,
                    format.equals("json") ? JsonSampleCodec.INSTANCE : Float32SampleCodec.INSTANCE, stream::next);
            long n = CleanStop.run(producer::stop, () -> producer.run(records, rate));
            System.out.println("produced " + n + " records of " + dataset + " to " + topic);
        }
        return 0;
    }
}
