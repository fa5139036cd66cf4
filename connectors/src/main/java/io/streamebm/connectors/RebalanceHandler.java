package io.streamebm.connectors;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * A {@link KafkaReceiver}'s answer to rebalances, run by Kafka inside a poll on the receiver's loop
 * thread: the owner's hooks ({@link ReceiverOptions#onAssigned()}, {@link ReceiverOptions#onPositioned()},
 * {@link ReceiverOptions#onRevoked()}, {@link ReceiverOptions#onLost()}), the commit of revoked partitions, and re-pausing partitions
 * assigned while the receiver is paused. An exception from a hook propagates out of the poll and ends
 * the stream with it.
 */
final class RebalanceHandler implements ConsumerRebalanceListener {

    private final ReceiverOptions options;
    private final Consumer<byte[], byte[]> consumer;
    private final AckLedger ledger;
    private final OffsetCommitter committer;
    private final BooleanSupplier paused;
    private final Runnable assignmentChanged;
    private final Runnable membershipChanged;

    /**
     * @param options           the hooks and the commit timeout
     * @param consumer          the receiver's consumer
     * @param ledger            the delivered records, forgotten for partitions that leave
     * @param committer         commits revoked partitions
     * @param paused            whether newly assigned partitions must be paused at once
     * @param assignmentChanged called after every change of the assignment
     * @param membershipChanged called first in every callback, before the owner's hooks: the
     *                          consumer's group metadata may have changed
     */
    RebalanceHandler(ReceiverOptions options, Consumer<byte[], byte[]> consumer, AckLedger ledger,
                     OffsetCommitter committer, BooleanSupplier paused, Runnable assignmentChanged,
                     Runnable membershipChanged) {
        this.options = options;
        this.consumer = consumer;
        this.ledger = ledger;
        this.committer = committer;
        this.paused = paused;
        this.assignmentChanged = assignmentChanged;
        this.membershipChanged = membershipChanged;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        // The owner first saves its state and may acknowledge more; then those acks are committed.
        membershipChanged.run();
        options.onRevoked().accept(partitions);
        committer.commitSync(consumer, partitions, OffsetCommitter.syncTimeout(options.closeTimeout()));
        forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        // Another member may own them already: nothing of theirs is committed, only forgotten.
        membershipChanged.run();
        options.onLost().accept(partitions);
        forget(partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
        ledger.forget(partitions);
        committer.forget(partitions);
        assignmentChanged.run();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        membershipChanged.run();
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> starts = options.onAssigned().apply(partitions);
        if (starts != null) {
            Set<TopicPartition> assigned = new HashSet<>(partitions);
            starts.forEach((tp, offset) -> {
                if (!assigned.contains(tp)) {
                    throw new IllegalArgumentException("onAssigned returned a start offset for " + tp
                            + ", which is not among the assigned partitions " + partitions);
                }
                if (offset == null || offset < 0) {
                    throw new IllegalArgumentException("onAssigned returned start offset " + offset + " for " + tp
                            + "; it must be >= 0");
                }
                consumer.seek(tp, offset);
            });
        }
        if (options.onPositioned().isPresent()) {
            Map<TopicPartition, Long> positions = new HashMap<>();
            for (TopicPartition tp : partitions) {
                positions.put(tp, consumer.position(tp));
            }
            options.onPositioned().get().accept(Map.copyOf(positions));
        }
        if (paused.getAsBoolean()) {
            consumer.pause(partitions);
        }
        assignmentChanged.run();
    }
}
