package io.streamebm.connectors;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the acknowledged prefix of each partition that an {@link AckLedger} holds: asynchronously
 * on the commit interval, synchronously when partitions are revoked and at close. An offset already
 * committed is not committed again. Used on the receiver's loop thread only (Kafka runs the async
 * commit callbacks there too, inside a later poll).
 *
 * <p>With {@link ReceiverOptions#commitOffsets()} off it commits nothing: the owner commits inside
 * its own transactions, and acknowledgements only free in-flight capacity.
 */
final class OffsetCommitter {

    // The receiver's logger: its users read and configure one logger for everything the receiver does.
    private static final Logger LOG = LoggerFactory.getLogger(KafkaReceiver.class);

    private final boolean enabled;
    private final AckLedger ledger;
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private volatile long commits;
    private long failureStreak;

    /**
     * @param enabled whether to commit at all ({@link ReceiverOptions#commitOffsets()})
     * @param ledger  where the acknowledged offsets come from
     */
    OffsetCommitter(boolean enabled, AckLedger ledger) {
        this.enabled = enabled;
        this.ledger = ledger;
    }

    /**
     * The timeout of a synchronous commit: the close timeout, or 5 s if that is zero (a zero close
     * timeout means "do not wait for downstream", not "give up committing").
     *
     * @param closeTimeout {@link ReceiverOptions#closeTimeout()}
     * @return the timeout
     */
    static Duration syncTimeout(Duration closeTimeout) {
        return closeTimeout.isZero() ? Duration.ofSeconds(5) : closeTimeout;
    }

    /** @return successful commits so far */
    long commits() {
        return commits;
    }

    private Map<TopicPartition, OffsetAndMetadata> commitsFor(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
        if (!enabled) {
            return m;
        }
        for (TopicPartition tp : partitions) {
            long off = ledger.committableOffset(tp);
            if (off >= 0 && off != committed.getOrDefault(tp, -1L)) {
                m.put(tp, new OffsetAndMetadata(off));
            }
        }
        return m;
    }

    /**
     * Starts an asynchronous commit of every partition's acknowledged prefix. A failure is retried by the
     * next interval (or the revoke/close commit) with newer offsets.
     *
     * @param consumer the receiver's consumer
     */
    void commitAsync(Consumer<byte[], byte[]> consumer) {
        Map<TopicPartition, OffsetAndMetadata> m = commitsFor(ledger.partitions());
        if (m.isEmpty()) {
            return;
        }
        consumer.commitAsync(m, (offsets, error) -> {
            if (error == null) {
                commits++;
                offsets.forEach((tp, om) -> committed.merge(tp, om.offset(), Math::max));
                if (failureStreak > 0) {
                    LOG.info("offset commits succeed again after {} failures", failureStreak);
                    failureStreak = 0;
                }
            } else if (failureStreak++ == 0) {
                // A broker outage fails every attempt, so only the first failure of a streak is a warning.
                LOG.warn("async offset commit failed, will retry: {}", error.toString());
            } else {
                LOG.debug("async offset commit failed again ({}): {}", failureStreak, error.toString());
            }
        });
    }

    /**
     * Applies the queued acknowledgements, then commits the acknowledged prefix of {@code partitions} and
     * waits for the result. A failure is logged, not thrown: at-least-once, the uncommitted records are
     * delivered again to whoever reads next.
     *
     * @param consumer   the receiver's consumer
     * @param partitions the partitions to commit
     * @param timeout    how long to wait for the broker
     */
    void commitSync(Consumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions, Duration timeout) {
        ledger.drain();
        Map<TopicPartition, OffsetAndMetadata> m = commitsFor(partitions);
        if (m.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(m, timeout);
            commits++;
            m.forEach((tp, om) -> committed.merge(tp, om.offset(), Math::max));
        } catch (RuntimeException e) {
            LOG.warn("synchronous offset commit of {} failed: {}", m.keySet(), e.toString());
        }
    }

    /** @param partitions revoked or lost partitions, whose next owner commits from now on */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(committed::remove);
    }
}
