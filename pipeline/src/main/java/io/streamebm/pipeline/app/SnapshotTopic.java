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
 * Makes sure the snapshot topic takes a snapshot of this model before the first one is sent.
 *
 * <p>Why: Kafka refuses records above the topic's {@code max.message.bytes} (1 MiB by default),
 * and a refused snapshot loses the output transaction it is in, which stops the trainer; after a
 * restart the same snapshot is refused again. A 2→512→512→1 MLP (265,000 parameters) already
 * needs more than 1 MiB. So a topic that does not exist yet is created with room for
 * {@value #CREATED_LIMIT_BYTES} bytes a record, and an existing one that is too small is refused
 * at start-up, with the command that fixes it, instead of after the first snapshot.
 */
final class SnapshotTopic {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotTopic.class);

    /** The record limit of a snapshot topic this class creates (the params topic's too). */
    static final int CREATED_LIMIT_BYTES = ParamsTopic.MAX_RECORD_BYTES;
    /** Room for what a snapshot adds to the parameters: calibration table, metadata, signature. */
    static final int HEADROOM_BYTES = 256 * 1024;

    private SnapshotTopic() {
    }

    /**
     * The bytes a snapshot of a model whose parameters alone encode to {@code parameterBytes} may
     * take: those plus {@value #HEADROOM_BYTES}.
     */
    static int recordBytes(int parameterBytes) {
        return parameterBytes + HEADROOM_BYTES;
    }

    /**
     * Creates {@code topic} (one partition: one ordered stream of versions) when it is absent, or
     * checks that its record limit takes {@code needed} bytes.
     *
     * @throws ConfigException       when the existing topic's limit is too small, naming it, the
     *                               size needed and how to raise it
     * @throws UncheckedIOException  when the cluster cannot be asked (the caller retries)
     */
    static void ensure(String bootstrap, Map<String, ?> adminProps, String topic, int needed, Duration timeout) {
        Map<String, Object> a = new HashMap<>(adminProps);
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(a)) {
            Optional<Integer> limit = limit(admin, topic, timeout);
            if (limit.isEmpty()) {
                create(admin, topic, Math.max(needed, CREATED_LIMIT_BYTES), timeout);
                return;
            }
            int max = limit.get();
            if (max < needed) {
                throw new ConfigException(List.of("snapshot.topic '" + topic + "' takes records of at most " + max
                        + " bytes (its max.message.bytes), but a snapshot of this model takes up to " + needed
                        + " bytes; raise the limit (kafka-configs.sh --bootstrap-server " + bootstrap
                        + " --alter --entity-type topics --entity-name " + topic + " --add-config max.message.bytes="
                        + Math.max(needed, CREATED_LIMIT_BYTES) + "), name a new topic (--set snapshot.topic=NAME), which the"
                        + " trainer creates large enough, or train a smaller model.hidden"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while checking the snapshot topic " + topic, e));
        }
    }

    /** The topic's record limit, or empty when it does not exist. */
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
                // Without leave to read topic configurations the limit stays unknown: a snapshot too
                // large for it then fails at its first send, as it would without this check.
                LOG.warn("cannot check the record limit of the snapshot topic {}: {}", topic, e.getCause().getMessage());
                return Optional.of(Integer.MAX_VALUE);
            }
            throw new UncheckedIOException(new IOException("cannot read the configuration of the snapshot topic "
                    + topic + ": " + e.getCause(), e.getCause()));
        } catch (TimeoutException e) {
            throw new UncheckedIOException(new IOException("timed out reading the configuration of the snapshot topic "
                    + topic, e));
        }
    }

    private static void create(Admin admin, String topic, int limit, Duration timeout) {
        NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
                .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(limit)));
        if (TopicCreation.create(admin, t, "the snapshot topic", true, timeout) == TopicCreation.NOT_AUTHORIZED) {
            LOG.warn("cannot create the snapshot topic {} (not authorised); the cluster creates it at the first snapshot,"
                    + " with its default record limit", topic);
        }
    }
}
