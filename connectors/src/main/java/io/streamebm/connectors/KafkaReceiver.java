package io.streamebm.connectors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 */
public final class KafkaReceiver {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaReceiver.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long LAG_REFRESH_NANOS = 100_000_000L;

    private final ReceiverOptions options;
    private final Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private volatile EventLoop loop;

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
            EventLoop l = new EventLoop(sink);
            loop = l;
            sink.onRequest(l::request);
            sink.onDispose(l::stop);
            Thread t = new Thread(l::run, "streamebm-kafka-receiver-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            t.start();
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
        EventLoop l = loop;
        return l == null ? Map.of() : l.lag;
    }

    /** @return the partitions assigned at the last poll */
    public Set<TopicPartition> assignment() {
        EventLoop l = loop;
        return l == null ? Set.of() : l.assignmentSnapshot;
    }

    /** @return current counters */
    public ReceiverStats stats() {
        EventLoop l = loop;
        if (l == null) {
            return new ReceiverStats(false, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        return new ReceiverStats(l.paused, l.pauses, l.polls, l.batches, l.records, l.inFlight, l.maxInFlightSeen,
                l.commits, l.retriesTotal);
    }

    /** One ack message for the poll thread: a whole batch, or one record of a segment. */
    private record Ack(ReceiverBatch batch, PartitionAckTracker.Segment segment, int index) {
    }

    private final class EventLoop implements ReceiverBatch.AckSink, ConsumerRebalanceListener {
        private final FluxSink<ReceiverBatch> sink;
        private final AtomicLong requested = new AtomicLong();
        private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        private final Object signal = new Object();
        private final Map<TopicPartition, PartitionAckTracker> trackers = new HashMap<>();
        private final Map<TopicPartition, Long> committed = new HashMap<>();
        private volatile boolean stopRequested;
        private boolean signalled;
        private Consumer<byte[], byte[]> consumer;
        // Written by the poll thread only; volatile so that stats() reads fresh values.
        private volatile boolean paused;
        private volatile long pauses;
        private volatile long polls;
        private volatile long batches;
        private volatile long records;
        private volatile long inFlight;
        private volatile long maxInFlightSeen;
        private volatile long commits;
        private volatile long retriesTotal;
        private volatile Map<TopicPartition, Long> lag = Map.of();
        private volatile Set<TopicPartition> assignmentSnapshot = Set.of();
        private long nextCommitNanos;
        private long commitFailures;
        private long nextLagNanos;

        EventLoop(FluxSink<ReceiverBatch> sink) {
            this.sink = sink;
        }

        void request(long n) {
            long prev;
            long next;
            do {
                prev = requested.get();
                if (prev == Long.MAX_VALUE) {
                    return;
                }
                next = prev + n;
                if (next < 0) {
                    next = Long.MAX_VALUE;
                }
            } while (!requested.compareAndSet(prev, next));
            if (prev == 0) {
                wake();
            }
        }

        void stop() {
            stopRequested = true;
            wake();
        }

        private void wake() {
            synchronized (signal) {
                signalled = true;
                signal.notifyAll();
            }
        }

        private void waitForSignal(long millis) {
            if (millis <= 0) {
                return;
            }
            synchronized (signal) {
                if (!signalled) {
                    try {
                        signal.wait(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopRequested = true;
                    }
                }
                signalled = false;
            }
        }

        /** Unlike waitForSignal, demand and acknowledgements do not cut it short: only a stop does. */
        private void backOff(long millis) {
            long deadline = System.nanoTime() + millis * 1_000_000L;
            long left;
            while (!stopRequested && (left = (deadline - System.nanoTime()) / 1_000_000L) > 0) {
                waitForSignal(left);
            }
        }

        @Override
        public void acknowledgeAll(ReceiverBatch batch) {
            acks.add(new Ack(batch, null, -1));
            if (paused) {
                wake();
            }
        }

        @Override
        public void acknowledge(PartitionAckTracker.Segment segment, int index) {
            acks.add(new Ack(null, segment, index));
            if (paused) {
                wake();
            }
        }

        void run() {
            Throwable failure = null;
            try {
                consumer = consumerFactory.apply(new HashMap<>(options.consumerProperties()));
                options.onConsumerCreated().accept(consumer);
                consumer.subscribe(options.topics(), this);
                failure = pollLoop();
            } catch (Throwable t) {
                failure = t;
            }
            shutdown(failure);
        }

        private Throwable pollLoop() {
            int retries = 0;
            long backoff = options.retryBackoff().toMillis();
            nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
            while (!stopRequested) {
                try {
                    drainAcks();
                    if (System.nanoTime() - nextCommitNanos >= 0) {
                        commitAsync();
                        nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
                    }
                    boolean wantPause = requested.get() == 0 || inFlight >= options.maxInFlightRecords();
                    setPaused(wantPause);
                    ConsumerRecords<byte[], byte[]> polled = consumer.poll(wantPause ? Duration.ZERO : options.pollTimeout());
                    polls++;
                    if (!polled.isEmpty()) {
                        emit(polled);
                    }
                    long now = System.nanoTime();
                    // Lag is for monitoring: refreshing it every poll would cost more than the poll at high rates.
                    if (now - nextLagNanos >= 0) {
                        updateLag();
                        nextLagNanos = now + LAG_REFRESH_NANOS;
                    }
                    retries = 0;
                    backoff = options.retryBackoff().toMillis();
                    if (wantPause) {
                        waitForSignal(options.pollTimeout().toMillis());
                    }
                } catch (WakeupException e) {
                    // The bridge never calls wakeup(); a hook that holds the consumer might. It only means "look
                    // at the loop state again", which the next iteration does.
                } catch (RetriableException | CommitFailedException | RebalanceInProgressException e) {
                    retries++;
                    retriesTotal++;
                    if (retries > options.maxRetries()) {
                        return e;
                    }
                    LOG.warn("retriable Kafka error ({}), retry {} in {} ms", e.toString(), retries, backoff);
                    backOff(backoff);
                    backoff = Math.min(backoff * 2, options.maxRetryBackoff().toMillis());
                } catch (Throwable e) {
                    return e;
                }
            }
            return null;
        }

        private void emit(ConsumerRecords<byte[], byte[]> polled) {
            if (stopRequested || sink.isCancelled()) {
                // Nobody will see or acknowledge these; not tracking them keeps the close from waiting for them.
                // They are not committed either, so the group reads them again.
                return;
            }
            List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(polled.count());
            List<PartitionAckTracker.Segment> segments = new ArrayList<>(polled.partitions().size());
            for (TopicPartition tp : polled.partitions()) {
                List<ConsumerRecord<byte[], byte[]>> part = polled.records(tp);
                long[] offsets = new long[part.size()];
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = part.get(i).offset();
                }
                list.addAll(part);
                PartitionAckTracker tracker = trackers.computeIfAbsent(tp, PartitionAckTracker::new);
                segments.add(tracker.deliver(offsets));
            }
            long inflight = inFlight + list.size();
            inFlight = inflight;
            if (inflight > maxInFlightSeen) {
                maxInFlightSeen = inflight;
            }
            batches++;
            records += list.size();
            if (requested.get() != Long.MAX_VALUE) {
                requested.decrementAndGet();
            }
            sink.next(new ReceiverBatch(list, segments, this));
        }

        private void setPaused(boolean wantPause) {
            if (wantPause && !paused) {
                consumer.pause(consumer.assignment());
                paused = true;
                pauses++;
            } else if (!wantPause && paused) {
                consumer.resume(consumer.paused());
                paused = false;
            }
        }

        private void updateLag() {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, Long> m = new HashMap<>(assigned.size() * 2);
            for (TopicPartition tp : assigned) {
                OptionalLong l = consumer.currentLag(tp);
                if (l.isPresent()) {
                    m.put(tp, l.getAsLong());
                }
            }
            lag = Map.copyOf(m);
            if (!assigned.equals(assignmentSnapshot)) {
                assignmentSnapshot = Set.copyOf(assigned);
            }
        }

        private void drainAcks() {
            Ack a;
            long done = 0;
            while ((a = acks.poll()) != null) {
                if (a.batch != null) {
                    for (PartitionAckTracker.Segment s : a.batch.segments()) {
                        done += ackSegment(s, -1);
                    }
                } else {
                    done += ackSegment(a.segment, a.index);
                }
            }
            if (done > 0) {
                inFlight = inFlight - done;
            }
        }

        private int ackSegment(PartitionAckTracker.Segment s, int index) {
            // A segment of a revoked partition belongs to a dropped tracker: its records will be read again.
            if (trackers.get(s.partition) != s.owner) {
                return 0;
            }
            return index < 0 ? s.owner.ackAll(s) : s.owner.ack(s, index);
        }

        private Map<TopicPartition, OffsetAndMetadata> commitsFor(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
            if (!options.commitOffsets()) {
                return m; // the owner commits inside its own transactions
            }
            for (TopicPartition tp : partitions) {
                PartitionAckTracker t = trackers.get(tp);
                if (t == null) {
                    continue;
                }
                long off = t.committableOffset();
                if (off >= 0 && off != committed.getOrDefault(tp, -1L)) {
                    m.put(tp, new OffsetAndMetadata(off));
                }
            }
            return m;
        }

        private void commitAsync() {
            Map<TopicPartition, OffsetAndMetadata> m = commitsFor(trackers.keySet());
            if (m.isEmpty()) {
                return;
            }
            consumer.commitAsync(m, (offsets, error) -> {
                if (error == null) {
                    commits++;
                    offsets.forEach((tp, om) -> committed.merge(tp, om.offset(), Math::max));
                    if (commitFailures > 0) {
                        LOG.info("offset commits succeed again after {} failures", commitFailures);
                        commitFailures = 0;
                    }
                } else {
                    // The next interval (or the revoke/close commit) tries again with newer offsets. A broker
                    // outage fails every attempt, so only the first failure of a streak is a warning.
                    if (commitFailures++ == 0) {
                        LOG.warn("async offset commit failed, will retry: {}", error.toString());
                    } else {
                        LOG.debug("async offset commit failed again ({}): {}", commitFailures, error.toString());
                    }
                }
            });
        }

        private void commitSync(Collection<TopicPartition> partitions, Duration timeout) {
            drainAcks();
            Map<TopicPartition, OffsetAndMetadata> m = commitsFor(partitions);
            if (m.isEmpty()) {
                return;
            }
            try {
                consumer.commitSync(m, timeout);
                commits++;
                m.forEach((tp, om) -> committed.merge(tp, om.offset(), Math::max));
            } catch (RuntimeException e) {
                // At-least-once: uncommitted records are delivered again to whoever reads next.
                LOG.warn("synchronous offset commit of {} failed: {}", m.keySet(), e.toString());
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // The owner first saves its state and may acknowledge more; then those acks are committed.
            options.onRevoked().accept(partitions);
            commitSync(partitions, options.closeTimeout().isZero() ? Duration.ofSeconds(5) : options.closeTimeout());
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // Another member may own them already: committing would be rejected, so only forget them.
            options.onRevoked().accept(partitions);
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            long dropped = 0;
            for (TopicPartition tp : partitions) {
                PartitionAckTracker t = trackers.remove(tp);
                if (t != null) {
                    dropped += t.pending();
                }
                committed.remove(tp);
            }
            // The queued acks still reference the old trackers; drop them now so inFlight stays exact.
            drainAcks();
            inFlight = inFlight - dropped;
            nextLagNanos = System.nanoTime();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
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
            if (paused || stopRequested) {
                consumer.pause(partitions);
            }
            nextLagNanos = System.nanoTime();
        }

        private void shutdown(Throwable failure) {
            try {
                if (consumer != null) {
                    if (failure == null) {
                        drainInFlight();
                    }
                    commitSync(new ArrayList<>(trackers.keySet()),
                            options.closeTimeout().isZero() ? Duration.ofSeconds(5) : options.closeTimeout());
                }
            } catch (Throwable t) {
                LOG.warn("final commit failed: {}", t.toString());
                if (failure == null) {
                    failure = t;
                }
            } finally {
                if (consumer != null) {
                    try {
                        options.onConsumerClosing().accept(consumer);
                    } catch (RuntimeException e) {
                        LOG.warn("onConsumerClosing hook failed: {}", e.toString());
                    }
                    try {
                        consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
                    } catch (RuntimeException e) {
                        LOG.warn("consumer close failed: {}", e.toString());
                    }
                }
                paused = false;
                closed.tryEmitEmpty();
                if (failure != null) {
                    sink.error(failure);
                } else {
                    sink.complete();
                }
            }
        }

        /** Keeps the consumer alive (and committing) while downstream finishes the batches it holds. */
        private void drainInFlight() {
            setPaused(true);
            long deadline = System.nanoTime() + options.closeTimeout().toNanos();
            while (System.nanoTime() - deadline < 0) {
                drainAcks();
                if (inFlight <= 0) {
                    return;
                }
                try {
                    consumer.pause(consumer.assignment());
                    consumer.poll(Duration.ZERO);
                } catch (RuntimeException e) {
                    LOG.warn("poll while draining failed: {}", e.toString());
                    return;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                waitForSignal(Math.min(left, options.pollTimeout().toMillis()));
            }
        }
    }
}
