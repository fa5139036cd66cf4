package io.streamebm.connectors;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A backpressured {@link Flux} of poll batches over one {@code KafkaConsumer}.
 *
 * <p>One dedicated thread owns the consumer; nothing else touches it. Downstream demand is counted:
 * each poll that returns records becomes one {@link ReceiverBatch} and uses one unit of demand. With no
 * demand left (or with {@link ReceiverOptions#maxInFlightRecords()} unacknowledged records out), every
 * assigned partition is paused and the thread keeps polling, so the consumer stays in its group
 * ({@code max.poll.interval.ms} is satisfied and rebalances proceed); partitions assigned while paused are
 * paused at once. Acknowledged offsets are committed per partition up to the first unacknowledged record:
 * every {@link ReceiverOptions#commitInterval()}, synchronously when partitions are revoked, and at close.
 *
 * <p>Cancelling the subscription stops fetching, waits up to {@link ReceiverOptions#closeTimeout()} for
 * the batches already delivered to be acknowledged, commits, and closes the consumer; {@link #closed()}
 * completes then. Retriable Kafka errors are retried with exponential backoff; any other error (or a
 * rebalance hook that throws) terminates the Flux with that error once the consumer is closed.
 *
 * <p>Batches are emitted on the poll thread: move heavy work elsewhere ({@code publishOn}) so that the
 * poll loop keeps polling. A receiver serves one subscription; create a new receiver to consume again.
 *
 * <p>Inside, each subscription runs a {@link ReceiverLoop}: the poll loop as tasks on a single-threaded
 * Reactor {@code Scheduler} (thread {@code streamebm-kafka-receiver-N}), demand counted with Reactor's
 * {@code Operators.addCap}/{@code produced}; {@link AckLedger} and {@link OffsetCommitter} keep the
 * acknowledgements and commits, {@link RebalanceHandler} answers rebalances. Two parts remain hand-written,
 * measured on the 2-core machine of bench/RESULTS.md, under load from other builds:
 * <ul>
 *   <li>Each poll is one task that schedules the next, rather than a Reactor operator chain: an operator
 *       would not let the loop keep polling a paused consumer without demand, and the consumer may be
 *       touched by one thread only. The scheduling costs nothing measurable: the loop thread spent 210 and
 *       184 ns of CPU per record (two runs, each the median of 5 rounds of 5,000,000 records, 2,000 per
 *       poll) against 213 and 213 ns for the former raw thread; {@code ReceiverThroughput}'s median ratio
 *       to a plain poll loop was 86-103% over four runs, against 82-103% over five before.</li>
 *   <li>A paused loop polls again after {@link ReceiverOptions#pollTimeout()} on a timer, and new demand,
 *       an acknowledgement or a cancel runs that timer's task at once ({@code wake}). Without the wake, a
 *       request that finds the loop paused waited a median 99 ms for its batch (default 100 ms poll
 *       timeout); with it, 0.22 ms (the former wait/notify: 0.28 ms).</li>
 * </ul>
 */
public final class KafkaReceiver {

    private final ReceiverOptions options;
    private final Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private volatile ReceiverLoop loop;

    private KafkaReceiver(ReceiverOptions options, Function<Map<String, Object>, Consumer<byte[], byte[]>> factory) {
        this.options = options;
        this.consumerFactory = factory;
    }

    /**
     * @param options consumer configuration and topics
     * @return a receiver; nothing connects until {@link #receive()} is subscribed
     */
    public static KafkaReceiver create(ReceiverOptions options) {
        return new KafkaReceiver(options, KafkaConsumer::new);
    }

    /** Lets tests run the loop over a {@code MockConsumer}. */
    static KafkaReceiver create(ReceiverOptions options, Function<Map<String, Object>, Consumer<byte[], byte[]>> factory) {
        return new KafkaReceiver(options, factory);
    }

    /** @return the options this receiver was created with */
    public ReceiverOptions options() {
        return options;
    }

    /**
     * The stream of poll batches. It may be subscribed once; a second subscription fails with
     * {@link IllegalStateException}.
     *
     * @return the batches, until cancelled or a fatal error
     */
    public Flux<ReceiverBatch> receive() {
        return Flux.create(sink -> {
            if (!subscribed.compareAndSet(false, true)) {
                sink.error(new IllegalStateException("a KafkaReceiver serves one subscription; create another receiver"));
                return;
            }
            // The BUFFER never holds more than the batch in hand: the loop emits only against demand it counted.
            ReceiverLoop l = new ReceiverLoop(options, consumerFactory, sink, closed);
            loop = l;
            l.start();
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    /**
     * @return completes once the subscription's consumer is closed, after the final commit (it never completes
     *         if {@link #receive()} is never subscribed)
     */
    public Mono<Void> closed() {
        return closed.asMono();
    }

    /**
     * Consumer lag per assigned partition (records between the position and the log end), as the
     * consumer knew it at a recent poll (refreshed at most every 100 ms, and on every rebalance).
     * Partitions whose lag is not known yet are absent.
     *
     * @return an immutable snapshot
     */
    public Map<TopicPartition, Long> lag() {
        ReceiverLoop l = loop;
        return l == null ? Map.of() : l.lag();
    }

    /** @return the partitions assigned at the last poll */
    public Set<TopicPartition> assignment() {
        ReceiverLoop l = loop;
        return l == null ? Set.of() : l.assignment();
    }

    /**
     * The consumer's group metadata (member id, generation) as of its latest rebalance callback
     * (taken there only, where the generation is settled: see {@code ReceiverLoop}), for a
     * transactional producer that commits this group's offsets
     * ({@code sendOffsetsToTransaction}): with it, the broker refuses the offsets of a member the
     * group has since expelled (a zombie), and those sent with a generation that a rebalance has
     * since replaced. Any thread.
     *
     * @return the metadata, or empty before the first assignment
     */
    public Optional<ConsumerGroupMetadata> groupMetadata() {
        ReceiverLoop l = loop;
        return l == null ? Optional.empty() : Optional.ofNullable(l.groupMetadata());
    }

    /** @return current counters */
    public ReceiverStats stats() {
        ReceiverLoop l = loop;
        return l == null ? new ReceiverStats(false, 0, 0, 0, 0, 0, 0, 0, 0) : l.stats();
    }
}
