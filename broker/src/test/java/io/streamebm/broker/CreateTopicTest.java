package io.streamebm.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A topic is ready when {@link LocalKafkaBroker#createTopic} returns: every partition takes a write at once.
 * A leader listed in the metadata is not enough (the broker lists it before it leads the partition), and a
 * write refused then can cost an idempotent producer its first batch (see {@code createTopic}'s Javadoc).
 */
class CreateTopicTest {

    /** Enough fresh partitions that, before the fix, some refused their first write on every run (54 of 300 measured). */
    private static final int TOPICS = 20;
    private static final int PARTITIONS = 3;

    @Test
    void everyPartitionOfANewTopicTakesItsFirstWriteWithoutARetry() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start();
                KafkaProducer<byte[], byte[]> producer = oneAttemptProducer(broker.bootstrapServers())) {
            for (int t = 0; t < TOPICS; t++) {
                String topic = "fresh-" + t;
                broker.createTopic(topic, PARTITIONS);
                List<Future<RecordMetadata>> writes = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    writes.add(producer.send(new ProducerRecord<>(topic, p, null, new byte[] {(byte) p})));
                }
                for (int p = 0; p < PARTITIONS; p++) {
                    try {
                        assertEquals(0, writes.get(p).get(30, TimeUnit.SECONDS).offset(), topic + "-" + p);
                    } catch (ExecutionException e) {
                        fail("partition " + topic + "-" + p + " refused its first write after createTopic returned: "
                                + e.getCause());
                    }
                }
            }
        }
    }

    /** A producer that tries each write once, so that a NOT_LEADER_OR_FOLLOWER is reported instead of retried away. */
    private static KafkaProducer<byte[], byte[]> oneAttemptProducer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.RETRIES_CONFIG, 0,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
    }
}
