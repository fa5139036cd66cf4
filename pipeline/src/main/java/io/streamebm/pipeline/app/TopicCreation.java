package io.streamebm.pipeline.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The outcome of creating one topic that may already exist, shared by the trainer's topics
 * (outputs, snapshots, params): a topic that exists is as good as one created, a refusal for lack
 * of rights is an outcome where the caller can live without it (the cluster may create the topic on
 * first write) and an error otherwise, and any other failure is an error that names the topic and
 * its role.
 */
enum TopicCreation {
    /** This call created the topic. */
    CREATED,
    /** The topic was there already (perhaps created by another member meanwhile). */
    EXISTED,
    /** The cluster refused, the client may not create topics, and the caller can do without. */
    NOT_AUTHORIZED;

    /**
     * Creates {@code topic} and waits at most {@code timeout}.
     *
     * @param role             what the topic is for, as error messages name it ("the snapshot topic")
     * @param refusalTolerated whether a refusal for lack of rights is an outcome ({@link #NOT_AUTHORIZED})
     *                         rather than an error
     * @throws UncheckedIOException when creation fails otherwise or times out; its cause is the
     *                              cluster's error
     */
    static TopicCreation create(Admin admin, NewTopic topic, String role, boolean refusalTolerated, Duration timeout) {
        return await(admin.createTopics(List.of(topic)).values().get(topic.name()), topic.name(), role,
                refusalTolerated, timeout);
    }

    /** The outcome of one topic's creation future from a batch request, as {@link #create}. */
    static TopicCreation await(KafkaFuture<Void> created, String topic, String role, boolean refusalTolerated,
            Duration timeout) {
        try {
            created.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return CREATED;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return EXISTED;
            }
            if (e.getCause() instanceof AuthorizationException && refusalTolerated) {
                return NOT_AUTHORIZED;
            }
            throw new UncheckedIOException(new IOException("cannot create " + role + " " + topic + ": " + e.getCause(),
                    e.getCause()));
        } catch (TimeoutException e) {
            throw new UncheckedIOException(new IOException("timed out creating " + role + " " + topic, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while creating " + role + " " + topic, e));
        }
    }
}
