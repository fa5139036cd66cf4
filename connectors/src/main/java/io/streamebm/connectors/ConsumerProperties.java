package io.streamebm.connectors;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The checks {@link ReceiverOptions.Builder#build()} makes of the Kafka consumer properties, and the three
 * properties the receiver owns: byte-array deserializers and {@code enable.auto.commit=false}. Two steps,
 * because the builder checks the essentials before its own settings and lets Kafka parse everything
 * after them: with several mistakes, the first one reported stays the same.
 */
final class ConsumerProperties {

    private ConsumerProperties() {
    }

    /**
     * @param props the builder's properties
     * @throws IllegalArgumentException without {@code bootstrap.servers} or {@code group.id}, or with
     *                                  {@code enable.auto.commit=true}
     */
    static void requireEssentials(Map<String, Object> props) {
        if (!props.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)
                || props.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG).toString().isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers is required, e.g. \"127.0.0.1:9092\"");
        }
        Object group = props.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isBlank()) {
            throw new IllegalArgumentException(
                    "group.id is required: acknowledged offsets are committed to a consumer group");
        }
        Object auto = props.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        if (auto != null && Boolean.parseBoolean(auto.toString())) {
            throw new IllegalArgumentException("enable.auto.commit must be false (or unset): "
                    + "the receiver commits only acknowledged offsets");
        }
    }

    /**
     * Sets the properties the receiver owns, then lets Kafka's own parser check every known property
     * (types, ranges, enums) now rather than at subscribe.
     *
     * @param props the builder's properties, changed in place
     * @throws IllegalArgumentException naming the bad property
     */
    static void completeAndParse(Map<String, Object> props) {
        Options.checkIntProperty(props, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try {
            new QuietConsumerConfig(props);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid Kafka consumer property: " + e.getMessage(), e);
        }
    }

    /** Parses without logging every value, which the consumer will do itself when it is created. */
    private static final class QuietConsumerConfig extends ConsumerConfig {
        QuietConsumerConfig(Map<String, Object> props) {
            super(props, false);
        }
    }
}
