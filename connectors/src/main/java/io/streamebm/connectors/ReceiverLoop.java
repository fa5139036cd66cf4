package io.streamebm.connectors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The event loop of one {@link KafkaReceiver} subscription: the only code that touches its
 * {@code KafkaConsumer}. See {@link KafkaReceiver} for what it promises; this is how.
 *
 * <p>Every step is a task on a single-threaded {@link Scheduler} of its own, so the consumer is used
 * by one thread and the tasks never overlap. A chain of tasks runs the consumer: {@code open}, then
 * {@code pollOnce} again and again (each one schedules the next), then {@code drainTick} while a
 * cancelled receiver waits for acknowledgements, then {@code finish}. A paused {@code pollOnce}, a
 * retry and a drain tick schedule their successor after a delay (the timer); {@code wake()}, called
 * on new demand, on an acknowledgement while paused and on cancel, runs a timer's task at once
 * instead, except a retry's, which only a cancel cuts short.
 *
 * <p>A cancel does not call {@code consumer.wakeup()}: a wakeup that arrives between two polls stays
 * pending and would throw out of the final {@code commitSync}, losing the last commit. Without it, a
 * cancel waits at most one {@link ReceiverOptions#pollTimeout()} for the poll in progress.
 *
 * <p>Demand is counted with Reactor's {@link Operators#addCap} and {@link Operators#produced}: one unit
 * per emitted batch, none used up under an unbounded request.
 */
final class ReceiverLoop {

    // The receiver's logger: its users read and configure one logger for everything the receiver does.
    private static final Logger LOG = LoggerFactory.getLogger(KafkaReceiver.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long LAG_REFRESH_NANOS = 100_000_000L;
    private static final AtomicLongFieldUpdater<ReceiverLoop> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(ReceiverLoop.class, "requested");

    private final ReceiverOptions options;
    private final Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory;
    private final FluxSink<ReceiverBatch> sink;
    private final Sinks.Empty<Void> closed;
    private final Scheduler scheduler;
    private final AckLedger ledger = new AckLedger(this::acknowledged);
    private final OffsetCommitter committer;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private volatile long requested;
    private volatile boolean stopRequested;

    // Loop thread only.
    private Consumer<byte[], byte[]> consumer;
    private Disposable timer;
    private Runnable timerTask;
    private boolean timerWakes;
    private int retries;
    private long backoffMillis;
    private long nextCommitNanos;
    private long nextLagNanos;
    private long drainDeadlineNanos;

    // Written by the loop thread only; volatile so that stats(), lag() and assignment() read fresh values.
    private volatile boolean paused;
    private volatile long pauses;
    private volatile long polls;
    private volatile long batches;
    private volatile long records;
    private volatile long retriesTotal;
    private volatile Map<TopicPartition, Long> lag = Map.of();
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile ConsumerGroupMetadata groupMetadata;

    /**
     * @param options         the receiver's options
     * @param consumerFactory creates the consumer, on the loop thread
     * @param sink            where batches go, one per unit of demand
     * @param closed          completed once the consumer is closed
     */
    ReceiverLoop(ReceiverOptions options, Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory,
                 FluxSink<ReceiverBatch> sink, Sinks.Empty<Void> closed) {
        this.options = options;
        this.consumerFactory = consumerFactory;
        this.sink = sink;
        this.closed = closed;
        this.committer = new OffsetCommitter(options.commitOffsets(), ledger);
        // A plain daemon thread, not one of Reactor's: poll() blocks by design, and so may the downstream
        // code that runs on this thread (Reactor's own threads refuse block()).
        this.scheduler = Schedulers.newSingle(task -> {
            Thread t = new Thread(task, "streamebm-kafka-receiver-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the consumer on the loop thread and starts polling; demand and cancel reach the loop from now on. */
    void start() {
        schedule(this::open);
        sink.onRequest(this::request);
        sink.onDispose(this::stop);
    }

    private void request(long n) {
        if (Operators.addCap(REQUESTED, this, n) == 0) {
            wake();
        }
    }

    private void stop() {
        stopRequested = true;
        wake();
    }

    private void acknowledged() {
        // Only a paused loop waits for acknowledgements; a running one drains them at its next poll.
        if (paused) {
            wake();
        }
    }

    /** Any thread: run the pending timer's task now (at most one wake task is queued at a time). */
    private void wake() {
        if (wakeQueued.compareAndSet(false, true)) {
            schedule(this::onWake);
        }
    }

    private void onWake() {
        wakeQueued.set(false);
        if (timer != null && (timerWakes || stopRequested)) {
            timer.dispose();
            Runnable task = timerTask;
            timer = null;
            timerTask = null;
            task.run();
        }
    }

    private void schedule(Runnable task) {
        try {
            scheduler.schedule(task);
        } catch (RejectedExecutionException e) {
            // The loop has finished and its scheduler is gone: there is nothing left to wake.
        }
    }

    /** Runs {@code task} after {@code delay}; {@code wakes}: whether {@link #wake()} may run it sooner. */
    private void after(long delayMillis, boolean wakes, Runnable task) {
        timerTask = task;
        timerWakes = wakes;
        timer = scheduler.schedule(() -> {
            timer = null;
            timerTask = null;
            task.run();
        }, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }

    private void open() {
        try {
            consumer = consumerFactory.apply(new HashMap<>(options.consumerProperties()));
            options.onConsumerCreated().accept(consumer);
            consumer.subscribe(options.topics(), new RebalanceHandler(options, consumer, ledger, committer,
                    () -> paused || stopRequested, () -> nextLagNanos = System.nanoTime(), this::noteGroupMetadata));
        } catch (Throwable t) {
            finish(t);
            return;
        }
        backoffMillis = options.retryBackoff().toMillis();
        nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
        pollOnce();
    }

    private void pollOnce() {
        if (stopRequested) {
            close();
            return;
        }
        try {
            ledger.drain();
            if (System.nanoTime() - nextCommitNanos >= 0) {
                committer.commitAsync(consumer);
                nextCommitNanos = System.nanoTime() + options.commitInterval().toNanos();
            }
            boolean pause = requested == 0 || ledger.inFlight() >= options.maxInFlightRecords();
            setPaused(pause);
            ConsumerRecords<byte[], byte[]> polled = consumer.poll(pause ? Duration.ZERO : options.pollTimeout());
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
            backoffMillis = options.retryBackoff().toMillis();
            if (pause) {
                // Paused, poll(0) returned at once: poll again after pollTimeout to stay in the group, or
                // sooner when demand or an acknowledgement wakes the loop.
                after(options.pollTimeout().toMillis(), true, this::pollOnce);
            } else {
                schedule(this::pollOnce);
            }
        } catch (WakeupException e) {
            // The receiver never calls wakeup(); a hook that holds the consumer might. It only means "look
            // at the loop state again", which the next poll does.
            schedule(this::pollOnce);
        } catch (RetriableException | CommitFailedException | RebalanceInProgressException e) {
            retries++;
            retriesTotal++;
            if (retries > options.maxRetries()) {
                finish(e);
                return;
            }
            LOG.warn("retriable Kafka error ({}), retry {} in {} ms", e.toString(), retries, backoffMillis);
            // Demand and acknowledgements do not cut a backoff short: only a cancel does.
            after(backoffMillis, false, this::pollOnce);
            backoffMillis = Math.min(backoffMillis * 2, options.maxRetryBackoff().toMillis());
        } catch (Throwable e) {
            finish(e);
        }
    }

    private void emit(ConsumerRecords<byte[], byte[]> polled) {
        if (stopRequested || sink.isCancelled()) {
            // Nobody will see or acknowledge these; not tracking them keeps the close from waiting for them.
            // They are not committed either, so the group reads them again.
            return;
        }
        ReceiverBatch batch = ledger.deliver(polled);
        batches++;
        records += batch.size();
        Operators.produced(REQUESTED, this, 1);
        sink.next(batch);
    }

    /**
     * Loop thread, at the start of every rebalance callback: the consumer may be read only here, so
     * its group metadata is copied for others. Why not after every poll: a poll can return between
     * the group's join and sync phases, with the new generation already known; offsets committed
     * with it then meet a group still completing its rebalance, which the broker answers with
     * REBALANCE_IN_PROGRESS, an error the transactional producer treats as fatal. Copied in the
     * callbacks only, the generation is either the group's and settled, or an old one, which the
     * broker refuses as such (ILLEGAL_GENERATION: the commit is tried again later).
     */
    private void noteGroupMetadata() {
        groupMetadata = consumer.groupMetadata();
    }

    private void setPaused(boolean pause) {
        if (pause && !paused) {
            consumer.pause(consumer.assignment());
            paused = true;
            pauses++;
        } else if (!pause && paused) {
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
        if (!assigned.equals(assignment)) {
            assignment = Set.copyOf(assigned);
        }
    }

    /** Cancelled: stop fetching, and keep the consumer alive (and committing) while downstream finishes. */
    private void close() {
        try {
            setPaused(true);
        } catch (RuntimeException e) {
            finish(e);
            return;
        }
        drainDeadlineNanos = System.nanoTime() + options.closeTimeout().toNanos();
        drainTick();
    }

    private void drainTick() {
        try {
            ledger.drain();
            if (ledger.inFlight() <= 0 || System.nanoTime() - drainDeadlineNanos >= 0) {
                finish(null);
                return;
            }
            consumer.pause(consumer.assignment());
            consumer.poll(Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.warn("poll while draining failed: {}", e.toString());
            finish(null);
            return;
        }
        long left = (drainDeadlineNanos - System.nanoTime()) / 1_000_000;
        after(Math.min(left, options.pollTimeout().toMillis()), true, this::drainTick);
    }

    /** The final commit, the consumer's close, then the end of the stream and of the loop's thread. */
    private void finish(Throwable failure) {
        try {
            if (consumer != null) {
                committer.commitSync(consumer, new ArrayList<>(ledger.partitions()),
                        OffsetCommitter.syncTimeout(options.closeTimeout()));
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
            scheduler.dispose();
        }
    }

    /** @return the lag per assigned partition at a recent poll */
    Map<TopicPartition, Long> lag() {
        return lag;
    }

    /** @return the consumer's group metadata at the latest rebalance callback, or null before the first */
    ConsumerGroupMetadata groupMetadata() {
        return groupMetadata;
    }

    /** @return the partitions assigned at a recent poll */
    Set<TopicPartition> assignment() {
        return assignment;
    }

    /** @return the counters now */
    ReceiverStats stats() {
        return new ReceiverStats(paused, pauses, polls, batches, records, ledger.inFlight(), ledger.maxInFlight(),
                committer.commits(), retriesTotal);
    }
}
