package io.streamebm.pipeline.cli;

import io.streamebm.broker.LocalKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamebm broker}: a local single-node KRaft Kafka broker, for users without Kafka. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a single-node KRaft Kafka broker in this process.",
            "It serves until Ctrl-C or SIGTERM; for users without a Kafka cluster of their own."})
public final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "N", description = "client port (default 9092; 0 for any free port)")
    int port = 9092;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "log directory (default: a new temporary directory)")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("streamebm-broker");
        CountDownLatch stop = new CountDownLatch(1);
        // The broker closes inside the body, so a Ctrl-C waits for its clean shutdown.
        CleanStop.run(stop::countDown, () -> {
            try (LocalKafkaBroker broker = LocalKafkaBroker.start(port, dir, Map.of())) {
                System.out.println("broker ready at " + broker.bootstrapServers() + " (data in " + dir + ")");
                System.out.flush();
                stop.await();
            }
            return null;
        });
        return 0;
    }
}
