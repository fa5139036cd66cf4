package io.streamebm.pipeline.app;

import io.streamebm.pipeline.config.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure a topic the trainer writes whole models to, the snapshot topic or the params topic,
 * takes a record of this model before the first one is sent.
 *
 * <p>Why: Kafka refuses records above the topic's {@code max.message.bytes} (1 MiB by default),
 * and a refused record loses the output transaction it is in, which stops the trainer; after a
 * restart the same record is refused again. A 2→512→512→1 MLP (265,000 parameters) already
 * needs more than 1 MiB. So a topic that does not exist yet is created with room for
 * {@value #CREATED_LIMIT_BYTES} bytes a record or the model's size if larger, and an existing one
 * that is too small is refused at start-up, with the command that fixes it, instead of after the
 * first record.
 */
final class SizedTopic {

    private static final Logger LOG = LoggerFactory.getLogger(SizedTopic.class);

    /** The smallest record limit of a topic this class creates: four million float parameters. */
    static final int CREATED_LIMIT_BYTES = 16 * 1024 * 1024;
    /** A record limit the cluster does not let this client read. */
    private static final int UNKNOWN = -1;
    /** Room for what a record adds to the parameters: calibration table, metadata, signature. */
    static final int HEADROOM_BYTES = 256 * 1024;

    /**
     * What a topic holds, as its configuration key and its messages name it.
     *
     * @param key             the configuration key that names the topic ({@code snapshot.topic})
     * @param name            the topic's role in messages ("the snapshot topic")
     * @param record          what one record is ("a snapshot")
     * @param creationConfigs topic settings besides the record limit when this class creates it
     */
    record Use(String key, String name, String record, Map<String, String> creationConfigs) {
        /** The snapshot topic: one ordered stream of versions. */
        static final Use SNAPSHOTS = new Use("snapshot.topic", "the snapshot topic", "a snapshot", Map.of());
        /** The params topic: the newest contribution of each member, so compacted. */
        static final Use CONTRIBUTIONS = new Use("scale-out.params-topic", "the params topic", "a contribution",
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));

        /**
         * Whether the trainer can work when it may not create the topic: a snapshot topic the
         * cluster creates on first write still works, with its default limit; a params topic it
         * creates is not compacted.
         */
        boolean mayDoWithout() {
            return creationConfigs.isEmpty();
        }
    }

    private SizedTopic() {
    }

    /**
     * The bytes a record of a model whose parameters alone encode to {@code parameterBytes} may
     * take: those plus {@value #HEADROOM_BYTES}.
     */
    static int recordBytes(int parameterBytes) {
        return parameterBytes + HEADROOM_BYTES;
    }

    /** The record limit a topic this class creates gets for records of {@code needed} bytes. */
    static int createdLimit(int needed) {
        return Math.max(needed, CREATED_LIMIT_BYTES);
    }

    /**
     * Creates {@code topic} (one partition) when it is absent, or checks that its record limit
     * takes {@code needed} bytes.
     *
     * @throws ConfigException       when the existing topic's limit is too small, naming it, the
     *                               size needed and how to raise it
     * @throws UncheckedIOException  when the cluster cannot be asked (the caller retries)
     */
    static void ensure(String bootstrap, Map<String, ?> adminProps, String topic, Use use, int needed,
            Duration timeout) {
        Map<String, Object> a = new HashMap<>(adminProps);
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(a)) {
            Optional<Integer> limit = limit(admin, topic, timeout);
            if (limit.isEmpty() || (limit.get() == UNKNOWN && !use.mayDoWithout())) {
                create(admin, topic, use, createdLimit(needed), timeout);
                return;
            }
            int max = limit.get() == UNKNOWN ? Integer.MAX_VALUE : limit.get();
            if (max < needed) {
                throw new ConfigException(List.of(use.key() + " '" + topic + "' takes records of at most " + max
                        + " bytes (its max.message.bytes), but " + use.record() + " of this model takes up to " + needed
                        + " bytes; raise the limit (kafka-configs.sh --bootstrap-server " + bootstrap
                        + " --alter --entity-type topics --entity-name " + topic + " --add-config max.message.bytes="
                        + createdLimit(needed) + "), name a new topic (--set " + use.key() + "=NAME), which the"
                        + " trainer creates large enough, or train a smaller model.hidden"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while checking the topic " + topic, e));
        }
    }

    /** The topic's record limit, {@link #UNKNOWN} when the cluster does not say, or empty when it does not exist. */
    private static Optional<Integer> limit(Admin admin, String topic, Duration timeout) throws InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config config = admin.describeConfigs(List.of(resource)).all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            return Optional.of(entry == null || entry.value() == null ? Integer.MAX_VALUE : Integer.parseInt(entry.value()));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            if (e.getCause() instanceof AuthorizationException) {
                // Without leave to read topic configurations the limit stays unknown: a record too
                // large for it then fails at its first send, as it would without this check.
                LOG.warn("cannot check the record limit of the topic {}: {}", topic, e.getCause().getMessage());
                return Optional.of(UNKNOWN);
            }
            throw new UncheckedIOException(new IOException("cannot read the configuration of the topic "
                    + topic + ": " + e.getCause(), e.getCause()));
        } catch (TimeoutException e) {
            throw new UncheckedIOException(new IOException("timed out reading the configuration of the topic "
                    + topic, e));
        }
    }

    private static void create(Admin admin, String topic, Use use, int limit, Duration timeout) {
        Map<String, String> configs = new HashMap<>(use.creationConfigs());
        configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(limit));
        NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty()).configs(configs);
        if (TopicCreation.create(admin, t, use.name(), use.mayDoWithout(), timeout) == TopicCreation.NOT_AUTHORIZED) {
            LOG.warn("cannot create {} {} (not authorised); the cluster creates it at the first record, with its"
                    + " default record limit", use.name(), topic);
        }
    }
}
