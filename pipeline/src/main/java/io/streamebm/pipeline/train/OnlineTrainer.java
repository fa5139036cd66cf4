package io.streamebm.pipeline.train;

import io.streamebm.losses.DataEnergies;
import io.streamebm.pipeline.FaultPoints;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointStore;
import io.streamebm.telemetry.StepRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The stateful operator that trains a model online: it owns the {@link Learner} (model, optimizer,
 * loss state, random source), the step count, the records counted and the input positions, and it
 * is their single writer.
 *
 * <p>{@link #train(Flux)} cuts the input into micro-batches (at most {@code maxBatchSize} samples,
 * at most {@code maxWait} of waiting), applies one update per micro-batch on one dedicated thread,
 * and emits a {@link StepRecord} for each. Demand is bounded, so a slow trainer slows the source
 * (for Kafka: the consumer pauses) instead of buffering.
 *
 * <p>Exactly-once model state: when {@link CheckpointSchedule} says so, and when the input ends,
 * the trainer writes a checkpoint holding the learner's state, the counters and, per source, the
 * next position to read. Only once that checkpoint is durable does it acknowledge the input
 * batches it covers. On start, {@link #restore()} loads the newest valid checkpoint and returns
 * those positions, so that the source resumes exactly after the last durable state. A failed write
 * is reported, retried with back-off and acknowledges nothing; at the end of the input it fails the
 * run.
 *
 * <p>Rebalances: the model's own positions are the truth, not the group's committed offsets. A
 * sample below its source's position was counted already and is dropped. When sources leave this
 * trainer ({@link #release}), samples of theirs still in flight are dropped uncounted (also after
 * the sources come back: their batches say they were {@linkplain InputBatch#revokedSincePolled
 * revoked since polled}, and the consumer delivers them again) and a
 * checkpoint makes what was learned from them durable before the caller releases them; when
 * sources arrive ({@link #resume}), the caller seeks them to the model's positions. So a record
 * counts exactly once whatever the group does: a member joining or leaving, a broker restart.
 *
 * <p>Scale-out: with a {@link SharedModel} the model is the group's, and the group's committed
 * offsets become the positions of record. The shared model joins at {@link #restore()}, takes in
 * the previous owners' updates when sources arrive, and syncs (publishes this member's updates in
 * the outputs' transaction) every few steps and before sources are released.
 *
 * <p>The rest is policy, in types of its own that the trainer consults on its thread: whether an
 * update stands ({@link DivergenceGuard}), when to checkpoint ({@link CheckpointSchedule}), when
 * to publish the model ({@link SnapshotSchedule}), what its scores are ranked against
 * ({@link CalibrationPolicy}) and whether the stream has changed ({@link DriftWatch}).
 *
 * <p>Why this file is over 400 lines: what is counted, where each source resumes and when a batch
 * is acknowledged are one set of rules, alone and with a shared model, and splitting them over
 * types would make the exactly-once argument harder to follow, not easier.
 */
public final class OnlineTrainer implements AutoCloseable {

    /** Checkpoint arrays that belong to the trainer's policies, not to the learner. */
    private static final String TRAINER_STATE_PREFIX = "trainer.";

    private final Learner learner;
    private final OutputCommitter committer;
    /** Rebalance callbacks waiting for the trainer thread: a sync round must not hold them up. */
    private final AtomicInteger rebalanceCallbacksWaiting = new AtomicInteger();
    private final CheckpointStore store;
    private final TrainerOptions options;
    private final TrainerListener listener;
    private final Scheduler thread;
    private final DivergenceGuard guard;
    private final CheckpointSchedule checkpoints;
    private final SnapshotSchedule snapshots;
    private final CalibrationPolicy calibration;
    private final DriftWatch drift;
    private final SharedModel shared;
    /** The batches' pre-update energies, when the learner's updates measure them. */
    private final Optional<DataEnergies> batchEnergies;

    // Written only on the trainer thread; volatile so that other threads may read progress.
    private volatile long step;
    private volatile long recordsSeen;
    private final Map<String, Long> positions = new HashMap<>();
    /** Most records to count (0: no limit), and whether a sample was refused for it. */
    private volatile long recordLimit;
    private boolean limitReached;
    /** Sources released to the group: their samples still in flight are dropped until resumed. */
    private final Set<String> released = new HashSet<>();
    private final List<Runnable> pendingAcks = new ArrayList<>();
    private boolean restored;
    /** Why nothing more may be published (sources were lost with a shared model), or null. */
    private String lostToTheGroup;

    /**
     * @param learner  the model side; only this trainer calls it from now on
     * @param store    where checkpoints go
     * @param options  batching, checkpoint, snapshot and guard settings
     * @param listener hears checkpoints, divergences and snapshots
     */
    public OnlineTrainer(Learner learner, CheckpointStore store, TrainerOptions options, TrainerListener listener) {
        this(learner, store, options, listener, OutputCommitter.NONE);
    }

    /**
     * @param learner   the model side; only this trainer calls it from now on
     * @param store     where checkpoints go
     * @param options   batching, checkpoint, snapshot and guard settings
     * @param listener  hears checkpoints, divergences and snapshots
     * @param committer commits the outputs written since the last checkpoint, first phase of each checkpoint
     */
    public OnlineTrainer(Learner learner, CheckpointStore store, TrainerOptions options, TrainerListener listener,
            OutputCommitter committer) {
        this(learner, store, options, listener, committer, SharedModel.NONE);
    }

    /**
     * @param learner   the model side; only this trainer calls it from now on
     * @param store     where checkpoints go (with a shared model: a cache of this member's own state)
     * @param options   batching, checkpoint, snapshot and guard settings
     * @param listener  hears checkpoints, divergences and snapshots
     * @param committer commits the outputs written since the last checkpoint, first phase of each checkpoint
     * @param shared    the model this trainer shares with its group, or {@link SharedModel#NONE}
     */
    public OnlineTrainer(Learner learner, CheckpointStore store, TrainerOptions options, TrainerListener listener,
            OutputCommitter committer, SharedModel shared) {
        this.shared = Objects.requireNonNull(shared, "shared");
        this.committer = Objects.requireNonNull(committer, "committer");
        this.learner = Objects.requireNonNull(learner, "learner");
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.thread = Schedulers.newSingle("streamebm-trainer");
        this.guard = new DivergenceGuard(learner, options, listener);
        this.checkpoints = new CheckpointSchedule(options.checkpointEverySteps(), options.checkpointInterval(),
                System.nanoTime());
        this.calibration = new CalibrationPolicy(options.calibrationWindowRecords(), options.calibrationEveryBatches());
        this.snapshots = new SnapshotSchedule(options.snapshotEverySteps(), learner, calibration, listener);
        this.drift = new DriftWatch(options.drift(), learner, snapshots, listener);
        this.batchEnergies = learner.batchEnergies();
    }

    /**
     * Loads the newest valid checkpoint into the learner (unless a fresh start was asked for) and
     * returns the positions to resume from; empty positions mean "from the beginning".
     *
     * @throws IncompatibleCheckpointException when the checkpoint was made by a different model
     */
    public Map<String, Long> restore() {
        return onThread(() -> {
            Optional<Checkpoint> latest = options.freshStart() ? Optional.empty() : loadLatest();
            Map<String, INDArray> trainerState = new HashMap<>();
            Map<String, byte[]> sections = Map.of();
            if (latest.isPresent()) {
                Checkpoint c = latest.get();
                IncompatibleCheckpointException.requireSameModel(c, learner.architecture());
                Map<String, INDArray> learnerState = new HashMap<>();
                c.arrays().forEach((k, v) -> (k.startsWith(TRAINER_STATE_PREFIX) ? trainerState : learnerState).put(k, v));
                learner.importState(learnerState);
                step = c.step();
                recordsSeen = c.recordsSeen();
                positions.clear();
                positions.putAll(c.offsets());
                sections = c.sections();
            }
            recordsSeen = shared.join(learner, recordsSeen);
            if (shared.shared()) {
                positions.clear(); // the group's committed offsets say where each source resumes
            }
            checkpoints.restartedAt(step, System.nanoTime());
            guard.restored(trainerState);
            calibration.restored(sections);
            drift.restored(trainerState);
            restored = true;
            listener.restored(step, recordsSeen, Map.copyOf(positions));
            return Map.copyOf(positions);
        });
    }

    private Optional<Checkpoint> loadLatest() {
        try {
            return store.loadLatest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoints", e);
        }
    }

    /**
     * Trains on {@code input} and emits one record per update. When the input completes, a final
     * checkpoint is written and its batches acknowledged before this completes.
     */
    public Flux<StepRecord> train(Flux<InputBatch> input) {
        return train(input, 0);
    }

    /**
     * Like {@link #train(Flux)}, counting at most {@code recordLimit} records in all (0: no limit).
     * Samples beyond the limit are dropped uncounted, their batches neither passed nor acknowledged,
     * so the model holds exactly the limit and a later run reads the rest.
     */
    public Flux<StepRecord> train(Flux<InputBatch> input, long recordLimit) {
        if (recordLimit < 0) {
            throw new IllegalArgumentException("recordLimit must be >= 0 (0: none), got " + recordLimit);
        }
        this.recordLimit = recordLimit;
        if (!restored) {
            restore();
        }
        // With a shared model the timer also lets an idle snapshot publisher follow the group.
        long tick = shared.shared() ? Math.min(1000, checkpoints.tick().toMillis()) : checkpoints.tick().toMillis();
        // A failure on the timer ends the run as one in an update does. A scheduler only logs it and
        // ticks again, which would leave an idle member holding its partitions with nothing committed.
        Sinks.Empty<Void> timerFailed = Sinks.empty();
        Runnable onTick = () -> {
            try {
                checkpointIfDue();
            } catch (RuntimeException e) {
                timerFailed.tryEmitError(e);
            }
        };
        return Flux.using(
                // The timer checkpoints on time even when no data arrives; it runs on the trainer thread.
                () -> thread.schedulePeriodically(onTick, tick, tick, TimeUnit.MILLISECONDS),
                timer -> input
                        .concatMapIterable(BatchItem::of, 1)
                        .bufferTimeout(options.maxBatchSize(), options.maxWait(), thread, true)
                        .concatMap(items -> Mono.fromCallable(() -> apply(items)).subscribeOn(thread), 1)
                        .flatMapIterable(r -> r)
                        .concatWith(Mono.fromRunnable(this::finalCheckpoint).subscribeOn(thread).then(Mono.empty()))
                        .takeUntilOther(timerFailed.asMono()),
                Disposable::dispose);
    }

    /**
     * Sources leave this trainer: a rebalance revoked them, or the group lost them. From now on
     * their samples still in flight are dropped uncounted (whoever reads them next reads them
     * again); then a checkpoint makes what the model learned from them durable and acknowledges
     * it, so that the caller may commit and let them go. Blocks until that is done: call it from
     * the consumer's rebalance callback, never from the trainer thread.
     *
     * @param sources "topic-partition" names
     */
    public void release(Collection<String> sources) {
        onThreadForRebalance(() -> {
            released.addAll(sources);
            boolean durable = checkpointIfNeeded(false);
            if (shared.shared()) {
                if (!durable) {
                    // The replica holds updates from these sources' records, which the next owner
                    // reads again from the group's offsets: going on would count them twice.
                    throw new IllegalStateException("the checkpoint that publishes what was learned from " + sources
                            + " failed; stopping so that their records are counted once, by their next owner");
                }
                positions.keySet().removeAll(sources);
                shared.left(sources);
            }
            return null;
        });
    }

    /**
     * Sources were lost: the group gave them to other members without this one's say (it missed
     * its session or its poll deadline, so the group took it for dead). Alone, this is
     * {@link #release}: the model's positions are the truth. With a shared model nothing more may
     * be published: the replica holds updates from their records since its last sync, and their
     * next owners read those records again from the group's offsets, so a sync now would count
     * them twice. The trainer then refuses every later sync and checkpoint, and this call fails,
     * which ends the run; a restarted member rejoins from the group's model. Blocks; call it from
     * the consumer's rebalance callback.
     *
     * @param sources "topic-partition" names
     * @throws IllegalStateException with a shared model
     */
    public void lose(Collection<String> sources) {
        if (!shared.shared()) {
            release(sources);
            return;
        }
        String why = "the group gave " + sources + " to other members (this member missed its session or poll"
                + " deadline); stopping without publishing what the replica learned since its last sync, so"
                + " that their records are counted once, by their next owners; a restart rejoins from the"
                + " group's model";
        onThreadForRebalance(() -> {
            released.addAll(sources);
            lostToTheGroup = why;
            return null;
        });
        throw new IllegalStateException(why);
    }

    /**
     * Sources arrive at this trainer. Returns the model's next position for each source it has
     * counted records of (none with a {@link SharedModel}: the group's offsets apply); the caller
     * seeks there, so nothing the model holds is read twice and nothing it lacks is skipped. Sources it has never seen are absent (the group's committed
     * offset or the reset policy applies). Blocks; call it from the consumer's rebalance callback.
     *
     * @param sources "topic-partition" names
     * @return next position per known source
     */
    public Map<String, Long> resume(Collection<String> sources) {
        return onThreadForRebalance(() -> {
            released.removeAll(sources);
            if (shared.shared()) {
                // Their previous owners' updates join the replica before their records do.
                positions.keySet().removeAll(sources);
                shared.arrived(learner, sources);
                guard.rebaseline();
            }
            Map<String, Long> out = new HashMap<>();
            for (String s : sources) {
                Long p = positions.get(s);
                if (p != null) {
                    out.put(s, p);
                }
            }
            return out;
        });
    }

    /**
     * Where sources the model has not counted anything of yet start: the group's committed offset
     * or the reset policy's choice, as the consumer resolved it. Known sources keep their own
     * position. Recording the start makes it the model's: should the source go to another member
     * and come back, the model resumes there rather than at what the other member committed.
     *
     * @param starts next position per "topic-partition"
     */
    public void startAt(Map<String, Long> starts) {
        onThread(() -> {
            starts.forEach(positions::putIfAbsent);
            return null;
        });
    }

    /** The number of updates made (applied or rolled back). */
    public long step() {
        return step;
    }

    /** The number of records the model state has counted. */
    public long recordsSeen() {
        return recordsSeen;
    }

    /** The learner this trainer owns, for reading on the trainer thread only. */
    public Learner learner() {
        return learner;
    }

    /**
     * {@link #onThread} for a consumer's rebalance callback: while it waits, a sync round on the
     * trainer thread stops waiting for the other members ({@link #mayWait}).
     */
    private <T> T onThreadForRebalance(Callable<T> body) {
        rebalanceCallbacksWaiting.incrementAndGet();
        try {
            return onThread(body);
        } finally {
            rebalanceCallbacksWaiting.decrementAndGet();
        }
    }

    /** Runs {@code body} on the trainer thread and waits for it; never call it from that thread. */
    public <T> T onThread(Callable<T> body) {
        return Mono.fromCallable(body).subscribeOn(thread).block();
    }

    @Override
    public void close() {
        thread.dispose();
    }

    // ------------------------------------------------------------------ on the trainer thread

    private List<StepRecord> apply(List<BatchItem> items) {
        long started = System.nanoTime();
        List<float[]> rows = new ArrayList<>(items.size());
        Map<String, Long> covered = new LinkedHashMap<>();
        List<Runnable> acks = new ArrayList<>();
        for (BatchItem item : items) {
            for (InputBatch.Output o : item.outputs()) {
                // Same rule as for samples: a record the model counted before already has its output.
                if (current(item, o.source()) && !limitReached && o.position() >= Math.max(
                        positions.getOrDefault(o.source(), 0L), covered.getOrDefault(o.source(), 0L))) {
                    o.write().run();
                }
            }
            InputBatch.Sample sample = item.sample();
            if (sample != null && counts(item, covered, rows.size())) {
                rows.add(sample.values());
                covered.merge(sample.source(), sample.position() + 1, Math::max);
            }
            if (item.endsBatch() && limitReached) {
                // Part of this batch was refused: passing its end or acknowledging it would skip records.
                continue;
            }
            if (item.endsBatch()) {
                item.batch().endPositions().forEach((k, v) -> {
                    if (current(item, k)) {
                        covered.merge(k, v, Math::max);
                    }
                });
                acks.add(item.batch().acknowledge());
            }
        }
        List<StepRecord> out = new ArrayList<>(1);
        if (!rows.isEmpty()) {
            out.add(update(rows, started, covered));
        }
        covered.forEach((k, v) -> positions.merge(k, v, Math::max));
        pendingAcks.addAll(acks);
        checkpointIfDue();
        return out;
    }

    /**
     * Whether the item's records of {@code source} belong to this trainer's current hold of it: the
     * source is not released, and was not revoked since the item's batch was read. The second test
     * matters when a source leaves and comes straight back (a rebalance that gives it to this member
     * again): records read before it left may still be on their way, and some of them were dropped
     * while it was away. Counting the rest would move the position past the dropped ones, which the
     * consumer then delivers again and the trainer would refuse as counted: lost. So every record read
     * before a release waits for its new copy, read from the position the source resumes at.
     */
    private boolean current(BatchItem item, String source) {
        return !released.contains(source) && !item.revokedSincePolled(source);
    }

    /**
     * Whether an item's sample is new to the model: its source is still this trainer's and its batch
     * was read since the source last arrived, the record limit leaves room for it, and it lies at or
     * after the source's next position (records before it were counted already, for instance when a
     * rebalance or a broker restart delivers them again).
     */
    private boolean counts(BatchItem item, Map<String, Long> coveredInThisBatch, int rowsSoFar) {
        InputBatch.Sample sample = item.sample();
        if (!current(item, sample.source())) {
            return false;
        }
        if (recordLimit > 0 && recordsSeen + rowsSoFar >= recordLimit) {
            limitReached = true;
            return false;
        }
        long next = Math.max(positions.getOrDefault(sample.source(), 0L),
                coveredInThisBatch.getOrDefault(sample.source(), 0L));
        return sample.position() >= next;
    }

    /**
     * One update: made, counted (even when it is rolled back: its records were seen) and settled;
     * then the batch's energies under the model before it go to the calibration and the drift watch.
     * They come with the update when the loss measures them ({@link Learner#batchEnergies}, every
     * batch); otherwise a forward pass before the update measures them, for every batch when the
     * drift watch is on and for one in N when only the calibration wants them.
     */
    private StepRecord update(List<float[]> rows, long started, Map<String, Long> covered) {
        INDArray batch = SampleRows.matrix(rows, learner.dimension());
        boolean wanted = drift.active() || calibration.wants(step);
        double[] energies = wanted && batchEnergies.isEmpty() ? learner.energies(batch).toDoubleVector() : null;
        drift.beforeUpdate();
        DivergenceGuard.Attempt attempt = guard.attempt(batch);
        if (attempt.made()) {
            drift.updateMade();
            if (batchEnergies.isPresent()) {
                energies = batchEnergies.get().lastBatch();
            }
        }
        step++;
        recordsSeen += rows.size();
        FaultPoints.reach("step");
        StepRecord.Outcome outcome = guard.settle(step, attempt);
        if (outcome == StepRecord.Outcome.APPLIED && drift.applied()) {
            guard.rebaseline();
        }
        if (energies != null) {
            calibration.observe(energies);
            if (drift.observe(step - 1, recordsSeen, batch, energies)) {
                guard.rebaseline();
            }
        }
        Map<String, Long> after = new HashMap<>(positions);
        covered.forEach((k, v) -> after.merge(k, v, Math::max));
        StepRecord settled = attempt.record().withStep(step).withOutcome(outcome).withSourcePositions(after);
        snapshots.onStep(settled, recordsSeen);
        // The step's time includes its snapshot, as the rest of the trainer's work on this micro-batch.
        return settled.withStepDuration(Duration.ofNanos(System.nanoTime() - started));
    }

    private void checkpointIfDue() {
        if (checkpoints.due(step, !pendingAcks.isEmpty(), System.nanoTime())) {
            checkpointIfNeeded(true);
        } else if (shared.syncWanted(step)) {
            syncWithoutFile(true);
        }
    }

    /**
     * With a shared model, a sync between checkpoints: this member's contribution and the offsets
     * it covers commit together, which is what makes them durable, so the batches they cover are
     * acknowledged; the checkpoint file is only a cache of this member's own state and follows its
     * own schedule. A sync with nothing new still takes in the others' updates and lets the
     * snapshot publisher follow the group.
     *
     * @param awaitOthers whether to wait for the others' publications of the round (false when
     *                    sources are about to be released or the trainer stops)
     */
    private void syncWithoutFile(boolean awaitOthers) {
        refuseIfLost();
        try {
            shared.sync(learner, step, recordsSeen, calibration.percentiles());
        } catch (UncheckedIOException e) {
            return; // the params topic could not be read: nothing changed, the next tick tries again
        }
        guard.rebaseline(); // a rollback must not undo the merge
        try {
            committer.commit(Map.copyOf(positions));
        } catch (UncheckedIOException e) {
            // Nothing committed (the group moved on in a rebalance): reported, and tried again later.
            Duration retryIn = checkpoints.failed(System.nanoTime());
            listener.checkpointFailed(step, e, checkpoints.failuresInARow(), retryIn);
            return;
        }
        shared.committed(learner, mayWait(awaitOthers));
        guard.rebaseline();
        for (Runnable ack : pendingAcks) {
            ack.run();
        }
        pendingAcks.clear();
    }

    /**
     * Whether a member in lock-step rounds may go on waiting for the others: not if the caller
     * says no, and not while a rebalance callback waits for this thread, which the others of the
     * round may be waiting for too (their partitions move only once this member lets go).
     */
    private BooleanSupplier mayWait(boolean awaitOthers) {
        return () -> awaitOthers && rebalanceCallbacksWaiting.get() == 0;
    }

    /** Fails when sources were lost with a shared model: from then on nothing may be published. */
    private void refuseIfLost() {
        if (lostToTheGroup != null) {
            throw new IllegalStateException(lostToTheGroup);
        }
    }

    /** The checkpoint at the end of the input: a failure here ends the run with the error. */
    private void finalCheckpoint() {
        shared.leaving();
        if (!checkpointIfNeeded(false)) {
            throw new UncheckedIOException(new IOException("the final checkpoint at step " + step + " could not be"
                    + " written; the records since the last durable checkpoint are not committed and will be read again"));
        }
    }

    /**
     * Writes a checkpoint if anything is new, then acknowledges what it covers.
     *
     * @param awaitOthers with a shared model in lock-step rounds, whether to wait for the others'
     *                    publications of the round before merging (false before a release or the
     *                    end, which must not wait for anybody)
     * @return false when the write failed (nothing was acknowledged)
     */
    private boolean checkpointIfNeeded(boolean awaitOthers) {
        refuseIfLost();
        if (checkpoints.covers(step) && pendingAcks.isEmpty()) {
            if (shared.syncWanted(step)) {
                syncWithoutFile(awaitOthers);
            }
            return true;
        }
        if (!checkpoints.covers(step) || !positions.isEmpty()) {
            long t0 = System.nanoTime();
            Map<String, String> meta = new LinkedHashMap<>(learner.architecture());
            try {
                // With a shared model, this member's updates join the outputs' transaction first.
                if (shared.shared()) {
                    shared.sync(learner, step, recordsSeen, calibration.percentiles());
                    guard.rebaseline(); // a rollback must not undo the merge
                }
                // Phase one: the outputs become visible with the positions they cover (throws on failure).
                committer.commit(Map.copyOf(positions));
                if (shared.shared()) {
                    shared.committed(learner, mayWait(awaitOthers));
                    guard.rebaseline();
                }
                Map<String, INDArray> state = new LinkedHashMap<>(learner.exportState());
                state.putAll(guard.exportState());
                state.putAll(drift.exportState());
                store.save(new Checkpoint(step, recordsSeen, positions, meta, state, calibration.exportSections()));
            } catch (IOException | UncheckedIOException e) {
                Duration retryIn = checkpoints.failed(System.nanoTime());
                listener.checkpointFailed(step, e, checkpoints.failuresInARow(), retryIn);
                return false;
            }
            long done = System.nanoTime();
            checkpoints.succeeded(step, done);
            listener.checkpointed(step, Duration.ofNanos(done - t0));
        }
        FaultPoints.reach("after-checkpoint");
        for (Runnable ack : pendingAcks) {
            ack.run();
        }
        pendingAcks.clear();
        return true;
    }
}
