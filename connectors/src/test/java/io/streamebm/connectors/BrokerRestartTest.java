package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.streamebm.broker.LocalKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/** A dedicated broker is stopped and restarted on the same port and directory under a running stream. */
class BrokerRestartTest {

    @Test
    void streamSurvivesABrokerRestartAndLosesNothing() throws Exception {
        Path dir = Files.createTempDirectory("streamebm-restart-");
        LocalKafkaBroker broker = LocalKafkaBroker.start(0, dir, Map.of());
        String topic = "restart";
        int partitions = 3;
        int perRound = 3_000;
        Disposable run = null;
        try {
            broker.createTopic(topic, partitions);
            KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, 0, perRound);
            KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "restart-g", topic)
                    .property("max.poll.records", 100)
                    .property("reconnect.backoff.max.ms", 500)
                    .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build());
            Set<String> seen = ConcurrentHashMap.newKeySet();
            AtomicLong count = new AtomicLong();
            AtomicReference<Throwable> error = new AtomicReference<>();
            run = receiver.receive()
                    .publishOn(Schedulers.boundedElastic(), 2)
                    .subscribe(batch -> {
                        batch.records().forEach(r -> seen.add(new String(r.value())));
                        count.addAndGet(batch.size());
                        sleepQuietly(2);
                        batch.acknowledge();
                    }, error::set);
            KafkaTestSupport.await("some records before the restart", Duration.ofSeconds(60), () -> count.get() >= 1_000);

            broker.stop();
            long atStop = count.get();
            broker.restart();
            KafkaTestSupport.produceSequenced(broker.bootstrapServers(), topic, partitions, perRound, perRound);
            int total = 2 * partitions * perRound;
            KafkaTestSupport.await("every record after the restart", Duration.ofSeconds(120),
                    () -> seen.size() >= total || error.get() != null);
            assertEquals(null, error.get(), "the stream failed");
            assertEquals(total, seen.size());
            assertTrue(count.get() > atStop, "records flowed after the restart");
            run.dispose();
            receiver.closed().block(Duration.ofSeconds(30));
            try (Admin admin = broker.admin()) {
                assertEquals(KafkaTestSupport.endOffsets(admin, topic, partitions), KafkaTestSupport.committed(admin, "restart-g"));
            }
        } finally {
            if (run != null) {
                run.dispose();
            }
            broker.close();
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
