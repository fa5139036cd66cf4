package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodedBatch;
import io.streamebm.connectors.DecodedSample;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.SenderOptions;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.InputBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;

/** Small translations between the configuration, the connectors and the trainer's input, and the one sender factory. */
public final class KafkaParts {

    private KafkaParts() {
    }

    /** "topic-partition" as the trainer and checkpoints name a partition. */
    static String sourceKey(String topic, int partition) {
        return topic + "-" + partition;
    }

    /** The "topic-partition" names of {@code partitions}. */
    static List<String> sourceKeys(java.util.Collection<TopicPartition> partitions) {
        return partitions.stream().map(tp -> sourceKey(tp.topic(), tp.partition())).toList();
    }

    /** {@code offsets} keyed by "topic-partition" names. */
    static Map<String, Long> sourcePositions(Map<TopicPartition, Long> offsets) {
        Map<String, Long> out = new java.util.HashMap<>();
        offsets.forEach((tp, offset) -> out.put(sourceKey(tp.topic(), tp.partition()), offset));
        return out;
    }

    /** The start offsets of {@code assigned} partitions that {@code positions} knows. */
    static Map<TopicPartition, Long> seekTargets(java.util.Collection<TopicPartition> assigned, Map<String, Long> positions) {
        Map<TopicPartition, Long> out = new java.util.HashMap<>();
        for (TopicPartition tp : assigned) {
            Long p = positions.get(sourceKey(tp.topic(), tp.partition()));
            if (p != null) {
                out.put(tp, p);
            }
        }
        return out;
    }

    /** Adapts a decoded Kafka batch to the trainer's input. */
    static InputBatch toInput(DecodedBatch b) {
        List<InputBatch.Sample> samples = new ArrayList<>(b.samples().size());
        for (DecodedSample s : b.samples()) {
            samples.add(new InputBatch.Sample(sourceKey(s.topic(), s.partition()), s.offset(), s.values()));
        }
        return new InputBatch(samples, b.sourcePositions(), b::acknowledge);
    }

    /** The decoder the configuration asks for. */
    static SampleDecoder decoder(PipelineConfig c) {
        SampleDecoder.Builder b = SampleDecoder.builder()
                .expectedDimension(c.integer("model.dim"))
                .maxRecordBytes(c.integer("kafka.max-record-bytes"))
                .maxAbsValue(c.number("kafka.max-abs-value"));
        switch (c.string("kafka.format")) {
            case "json" -> b.forceCodec(JsonSampleCodec.INSTANCE);
            case "float32" -> b.forceCodec(Float32SampleCodec.INSTANCE);
            default -> b.defaultCodec(JsonSampleCodec.INSTANCE);
        }
        return b.build();
    }

    /** A sender with the project's producer defaults (client id, 5 ms linger, acks=all). */
    public static KafkaSender sender(String bootstrap, String clientId) {
        return sender(bootstrap, clientId, Map.of());
    }

    /** A sender with the configuration's pass-through producer properties. */
    static KafkaSender sender(PipelineConfig c, String clientId) {
        return sender(c.string("kafka.bootstrap-servers"), clientId, c.clientProperties(PipelineConfig.PRODUCER_PREFIX));
    }

    private static KafkaSender sender(String bootstrap, String clientId, Map<String, String> extra) {
        return KafkaSender.create(SenderOptions.builder()
                .bootstrapServers(bootstrap)
                .property("client.id", clientId)
                .property("linger.ms", 5)
                .properties(extra)
                .build());
    }

    /** Consumer settings shared by the trainer and the scorer, then the pass-through ones. */
    static Map<String, Object> consumerProperties(PipelineConfig c, String clientId) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of(
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000));
        m.putAll(c.clientProperties(PipelineConfig.CONSUMER_PREFIX));
        return m;
    }
}
