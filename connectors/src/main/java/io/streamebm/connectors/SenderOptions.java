package io.streamebm.connectors;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Immutable configuration of a {@link KafkaSender}. Build it with {@link #builder()}.
 *
 * <p>Every Kafka producer property passes through unchanged (TLS, SASL, {@code acks}, {@code linger.ms}...).
 * Keys and values are always byte arrays: the codecs and callers produce the bytes. Unless set otherwise,
 * {@code acks=all}, so that "confirmed" means the record is durable on every in-sync replica.
 */
public final class SenderOptions {

    /** Default {@link #maxInFlight()}: 1024 sends. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    /** Default {@link #closeTimeout()}: 30 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> producerProperties;
    private final int maxInFlight;
    private final Duration closeTimeout;

    private SenderOptions(Builder b) {
        this.producerProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.props));
        this.maxInFlight = b.maxInFlight;
        this.closeTimeout = b.closeTimeout;
    }

    /** @return a new builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the properties given to the {@code KafkaProducer} */
    public Map<String, Object> producerProperties() {
        return producerProperties;
    }

    /** @return the most sends handed to the producer and not yet confirmed; later sends wait; default 1024 */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return how long {@link KafkaSender#close()} waits for unconfirmed sends; default 30 s */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    @Override
    public String toString() {
        return "SenderOptions{maxInFlight=" + maxInFlight + ", closeTimeout=" + closeTimeout + ", producer="
                + Options.withSecretsHidden(producerProperties) + "}";
    }

    /** Mutable builder of {@link SenderOptions}; {@link #build()} validates. */
    public static final class Builder {
        private final Map<String, Object> props = new LinkedHashMap<>();
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

        private Builder() {
        }

        /** @param servers {@code bootstrap.servers} @return this */
        public Builder bootstrapServers(String servers) {
            return property(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        }

        /** @param key any Kafka producer property @param value its value, passed through unchanged @return this */
        public Builder property(String key, Object value) {
            props.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** @param properties Kafka producer properties, passed through unchanged @return this */
        public Builder properties(Map<String, ?> properties) {
            properties.forEach(this::property);
            return this;
        }

        /** @param n see {@link SenderOptions#maxInFlight()} @return this */
        public Builder maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        /** @param d see {@link SenderOptions#closeTimeout()} @return this */
        public Builder closeTimeout(Duration d) {
            this.closeTimeout = d;
            return this;
        }

        /**
         * Validates and freezes the configuration.
         *
         * @return the options
         * @throws IllegalArgumentException naming the bad setting and what would be valid
         */
        public SenderOptions build() {
            if (!props.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)
                    || props.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG).toString().isBlank()) {
                throw new IllegalArgumentException("bootstrap.servers is required, e.g. \"127.0.0.1:9092\"");
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
            }
            Options.requireNonNegative("closeTimeout", closeTimeout);
            Object acks = props.get(ProducerConfig.ACKS_CONFIG);
            if (acks != null && !(acks.toString().equals("all") || acks.toString().equals("-1")
                    || acks.toString().equals("0") || acks.toString().equals("1"))) {
                throw new IllegalArgumentException("acks must be one of all, -1, 0, 1; got \"" + acks + "\"");
            }
            props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            try {
                // Kafka's own parser checks types, ranges and conflicts (e.g. idempotence with acks=1) now.
                new ProducerConfig(props);
            } catch (ConfigException e) {
                throw new IllegalArgumentException("invalid Kafka producer property: " + e.getMessage(), e);
            }
            return new SenderOptions(this);
        }
    }
}
