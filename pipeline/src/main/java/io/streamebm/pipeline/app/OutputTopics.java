package io.streamebm.pipeline.app;

import io.streamebm.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics a job writes (dead letters, drift events, scores; {@code produce}'s target)
 * when the cluster does not have them yet, at start-up, with the cluster's default partitions and
 * replication.
 *
 * <p>Why: many clusters run with {@code auto.create.topics.enable=false}. There, the first record
 * sent to a missing topic waits {@code max.block.ms} (a minute) for a topic that never comes, and
 * the output transaction it belongs to is lost: the trainer stopped at its first bad record, and
 * again after every restart. Creating the topics first makes the first record like any other.
 *
 * <p>A principal not allowed to create topics gets a warning naming the topic and goes on: its
 * operators may have created the topics already, under names it cannot list.
 */
public final class OutputTopics {

    private static final Logger LOG = LoggerFactory.getLogger(OutputTopics.class);

    private OutputTopics() {
    }

    /**
     * Creates each of {@code topics} that the cluster of {@code config} (its bootstrap servers and
     * client security settings) does not list.
     *
     * @throws UncheckedIOException when the cluster cannot be asked, or refuses a creation for
     *                              another reason than authorisation (the caller retries or stops)
     */
    public static void ensure(PipelineConfig config, Collection<String> topics, Duration timeout) {
        ensure(config, topics, Optional.empty(), timeout);
    }

    /**
     * {@link #ensure(PipelineConfig, Collection, Duration)}, creating missing topics with
     * {@code partitions} partitions (empty: the cluster's default). Existing topics keep theirs.
     */
    public static void ensure(PipelineConfig config, Collection<String> topics, Optional<Integer> partitions,
            Duration timeout) {
        Map<String, Object> a = new HashMap<>(KafkaParts.adminProperties(config));
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.string("kafka.bootstrap-servers"));
        try (Admin admin = Admin.create(a)) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : topics) {
                if (!existing.contains(topic) && missing.stream().noneMatch(t -> t.name().equals(topic))) {
                    missing.add(new NewTopic(topic, partitions, Optional.empty()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            CreateTopicsResult created = admin.createTopics(missing);
            for (NewTopic t : missing) {
                switch (TopicCreation.await(created.values().get(t.name()), t.name(), "the output topic", true, timeout)) {
                    case CREATED -> LOG.info("created the output topic {}", t.name());
                    case NOT_AUTHORIZED -> LOG.warn("cannot create the output topic {} (not authorised); records to it"
                            + " wait for the cluster to have it", t.name());
                    case EXISTED -> { }
                }
            }
        } catch (ExecutionException e) {
            throw new UncheckedIOException(new IOException("cannot list the cluster's topics: " + e.getCause(),
                    e.getCause()));
        } catch (TimeoutException e) {
            throw new UncheckedIOException(new IOException("timed out asking the cluster for the topics " + topics, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while creating the topics " + topics, e));
        }
    }
}
