package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.connectors.dlq.DeadLetterCounts;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Positions, keys and the dead-letter headers without a broker. */
class DecodingStageUnitTest {

    private static ConsumerRecord<byte[], byte[]> rec(String topic, int p, long off, String value) {
        return new ConsumerRecord<>(topic, p, off, null, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void positionsAreNextOffsetsIncludingDeadLettersAndBadRecordsGoToTheDlq() {
        MockProducer<byte[], byte[]> mock = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterCounts counts = new DeadLetterCounts();
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers("mock:1").build(), p -> mock)) {
            DecodingStage stage = new DecodingStage(SampleDecoder.builder().expectedDimension(2).build(),
                    new DeadLetterPublisher(sender, counts));
            ReceiverBatch batch = ReceiverBatch.detached(List.of(
                    rec("ebm.samples", 0, 10, "[1,2]"),
                    rec("ebm.samples", 0, 11, "[1,2,3]"),
                    rec("my-topic", 3, 7, "[3,4]"),
                    rec("my-topic", 3, 8, "oops")));
            DecodedBatch d = stage.decode(batch).block(Duration.ofSeconds(10));
            assertEquals(2, d.samples().size());
            assertEquals(2, d.deadLettered());
            assertEquals(Map.of("ebm.samples-0", 12L, "my-topic-3", 9L), d.sourcePositions());
            assertEquals(Map.of("wrong_dimension", 1L, "malformed_json", 1L), counts.snapshot());
            assertEquals(List.of("ebm.samples.dlq", "my-topic.dlq"), mock.history().stream().map(r -> r.topic()).toList());
            assertEquals("11", new String(mock.history().get(0).headers().lastHeader("ebm.source.offset").value()));
            assertEquals("wrong_dimension: expected 2 values, got 3",
                    new String(mock.history().get(0).headers().lastHeader("ebm.error").value()));
        }
    }

    @Test
    void failedDeadLetterWriteFailsTheBatch() {
        MockProducer<byte[], byte[]> mock = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers("mock:1").build(), p -> mock)) {
            DecodingStage stage = new DecodingStage(SampleDecoder.builder().build(), new DeadLetterPublisher(sender, new DeadLetterCounts()));
            var mono = stage.decode(ReceiverBatch.detached(List.of(rec("t", 0, 0, "bad")))).toFuture();
            KafkaTestSupportAwait.until(() -> mock.history().size() == 1);
            mock.errorNext(new RuntimeException("dlq down"));
            assertThrows(Exception.class, mono::get);
        }
    }

    @Test
    void partitionKeysRoundTrip() {
        TopicPartition tp = new TopicPartition("a-b-c", 12);
        assertEquals("a-b-c-12", PartitionKeys.key(tp));
        assertEquals(tp, PartitionKeys.parse("a-b-c-12"));
        assertThrows(IllegalArgumentException.class, () -> PartitionKeys.parse("nodash"));
        assertThrows(IllegalArgumentException.class, () -> PartitionKeys.parse("t-x"));
        assertThrows(IllegalArgumentException.class, () -> PartitionKeys.parse("t-"));
    }

    /** Tiny wait helper without checked exceptions. */
    static final class KafkaTestSupportAwait {
        static void until(java.util.function.BooleanSupplier c) {
            try {
                KafkaTestSupport.await("condition", Duration.ofSeconds(10), c);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
