package io.streamebm.pipeline.train;

import io.streamebm.core.StepResult;
import io.streamebm.pipeline.FaultPoints;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointStore;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The stateful operator that trains a model online: it owns the {@link Learner} (model, optimizer,
 * loss state, random source), the step count, the records counted and the input positions, and it
 * is their single writer.
 *
 * <p>{@link #train(Flux)} cuts the input into micro-batches (at most {@code maxBatchSize} samples,
 * at most {@code maxWait} of waiting), applies one update per micro-batch on one dedicated thread,
 * and emits a {@link StepResult} for each. Demand is bounded, so a slow trainer slows the source
 * (for Kafka: the consumer pauses) instead of buffering.
 *
 * <p>Exactly-once model state: every {@code checkpointEverySteps} steps or
 * {@code checkpointInterval} (a timer asks even when no data arrives), and when the input ends,
 * the trainer writes a checkpoint holding
 * the learner's state, the counters and, per source, the next position to read. Only once that
 * checkpoint is durable does it acknowledge the input batches it covers. On start,
 * {@link #restore()} loads the newest valid checkpoint and returns those positions, so that the
 * source resumes exactly after the last durable state. A failed write is reported, retried with
 * back-off ({@link CheckpointSchedule}) and acknowledges nothing; at the end of the input it fails
 * the run.
 *
 * <p>Divergence guard: an update the learner rejects (non-finite), or one after which the mean
 * energy leaves ±{@code energyBound}, is rolled back to the last good state, kept every
 * {@code goodStateEverySteps} updates (copying the whole state after every update would cost more
 * than the guard is worth); then the configured reaction is applied and training goes on. The
 * records of the updates dropped by a rollback still count as seen: their positions are passed. A
 * lowered learning rate returns after a quiet spell ({@link LearningRateRecovery}).
 *
 * <p>Rebalances: the model's own positions are the truth, not the group's committed offsets. A
 * sample below its source's position was counted already and is dropped. When sources leave this
 * trainer ({@link #release}), samples of theirs still in flight are dropped uncounted and a
 * checkpoint makes what was learned from them durable before the caller releases them; when
 * sources arrive ({@link #resume}), the caller seeks them to the model's positions. So a record
 * counts exactly once whatever the group does: a member joining or leaving, a broker restart.
 */
public final class OnlineTrainer implements AutoCloseable {

    /** Hears what the trainer does besides emitting step results. Called on the trainer thread. */
    public interface Listener {
        /** A checkpoint became durable. */
        default void checkpointed(long step, Duration took) {
        }

        /**
         * A checkpoint could not be written. Nothing after the last durable checkpoint is
         * acknowledged (so nothing is committed) until an attempt succeeds, {@code retryIn} from now.
         */
        default void checkpointFailed(long step, Exception error, int failuresInARow, Duration retryIn) {
        }

        /** An update was rolled back; {@code reaction} names what followed. */
        default void diverged(long step, String reason, String reaction) {
        }

        /** A model snapshot is due: {@code version} increases with every snapshot. */
        default void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen) {
        }

        /** The trainer started from a checkpoint, or afresh ({@code step} 0). */
        default void restored(long step, long recordsSeen, Map<String, Long> positions) {
        }
    }

    private final Learner learner;
    private final OutputCommitter committer;
    private final CheckpointStore store;
    private final TrainerOptions options;
    private final Listener listener;
    private final Scheduler thread;

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
    private Map<String, INDArray> lastGood;
    private final CheckpointSchedule checkpoints;
    private final LearningRateRecovery learningRate;
    private boolean restored;

    /**
     * @param learner  the model side; only this trainer calls it from now on
     * @param store    where checkpoints go
     * @param options  batching, checkpoint and guard settings
     * @param listener hears checkpoints, divergences and snapshots
     */
    public OnlineTrainer(Learner learner, CheckpointStore store, TrainerOptions options, Listener listener) {
        this(learner, store, options, listener, OutputCommitter.NONE);
    }

    /**
     * @param learner   the model side; only this trainer calls it from now on
     * @param store     where checkpoints go
     * @param options   batching, checkpoint and guard settings
     * @param listener  hears checkpoints, divergences and snapshots
     * @param committer commits the outputs written since the last checkpoint, first phase of each checkpoint
     */
    public OnlineTrainer(Learner learner, CheckpointStore store, TrainerOptions options, Listener listener,
            OutputCommitter committer) {
        this.committer = Objects.requireNonNull(committer, "committer");
        this.learner = Objects.requireNonNull(learner, "learner");
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.thread = Schedulers.newSingle("streamebm-trainer");
        this.learningRate = new LearningRateRecovery(options.learningRateRecoverySteps());
        this.checkpoints = new CheckpointSchedule(options.checkpointEverySteps(), options.checkpointInterval(),
                System.nanoTime());
    }

    /**
     * Loads the newest valid checkpoint into the learner (unless a fresh start was asked for) and
     * returns the positions to resume from; empty positions mean "from the beginning".
     *
     * @throws IncompatibleCheckpointException when the checkpoint was made by a differently shaped model
     */
    public Map<String, Long> restore() {
        return onThread(() -> {
            Optional<Checkpoint> latest = options.freshStart() ? Optional.empty() : loadLatest();
            if (latest.isPresent()) {
                Checkpoint c = latest.get();
                Map<String, String> expected = learner.shape();
                List<String> mismatches = new ArrayList<>();
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    String found = c.metadata().get(e.getKey());
                    if (!e.getValue().equals(found)) {
                        mismatches.add(e.getKey() + ": checkpoint has " + found + ", configuration has " + e.getValue());
                    }
                }
                if (!mismatches.isEmpty()) {
                    throw new IncompatibleCheckpointException("the checkpoint at step " + c.step() + " in "
                            + "the checkpoint directory was made by a different model (" + String.join("; ", mismatches)
                            + "). Use another checkpoint directory, or start afresh with --fresh-start");
                }
                Map<String, INDArray> learnerState = new HashMap<>(c.arrays());
                learningRate.importState(learnerState);
                learnerState.keySet().removeIf(k -> k.startsWith("trainer."));
                learner.importState(learnerState);
                step = c.step();
                recordsSeen = c.recordsSeen();
                positions.clear();
                positions.putAll(c.offsets());
            }
            checkpoints.restartedAt(step, System.nanoTime());
            lastGood = learner.exportState();
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
     * Trains on {@code input} and emits one result per update. When the input completes, a final
     * checkpoint is written and its batches acknowledged before this completes.
     */
    public Flux<StepResult> train(Flux<InputBatch> input) {
        return train(input, 0);
    }

    /**
     * Like {@link #train(Flux)}, counting at most {@code recordLimit} records in all (0: no limit).
     * Samples beyond the limit are dropped uncounted, their batches neither passed nor acknowledged,
     * so the model holds exactly the limit and a later run reads the rest.
     */
    public Flux<StepResult> train(Flux<InputBatch> input, long recordLimit) {
        if (recordLimit < 0) {
            throw new IllegalArgumentException("recordLimit must be >= 0 (0: none), got " + recordLimit);
        }
        this.recordLimit = recordLimit;
        if (!restored) {
            restore();
        }
        return Flux.using(
                // The timer checkpoints on time even when no data arrives; it runs on the trainer thread.
                () -> thread.schedulePeriodically(this::checkpointIfDue, checkpoints.tick().toMillis(),
                        checkpoints.tick().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS),
                timer -> input
                        .concatMapIterable(OnlineTrainer::items, 1)
                        .bufferTimeout(options.maxBatchSize(), options.maxWait(), thread, true)
                        .concatMap(items -> Mono.fromCallable(() -> apply(items)).subscribeOn(thread), 1)
                        .flatMapIterable(r -> r)
                        .concatWith(Mono.fromRunnable(this::finalCheckpoint).subscribeOn(thread).then(Mono.empty())),
                reactor.core.Disposable::dispose);
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
        onThread(() -> {
            released.addAll(sources);
            checkpointIfNeeded();
            return null;
        });
    }

    /**
     * Sources arrive at this trainer. Returns the model's next position for each source it has
     * counted records of; the caller seeks there, so nothing the model holds is read twice and
     * nothing it lacks is skipped. Sources it has never seen are absent (the group's committed
     * offset or the reset policy applies). Blocks; call it from the consumer's rebalance callback.
     *
     * @param sources "topic-partition" names
     * @return next position per known source
     */
    public Map<String, Long> resume(Collection<String> sources) {
        return onThread(() -> {
            released.removeAll(sources);
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

    /** The number of updates applied. */
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

    /** Runs {@code body} on the trainer thread and waits for it; never call it from that thread. */
    public <T> T onThread(java.util.concurrent.Callable<T> body) {
        return Mono.fromCallable(body).subscribeOn(thread).block();
    }

    @Override
    public void close() {
        thread.dispose();
    }

    // ------------------------------------------------------------------ on the trainer thread

    /** A sample, or the end of an input batch riding on its last sample (or alone if none survived). */
    /**
     * A sample, with the outputs of the records just before it in its source (run first), and the
     * end of an input batch riding on its last sample (or alone if none survived). Outputs ride on
     * the sample after them, not on the batch end, so that they are judged against the model's
     * position at their own record even when a batch spans several micro-batches.
     */
    private record Item(InputBatch.Sample sample, List<InputBatch.Output> outputs, InputBatch batchEnd) {
    }

    private static List<Item> items(InputBatch b) {
        List<Item> items = new ArrayList<>(b.samples().size() + 1);
        List<InputBatch.Sample> samples = b.samples();
        // Outputs per source in position order, to be placed before the first later sample.
        Map<String, java.util.ArrayDeque<InputBatch.Output>> pending = new HashMap<>();
        for (InputBatch.Output o : b.outputs()) {
            pending.computeIfAbsent(o.source(), k -> new java.util.ArrayDeque<>()).add(o);
        }
        for (int i = 0; i < samples.size(); i++) {
            InputBatch.Sample sample = samples.get(i);
            List<InputBatch.Output> before = List.of();
            java.util.ArrayDeque<InputBatch.Output> queue = pending.get(sample.source());
            while (queue != null && !queue.isEmpty() && queue.peek().position() < sample.position()) {
                if (before.isEmpty()) {
                    before = new ArrayList<>(2);
                }
                before.add(queue.poll());
            }
            boolean last = i == samples.size() - 1;
            if (last) {
                before = new ArrayList<>(before);
                for (java.util.ArrayDeque<InputBatch.Output> rest : pending.values()) {
                    before.addAll(rest);
                }
            }
            items.add(new Item(sample, before, last ? b : null));
        }
        if (samples.isEmpty()) {
            items.add(new Item(null, b.outputs(), b));
        }
        return items;
    }

    private List<StepResult> apply(List<Item> items) {
        long started = System.nanoTime();
        List<float[]> rows = new ArrayList<>(items.size());
        Map<String, Long> covered = new LinkedHashMap<>();
        List<Runnable> acks = new ArrayList<>();
        for (Item item : items) {
            for (InputBatch.Output o : item.outputs()) {
                // Same rule as for samples: a record the model counted before already has its output.
                if (!released.contains(o.source()) && !limitReached && o.position() >= Math.max(
                        positions.getOrDefault(o.source(), 0L), covered.getOrDefault(o.source(), 0L))) {
                    o.write().run();
                }
            }
            InputBatch.Sample sample = item.sample();
            if (sample != null && counts(sample, covered, rows.size())) {
                rows.add(sample.values());
                covered.merge(sample.source(), sample.position() + 1, Math::max);
            }
            if (item.batchEnd() != null && limitReached) {
                // Part of this batch was refused: passing its end or acknowledging it would skip records.
                continue;
            }
            if (item.batchEnd() != null) {
                item.batchEnd().endPositions().forEach((k, v) -> {
                    if (!released.contains(k)) {
                        covered.merge(k, v, Math::max);
                    }
                });
                acks.add(item.batchEnd().acknowledge());
            }
        }
        List<StepResult> out = new ArrayList<>(1);
        if (!rows.isEmpty()) {
            out.add(update(rows, started, covered));
        }
        covered.forEach((k, v) -> positions.merge(k, v, Math::max));
        pendingAcks.addAll(acks);
        checkpointIfDue();
        return out;
    }

    /**
     * Whether a sample is new to the model: its source is still this trainer's, the record limit
     * leaves room for it, and it lies at or after the source's next position (records before it were counted already, for instance
     * when a rebalance or a broker restart delivers them again).
     */
    private boolean counts(InputBatch.Sample sample, Map<String, Long> coveredInThisBatch, int rowsSoFar) {
        if (released.contains(sample.source())) {
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

    private StepResult update(List<float[]> rows, long started, Map<String, Long> covered) {
        INDArray batch = toMatrix(rows);
        Learner.Update u;
        String rejected = null;
        try {
            u = learner.update(batch);
            if (!(Math.abs(u.energyPositive()) <= options.energyBound())
                    || (Double.isFinite(u.energyNegative()) && Math.abs(u.energyNegative()) > options.energyBound())) {
                rejected = String.format("mean energy beyond ±%g (E+ %g, E- %g)", options.energyBound(),
                        u.energyPositive(), u.energyNegative());
            }
        } catch (RejectedUpdateException e) {
            u = null;
            rejected = e.getMessage();
        }
        step++;
        recordsSeen += rows.size();
        FaultPoints.reach("step");
        StepResult.Outcome outcome = StepResult.Outcome.APPLIED;
        if (rejected != null) {
            learner.importState(lastGood);
            String reaction = react();
            listener.diverged(step, rejected, reaction);
            outcome = StepResult.Outcome.ROLLED_BACK;
        } else {
            double recover = learningRate.applied();
            if (recover != 1) {
                learner.scaleLearningRate(recover);
                // The restored rate is the new baseline: a later rollback must not bring back the low one.
                lastGood = learner.exportState();
            } else if (step % options.goodStateEverySteps() == 0) {
                lastGood = learner.exportState();
            }
            if (step % options.snapshotEverySteps() == 0) {
                listener.snapshotDue(step / options.snapshotEverySteps(), learner.modelState(), recordsSeen);
            }
        }
        Map<String, Long> after = new HashMap<>(positions);
        covered.forEach((k, v) -> after.merge(k, v, Math::max));
        long took = System.nanoTime() - started;
        double nan = Double.NaN;
        return new StepResult(step, rows.size(),
                u == null ? nan : u.loss(),
                u == null ? nan : u.energyPositive(),
                u == null ? nan : u.energyNegative(),
                u == null ? nan : u.energyPositive() - u.energyNegative(),
                u == null ? nan : u.gradNorm(),
                u == null ? nan : u.paramNorm(),
                u == null ? nan : u.acceptanceRate(),
                u == null ? nan : u.chainEnergyMean(),
                Duration.ofNanos(took),
                Duration.ofNanos(u == null ? 0 : Math.min(u.samplingNanos(), took)),
                outcome, after);
    }

    private String react() {
        TrainerOptions.Reaction r = options.reaction();
        if (r == TrainerOptions.Reaction.LOWER_LR || r == TrainerOptions.Reaction.BOTH) {
            learner.scaleLearningRate(learningRate.rolledBack(options.learningRateFactor()));
        }
        if (r == TrainerOptions.Reaction.REINIT_CHAINS || r == TrainerOptions.Reaction.BOTH) {
            learner.reinitialiseChains();
        }
        // The reaction changed the state; it is the new baseline to roll back to.
        lastGood = learner.exportState();
        return r.label();
    }

    private void checkpointIfDue() {
        if (checkpoints.due(step, !pendingAcks.isEmpty(), System.nanoTime())) {
            checkpointIfNeeded();
        }
    }

    /** The checkpoint at the end of the input: a failure here ends the run with the error. */
    private void finalCheckpoint() {
        if (!checkpointIfNeeded()) {
            throw new UncheckedIOException(new IOException("the final checkpoint at step " + step + " could not be"
                    + " written; the records since the last durable checkpoint are not committed and will be read again"));
        }
    }

    /**
     * Writes a checkpoint if anything is new, then acknowledges what it covers.
     *
     * @return false when the write failed (nothing was acknowledged)
     */
    private boolean checkpointIfNeeded() {
        if (checkpoints.covers(step) && pendingAcks.isEmpty()) {
            return true;
        }
        if (!checkpoints.covers(step) || !positions.isEmpty()) {
            long t0 = System.nanoTime();
            Map<String, String> meta = new LinkedHashMap<>(learner.shape());
            try {
                // Phase one: the outputs become visible with the positions they cover (throws on failure).
                committer.commit(Map.copyOf(positions));
                Map<String, INDArray> state = new LinkedHashMap<>(learner.exportState());
                state.putAll(learningRate.exportState());
                store.save(new Checkpoint(step, recordsSeen, positions, meta, state));
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

    private INDArray toMatrix(List<float[]> rows) {
        int d = learner.dimension();
        float[] flat = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            float[] r = rows.get(i);
            if (r.length != d) {
                throw new IllegalStateException("sample of dimension " + r.length + " reached a trainer of dimension " + d
                        + "; the decoder must validate dimensions");
            }
            System.arraycopy(r, 0, flat, i * d, d);
        }
        return Nd4j.create(flat, new long[] {rows.size(), d}, DataType.FLOAT);
    }
}
