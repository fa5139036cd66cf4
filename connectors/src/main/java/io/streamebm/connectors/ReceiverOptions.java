package io.streamebm.connectors;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;

/**
 * Immutable configuration of a {@link KafkaReceiver}: the Kafka consumer properties, the topics, and
 * the bridge's own settings. Build it with {@link #builder()}.
 *
 * <p>Every Kafka consumer property passes through unchanged (TLS, SASL and the rest, written as in any
 * Kafka client), except three that the bridge owns: the key and value deserializers are always
 * {@link ByteArrayDeserializer} (codecs decode values later, so a bad record can be dead-lettered with its
 * original bytes), and {@code enable.auto.commit} is always {@code false} (offsets are committed from
 * acknowledgements only). Setting {@code enable.auto.commit=true} is rejected rather than silently ignored.
 */
public final class ReceiverOptions {

    /** Default {@link #commitInterval()}: 5 seconds. */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(5);
    /** Default {@link #pollTimeout()}: 100 milliseconds. */
    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(100);
    /** Default {@link #closeTimeout()}: 5 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** Default {@link #retryBackoff()}: 100 milliseconds. */
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(100);
    /** Default {@link #maxRetryBackoff()}: 10 seconds. */
    public static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofSeconds(10);

    private final Map<String, Object> consumerProperties;
    private final List<String> topics;
    private final Duration commitInterval;
    private final Duration pollTimeout;
    private final Duration closeTimeout;
    private final Duration retryBackoff;
    private final Duration maxRetryBackoff;
    private final int maxRetries;
    private final long maxInFlightRecords;
    private final boolean commitOffsets;
    private final Function<Collection<TopicPartition>, Map<TopicPartition, Long>> onAssigned;
    private final Consumer<Collection<TopicPartition>> onRevoked;
    private final Consumer<Collection<TopicPartition>> onLost;
    private final Consumer<Map<TopicPartition, Long>> onPositioned;
    private final Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerCreated;
    private final Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerClosing;

    private ReceiverOptions(Builder b) {
        this.consumerProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.props));
        this.topics = List.copyOf(b.topics);
        this.commitInterval = b.commitInterval;
        this.pollTimeout = b.pollTimeout;
        this.closeTimeout = b.closeTimeout;
        this.retryBackoff = b.retryBackoff;
        this.maxRetryBackoff = b.maxRetryBackoff;
        this.maxRetries = b.maxRetries;
        this.maxInFlightRecords = b.maxInFlightRecords;
        this.commitOffsets = b.commitOffsets;
        this.onAssigned = b.onAssigned;
        this.onRevoked = b.onRevoked;
        this.onLost = b.onLost;
        this.onPositioned = b.onPositioned;
        this.onConsumerCreated = b.onConsumerCreated;
        this.onConsumerClosing = b.onConsumerClosing;
    }

    /** @return a new builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder preset with this configuration, to derive a variant */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.props.putAll(consumerProperties);
        b.topics = topics;
        b.commitInterval = commitInterval;
        b.pollTimeout = pollTimeout;
        b.closeTimeout = closeTimeout;
        b.retryBackoff = retryBackoff;
        b.maxRetryBackoff = maxRetryBackoff;
        b.maxRetries = maxRetries;
        b.maxInFlightRecords = maxInFlightRecords;
        b.commitOffsets = commitOffsets;
        b.onAssigned = onAssigned;
        b.onRevoked = onRevoked;
        b.onLost = onLost;
        b.onPositioned = onPositioned;
        b.onConsumerCreated = onConsumerCreated;
        b.onConsumerClosing = onConsumerClosing;
        return b;
    }

    /**
     * @return the properties given to the {@code KafkaConsumer}: the user's, plus byte-array deserializers
     *         and {@code enable.auto.commit=false}
     */
    public Map<String, Object> consumerProperties() {
        return consumerProperties;
    }

    /**
     * @return whether the receiver commits acknowledged offsets (default true). An owner that commits
     *         offsets itself, inside a Kafka transaction together with its outputs, turns this off:
     *         acknowledgements then only free in-flight capacity.
     */
    public boolean commitOffsets() {
        return commitOffsets;
    }

    /** @return the subscribed topics, never empty */
    public List<String> topics() {
        return topics;
    }

    /** @return how often acknowledged offsets are committed; default 5 s */
    public Duration commitInterval() {
        return commitInterval;
    }

    /** @return the longest a single {@code poll} blocks; default 100 ms */
    public Duration pollTimeout() {
        return pollTimeout;
    }

    /**
     * @return how long a cancelled receiver keeps waiting for downstream to acknowledge the batches it
     *         already holds before the final commit and close; default 5 s
     */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** @return first delay before retrying after a retriable error; doubles up to {@link #maxRetryBackoff()}; default 100 ms */
    public Duration retryBackoff() {
        return retryBackoff;
    }

    /** @return longest delay between retries; default 10 s */
    public Duration maxRetryBackoff() {
        return maxRetryBackoff;
    }

    /**
     * @return how many consecutive retriable failures are tolerated before the stream fails; default
     *         {@link Integer#MAX_VALUE} (retry for ever, so the stream outlives a broker restart)
     */
    public int maxRetries() {
        return maxRetries;
    }

    /**
     * @return the most records delivered downstream and not yet acknowledged; when reached, every
     *         partition is paused until acknowledgements come back. Default {@link Long#MAX_VALUE}
     *         (bounded by demand only), because a pipeline that acknowledges only at checkpoints must
     *         be allowed to hold everything since its last checkpoint.
     */
    public long maxInFlightRecords() {
        return maxInFlightRecords;
    }

    /**
     * @return hook called on the poll thread when partitions are assigned; it returns the offset to start
     *         each partition from (partitions absent from the map start at their committed offset, or as
     *         {@code auto.offset.reset} says). Default: returns an empty map.
     */
    public Function<Collection<TopicPartition>, Map<TopicPartition, Long>> onAssigned() {
        return onAssigned;
    }

    /**
     * @return hook called on the poll thread when partitions are revoked or lost. The owner saves its state
     *         for them here and may acknowledge what that state covers: for revoked (not lost) partitions,
     *         the acknowledged prefix is committed synchronously right after the hook returns. Records of
     *         these partitions still unacknowledged are then forgotten (their later acknowledgements are
     *         ignored) and the partition's next owner reads them again. Default: does nothing.
     */
    public Consumer<Collection<TopicPartition>> onRevoked() {
        return onRevoked;
    }

    /**
     * @return hook called on the poll thread when partitions are lost: the group gave them to other
     *         members without this one's say (it missed its session or poll deadline), so they may be
     *         read by their next owner already and nothing of theirs is committed. An owner whose
     *         state must not be published for them then (a replica shared through Kafka) tells the two
     *         cases apart here. Default: {@link #onRevoked()}.
     */
    public Consumer<Collection<TopicPartition>> onLost() {
        return onLost == null ? onRevoked : onLost;
    }

    /**
     * @return hook called on the poll thread after every assignment, once {@link #onAssigned()}'s seeks are
     *         done, with the offset each newly assigned partition will be read from (its seek target, else the
     *         group's committed offset, else the reset policy's). An owner that keeps its own positions learns
     *         here where it starts on partitions it has not read yet. Absent by default, and then no position
     *         is looked up.
     */
    public java.util.Optional<Consumer<Map<TopicPartition, Long>>> onPositioned() {
        return java.util.Optional.ofNullable(onPositioned);
    }

    /** @return hook called with the new consumer before its first poll, e.g. to bind client metrics; default: none */
    public Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerCreated() {
        return onConsumerCreated;
    }

    /** @return hook called just before the consumer is closed, e.g. to unbind client metrics; default: none */
    public Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerClosing() {
        return onConsumerClosing;
    }

    /** @return the consumer group id */
    public String groupId() {
        return (String) consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
    }

    @Override
    public String toString() {
        return "ReceiverOptions{topics=" + topics + ", commitInterval=" + commitInterval + ", pollTimeout="
                + pollTimeout + ", closeTimeout=" + closeTimeout + ", maxInFlightRecords=" + maxInFlightRecords
                + ", consumer=" + Options.withSecretsHidden(consumerProperties) + "}";
    }

    /** Mutable builder of {@link ReceiverOptions}; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final Map<String, Object> props = new LinkedHashMap<>();
        private List<String> topics = List.of();
        private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
        private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
        private Duration maxRetryBackoff = DEFAULT_MAX_RETRY_BACKOFF;
        private int maxRetries = Integer.MAX_VALUE;
        private long maxInFlightRecords = Long.MAX_VALUE;
        private boolean commitOffsets = true;
        private Function<Collection<TopicPartition>, Map<TopicPartition, Long>> onAssigned = parts -> Map.of();
        private Consumer<Collection<TopicPartition>> onRevoked = parts -> { };
        /** Null: the onRevoked hook. */
        private Consumer<Collection<TopicPartition>> onLost;
        private Consumer<Map<TopicPartition, Long>> onPositioned;
        private Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerCreated = c -> { };
        private Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> onConsumerClosing = c -> { };

        private Builder() {
        }

        /** @param servers {@code bootstrap.servers}; @return this */
        public Builder bootstrapServers(String servers) {
            return property(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        }

        /** @param groupId {@code group.id}, required; @return this */
        public Builder groupId(String groupId) {
            return property(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }

        /** @param key any Kafka consumer property @param value its value, passed through unchanged @return this */
        public Builder property(String key, Object value) {
            props.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** @param properties Kafka consumer properties, passed through unchanged @return this */
        public Builder properties(Map<String, ?> properties) {
            properties.forEach(this::property);
            return this;
        }

        /** @param topics topics to subscribe to @return this */
        public Builder topics(Collection<String> topics) {
            this.topics = List.copyOf(topics);
            return this;
        }

        /** @param topics topics to subscribe to @return this */
        public Builder topics(String... topics) {
            return topics(List.of(topics));
        }

        /** @param d see {@link ReceiverOptions#commitInterval()} @return this */
        public Builder commitInterval(Duration d) {
            this.commitInterval = d;
            return this;
        }

        /** @param d see {@link ReceiverOptions#pollTimeout()} @return this */
        public Builder pollTimeout(Duration d) {
            this.pollTimeout = d;
            return this;
        }

        /** @param d see {@link ReceiverOptions#closeTimeout()} @return this */
        public Builder closeTimeout(Duration d) {
            this.closeTimeout = d;
            return this;
        }

        /** @param initial see {@link ReceiverOptions#retryBackoff()} @param max see {@link ReceiverOptions#maxRetryBackoff()} @return this */
        public Builder retryBackoff(Duration initial, Duration max) {
            this.retryBackoff = initial;
            this.maxRetryBackoff = max;
            return this;
        }

        /** @param n see {@link ReceiverOptions#maxRetries()} @return this */
        public Builder maxRetries(int n) {
            this.maxRetries = n;
            return this;
        }

        /** @param commit see {@link ReceiverOptions#commitOffsets()} @return this */
        public Builder commitOffsets(boolean commit) {
            this.commitOffsets = commit;
            return this;
        }

        /** @param n see {@link ReceiverOptions#maxInFlightRecords()} @return this */
        public Builder maxInFlightRecords(long n) {
            this.maxInFlightRecords = n;
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onAssigned()} @return this */
        public Builder onAssigned(Function<Collection<TopicPartition>, Map<TopicPartition, Long>> hook) {
            this.onAssigned = Objects.requireNonNull(hook, "onAssigned");
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onRevoked()} @return this */
        public Builder onRevoked(Consumer<Collection<TopicPartition>> hook) {
            this.onRevoked = Objects.requireNonNull(hook, "onRevoked");
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onLost()} @return this */
        public Builder onLost(Consumer<Collection<TopicPartition>> hook) {
            this.onLost = Objects.requireNonNull(hook, "onLost");
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onPositioned()} @return this */
        public Builder onPositioned(Consumer<Map<TopicPartition, Long>> hook) {
            this.onPositioned = Objects.requireNonNull(hook, "onPositioned");
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onConsumerCreated()} @return this */
        public Builder onConsumerCreated(Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> hook) {
            this.onConsumerCreated = Objects.requireNonNull(hook, "onConsumerCreated");
            return this;
        }

        /** @param hook see {@link ReceiverOptions#onConsumerClosing()} @return this */
        public Builder onConsumerClosing(Consumer<org.apache.kafka.clients.consumer.Consumer<?, ?>> hook) {
            this.onConsumerClosing = Objects.requireNonNull(hook, "onConsumerClosing");
            return this;
        }

        /**
         * Validates and freezes the configuration.
         *
         * @return the options
         * @throws IllegalArgumentException naming the bad setting and what would be valid
         */
        public ReceiverOptions build() {
            ConsumerProperties.requireEssentials(props);
            if (topics.isEmpty()) {
                throw new IllegalArgumentException("topics must name at least one topic");
            }
            for (String t : topics) {
                if (t == null || t.isBlank()) {
                    throw new IllegalArgumentException("topic names must be non-blank, got " + topics);
                }
            }
            Options.requirePositive("commitInterval", commitInterval);
            Options.requirePositive("pollTimeout", pollTimeout);
            Options.requireNonNegative("closeTimeout", closeTimeout);
            Options.requirePositive("retryBackoff", retryBackoff);
            Options.requirePositive("maxRetryBackoff", maxRetryBackoff);
            if (maxRetryBackoff.compareTo(retryBackoff) < 0) {
                throw new IllegalArgumentException("maxRetryBackoff (" + maxRetryBackoff
                        + ") must be >= retryBackoff (" + retryBackoff + ")");
            }
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
            }
            if (maxInFlightRecords < 1) {
                throw new IllegalArgumentException("maxInFlightRecords must be >= 1 (Long.MAX_VALUE for no limit), got "
                        + maxInFlightRecords);
            }
            ConsumerProperties.completeAndParse(props);
            return new ReceiverOptions(this);
        }
    }
}
