package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodedBatch;
import io.streamebm.connectors.DecodedSample;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.PartitionKeys;
import io.streamebm.connectors.Rejection;
import io.streamebm.connectors.SenderOptions;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.config.RecordFormat;
import io.streamebm.pipeline.train.InputBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;

/** Small translations between the configuration, the connectors and the trainer's input, and the one sender factory. */
public final class KafkaParts {

    private KafkaParts() {
    }

    /**
     * Consumer properties that make this process a static member of its group: a
     * {@code group.instance.id} that stays the same across restarts, so a trainer restarted after a
     * crash takes its partitions back at once instead of waiting out the dead member's session
     * (about 45 s). The id is {@code kafka.member-name} when set, else derived from the host and the
     * checkpoint directory: two trainers of one group on one host must use different checkpoint
     * directories anyway. An explicit {@code kafka.consumer.group.instance.id} wins.
     *
     * @param role tells the trainer's and the scorer's memberships apart
     */
    static Map<String, Object> staticMembership(PipelineConfig c, String role) {
        if (!c.clientProperties(PipelineConfig.CONSUMER_PREFIX).containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
            return Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, memberName(c) + "-" + role);
        }
        return Map.of();
    }

    /**
     * This member's stable name: {@code kafka.member-name}, else the host and a hash of the
     * checkpoint directory. It names the static group membership and the output transactions.
     */
    static String memberName(PipelineConfig c) {
        String member = c.string("kafka.member-name");
        return member.isEmpty()
                ? hostName() + "-" + shortHash(Path.of(c.string("checkpoint.dir")).toAbsolutePath().normalize().toString())
                : member;
    }

    /** The pass-through consumer properties an admin client understands (TLS, SASL, timeouts). */
    static Map<String, Object> adminProperties(PipelineConfig c) {
        Map<String, Object> out = new java.util.HashMap<>();
        java.util.Set<String> known = org.apache.kafka.clients.admin.AdminClientConfig.configNames();
        c.clientProperties(PipelineConfig.CONSUMER_PREFIX).forEach((k, v) -> {
            if (known.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static String shortHash(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The "topic-partition" names of {@code partitions} ({@link PartitionKeys}, as the trainer and checkpoints name them). */
    static List<String> sourceKeys(java.util.Collection<TopicPartition> partitions) {
        return partitions.stream().map(PartitionKeys::key).toList();
    }

    /** {@code offsets} keyed by "topic-partition" names. */
    static Map<String, Long> sourcePositions(Map<TopicPartition, Long> offsets) {
        Map<String, Long> out = new java.util.HashMap<>();
        offsets.forEach((tp, offset) -> out.put(PartitionKeys.key(tp), offset));
        return out;
    }

    /** The start offsets of {@code assigned} partitions that {@code positions} knows. */
    static Map<TopicPartition, Long> seekTargets(java.util.Collection<TopicPartition> assigned, Map<String, Long> positions) {
        Map<TopicPartition, Long> out = new java.util.HashMap<>();
        for (TopicPartition tp : assigned) {
            Long p = positions.get(PartitionKeys.key(tp));
            if (p != null) {
                out.put(tp, p);
            }
        }
        return out;
    }

    /** Adapts a decoded Kafka batch to the trainer's input. */
    static InputBatch toInput(DecodedBatch b) {
        return toInput(b, r -> () -> { });
    }

    /**
     * Adapts a decoded Kafka batch to the trainer's input, with {@code deadLetter} giving what to
     * write for each rejected record once the trainer counts it.
     */
    static InputBatch toInput(DecodedBatch b, java.util.function.Function<Rejection, Runnable> deadLetter) {
        List<InputBatch.Sample> samples = new ArrayList<>(b.samples().size());
        for (DecodedSample s : b.samples()) {
            samples.add(new InputBatch.Sample(PartitionKeys.key(new TopicPartition(s.topic(), s.partition())), s.offset(),
                    s.values()));
        }
        List<InputBatch.Output> outputs = new ArrayList<>(b.rejections().size());
        for (Rejection r : b.rejections()) {
            outputs.add(new InputBatch.Output(PartitionKeys.key(new TopicPartition(r.record().topic(), r.record().partition())),
                    r.record().offset(), deadLetter.apply(r)));
        }
        return new InputBatch(samples, b.sourcePositions(), b::acknowledge, outputs, b::revokedSincePolled);
    }

    /** The decoder the configuration asks for. */
    static SampleDecoder decoder(PipelineConfig c) {
        SampleDecoder.Builder b = SampleDecoder.builder()
                .expectedDimension(c.integer("model.dim"))
                .maxRecordBytes(c.integer("kafka.max-record-bytes"))
                .maxAbsValue(c.number("kafka.max-abs-value"));
        switch (c.choice("kafka.format", RecordFormat.class)) {
            case JSON -> b.forceCodec(JsonSampleCodec.INSTANCE);
            case FLOAT32 -> b.forceCodec(Float32SampleCodec.INSTANCE);
            case AUTO -> b.defaultCodec(JsonSampleCodec.INSTANCE);
        }
        return b.build();
    }

    /** A sender with the project's producer defaults (client id, 5 ms linger, acks=all). */
    public static KafkaSender sender(String bootstrap, String clientId) {
        return sender(bootstrap, clientId, Map.of());
    }

    /** A sender to the configuration's cluster, with its pass-through producer properties. */
    public static KafkaSender sender(PipelineConfig c, String clientId) {
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
