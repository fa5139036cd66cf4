package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The synthetic producer writes a topic whole even when it starts before the topic's partitions are
 * led: the first batch to a partition that is not led yet is refused, and an idempotent producer
 * whose later batch got in first could never place it (KAFKA-15591; see
 * {@code SyntheticProducer.openPartitions}).
 */
class SyntheticProducerTest {

    private static final int TOPICS = 10;
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 3_000;

    @Test
    void aTopicCreatedAMomentAgoIsWrittenWholeByAnIdempotentProducer() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        // A lost batch fails the run when its delivery times out: 15 s here, not the default two minutes.
        PipelineConfig config = PipelineConfig.parse(Map.of(), Map.of(
                "kafka.bootstrap-servers", broker.bootstrapServers(),
                "kafka.producer.delivery.timeout.ms", "15000",
                "kafka.producer.request.timeout.ms", "10000"));
        try (Admin admin = broker.admin()) {
            for (int t = 0; t < TOPICS; t++) {
                String topic = TestBroker.uniqueTopic("fresh");
                try (KafkaSender sender = KafkaParts.sender(config, "fresh-producer")) {
                    // Created but not awaited (unlike LocalKafkaBroker.createTopic), under a producer that is
                    // already connected: its first batches meet partitions that are not led yet.
                    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all()
                            .get(30, TimeUnit.SECONDS);
                    long sent = new SyntheticProducer(sender, topic, Float32SampleCodec.INSTANCE,
                            Datasets.stream("two-moons", t)::next).run(RECORDS, 0);
                    assertEquals(RECORDS, sent, "records confirmed in " + topic);
                }
                assertEquals(RECORDS, recordsIn(admin, topic), "records in " + topic);
            }
        }
    }

    private static long recordsIn(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                .mapToLong(i -> i.offset()).sum();
    }
}
