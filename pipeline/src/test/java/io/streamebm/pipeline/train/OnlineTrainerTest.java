package io.streamebm.pipeline.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The trainer's batching, checkpoint/acknowledge ordering, restore and rollback, with a counting learner. */
class OnlineTrainerTest {

    @TempDir
    Path dir;

    /** Learns the running sum of its inputs; rejects batches holding NaN; "diverges" on values above 1e6. */
    static class SumLearner implements Learner {
        double[] sum = new double[2];
        double lrScale = 1;
        int reinits;
        /** The learning-rate scale of each update, in order. */
        final List<Double> rates = new ArrayList<>();

        @Override
        public StepRecord update(INDArray batch) {
            if (!Double.isFinite(batch.sumNumber().doubleValue())) {
                throw new RejectedUpdateException("non-finite batch", null);
            }
            rates.add(lrScale);
            for (int j = 0; j < 2; j++) {
                sum[j] += batch.getColumn(j).sumNumber().doubleValue();
            }
            double mean = batch.meanNumber().doubleValue();
            return StepRecord.measured((int) batch.rows(), mean, 1, 1,
                    new LossDiagnostics(mean, Double.NaN, Double.NaN, Double.NaN, 0), Duration.ZERO);
        }

        @Override
        public INDArray energies(INDArray batch) {
            return batch.sum(1);
        }

        @Override
        public int dimension() {
            return 2;
        }

        @Override
        public Map<String, String> architecture() {
            return Map.of("model", "sum", "dim", "2");
        }

        @Override
        public void scaleLearningRate(double factor) {
            lrScale *= factor;
        }

        @Override
        public void reinitialiseChains(INDArray recentData) {
            reinits++;
        }

        @Override
        public Map<String, INDArray> modelState() {
            return exportState();
        }

        @Override
        public void loadModelState(Map<String, INDArray> parameters) {
            importState(parameters);
        }

        @Override
        public Map<String, INDArray> exportState() {
            return Map.of("sum", Nd4j.createFromArray(sum.clone()));
        }

        @Override
        public void importState(Map<String, INDArray> state) {
            sum = state.get("sum").toDoubleVector();
        }
    }

    /**
     * A {@link SumLearner} whose updates hand over their batch's energies, as most losses do
     * ({@link Learner#batchEnergies}); it records the rows of every forward pass asked of it.
     */
    static final class MeasuringSumLearner extends SumLearner {
        double[] lastBatch = new double[0];
        final List<Integer> forwardPassRows = new ArrayList<>();

        @Override
        public StepRecord update(INDArray batch) {
            lastBatch = batch.sum(1).toDoubleVector();
            return super.update(batch);
        }

        @Override
        public INDArray energies(INDArray batch) {
            forwardPassRows.add(batch.rows());
            return super.energies(batch);
        }

        @Override
        public java.util.Optional<io.streamebm.losses.DataEnergies> batchEnergies() {
            return java.util.Optional.of(() -> lastBatch.clone());
        }
    }

    private final List<String> events = new ArrayList<>();

    private OnlineTrainer trainer(SumLearner learner, TrainerOptions options) {
        return new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> events.add("skipped " + id)),
                options, new TrainerListener() {
                    @Override
                    public void checkpointed(long step, Duration took) {
                        events.add("checkpoint " + step);
                    }

                    @Override
                    public void diverged(long step, String reason, String reaction) {
                        events.add("diverged " + step + " " + reaction);
                    }
                });
    }

    /** Input batches of {@code perBatch} samples (all ones) from one partition, acks recorded in {@code acked}. */
    private Flux<InputBatch> input(int batches, int perBatch, long firstOffset, List<Long> acked) {
        return Flux.range(0, batches).map(b -> {
            List<InputBatch.Sample> samples = new ArrayList<>();
            long base = firstOffset + (long) b * perBatch;
            for (int i = 0; i < perBatch; i++) {
                samples.add(new InputBatch.Sample("t-0", base + i, new float[] {1f, 2f}));
            }
            long end = base + perBatch;
            return new InputBatch(samples, Map.of("t-0", end), () -> {
                synchronized (acked) {
                    acked.add(end);
                }
                events.add("ack " + end);
            });
        });
    }

    private static TrainerOptions.Builder options() {
        return TrainerOptions.builder().maxBatchSize(64).maxWait(Duration.ofSeconds(5)).checkpointEverySteps(4);
    }

    @Test
    void microBatchesAreCutAtMaxSizeAndEveryRecordCountsOnce() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        try (OnlineTrainer t = trainer(learner, options().build())) {
            List<StepRecord> results = t.train(input(10, 100, 0, acked)).collectList().block();
            int total = results.stream().mapToInt(StepRecord::batchSize).sum();
            assertEquals(1000, total);
            assertTrue(results.stream().allMatch(r -> r.batchSize() <= 64));
            assertEquals(1000, t.recordsSeen());
            assertEquals(1000.0, learner.sum[0], 1e-9);
            assertEquals(1000L, results.get(results.size() - 1).sourcePositions().get("t-0"));
            assertEquals(10, acked.size(), "every batch acknowledged after the final checkpoint");
        }
    }

    @Test
    void acknowledgementsFollowTheCheckpointThatCoversThem() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        try (OnlineTrainer t = trainer(learner, options().maxBatchSize(50).build())) {
            t.train(input(6, 50, 0, acked)).blockLast();
        }
        // 6 steps of 50: checkpoint at step 4 covers batches 1..4, the final one covers 5..6.
        int firstCheckpoint = events.indexOf("checkpoint 4");
        assertTrue(firstCheckpoint >= 0, events.toString());
        for (String e : events.subList(0, firstCheckpoint)) {
            assertTrue(!e.startsWith("ack"), "acknowledged before any checkpoint: " + events);
        }
        assertTrue(events.indexOf("ack 300") > events.indexOf("checkpoint 6"), events.toString());
    }

    /** A store that fails its first {@code failures} saves, as a full or read-only disk would. */
    private static final class FlakyStore implements io.streamebm.pipeline.checkpoint.CheckpointStore {
        private final FileCheckpointStore delegate;
        private final AtomicInteger failuresLeft;
        final AtomicInteger attempts = new AtomicInteger();

        FlakyStore(FileCheckpointStore delegate, int failures) {
            this.delegate = delegate;
            this.failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public void save(io.streamebm.pipeline.checkpoint.Checkpoint c) throws java.io.IOException {
            attempts.incrementAndGet();
            if (failuresLeft.getAndDecrement() > 0) {
                throw new java.io.IOException("No space left on device");
            }
            delegate.save(c);
        }

        @Override
        public java.util.Optional<io.streamebm.pipeline.checkpoint.Checkpoint> loadLatest() throws java.io.IOException {
            return delegate.loadLatest();
        }

        @Override
        public List<String> list() throws java.io.IOException {
            return delegate.list();
        }
    }

    @Test
    void aFailingCheckpointIsReportedRetriedAndAcknowledgesNothingUntilItSucceeds() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        FlakyStore store = new FlakyStore(new FileCheckpointStore(dir, 3, (id, r) -> { }), 2);
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        TrainerListener listener = new TrainerListener() {
            @Override
            public void checkpointFailed(long step, Exception error, int inARow, Duration retryIn) {
                synchronized (acked) {
                    failures.add(step + " " + inARow + " " + error.getMessage() + " acked=" + acked.size());
                }
            }
        };
        // Checkpoints are due every step; the input then stays open, as an idle topic does.
        try (OnlineTrainer t = new OnlineTrainer(learner, store,
                options().maxBatchSize(10).checkpointEverySteps(1).checkpointInterval(Duration.ofMillis(400)).build(),
                listener)) {
            reactor.core.Disposable run = t.train(Flux.concat(input(3, 10, 0, acked), Flux.never())).subscribe();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (acked.size() < 3 && System.nanoTime() < deadline) {
                sleep(20);
            }
            run.dispose();
        }
        assertEquals(2, failures.size(), failures.toString());
        assertTrue(failures.get(0).startsWith("1 1 No space left on device acked=0"), failures.toString());
        assertTrue(failures.get(1).contains(" 2 No space left on device acked=0"), failures.toString());
        assertEquals(List.of(10L, 20L, 30L), acked, "acknowledged once a checkpoint succeeded, without new input");
        assertTrue(store.attempts.get() >= 3);
    }

    @Test
    void anIdleInputIsCheckpointedOnTheTimerSoItsOffsetsDoNotLag() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        try (OnlineTrainer t = trainer(learner,
                options().checkpointEverySteps(1000).checkpointInterval(Duration.ofMillis(300)).build())) {
            reactor.core.Disposable run = t.train(Flux.concat(input(2, 10, 0, acked), Flux.never())).subscribe();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (acked.size() < 2 && System.nanoTime() < deadline) {
                sleep(20);
            }
            run.dispose();
        }
        assertEquals(List.of(10L, 20L), acked, "no new data, yet the timer's checkpoint acknowledged both batches");
        assertTrue(events.contains("checkpoint 1"), events.toString());
    }

    @Test
    void aFailureOnTheTimerEndsTheRunInsteadOfLeavingAnIdleTrainerHoldingItsInput() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        // The outputs' transaction is lost (as when the broker aborts it): the checkpoint the timer
        // takes on the idle input cannot commit, and nothing that would end the run arrives.
        OutputCommitter lost = positions -> {
            throw new IllegalStateException("the output transaction could not be committed");
        };
        try (OnlineTrainer t = new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> { }),
                options().checkpointEverySteps(1000).checkpointInterval(Duration.ofMillis(300)).build(),
                new TrainerListener() { }, lost)) {
            StepVerifier.create(t.train(Flux.concat(input(2, 10, 0, acked), Flux.never())))
                    .thenConsumeWhile(step -> true)
                    .expectErrorMessage("the output transaction could not be committed")
                    .verify(Duration.ofSeconds(30));
        }
        assertEquals(List.of(), acked, "nothing is acknowledged without a commit");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aRecordLimitCountsExactlyThatManyAndAcknowledgesNothingBeyondIt() {
        SumLearner learner = new SumLearner();
        List<Long> acked = new ArrayList<>();
        try (OnlineTrainer t = trainer(learner, options().build())) {
            t.train(input(10, 100, 0, acked), 550).blockLast();
            assertEquals(550, t.recordsSeen());
            assertEquals(550.0, learner.sum[0], 1e-9);
        }
        assertEquals(List.of(100L, 200L, 300L, 400L, 500L), acked, "the part-counted batch and later ones stay unacknowledged");
        try (OnlineTrainer t = trainer(new SumLearner(), options().build())) {
            assertEquals(Map.of("t-0", 550L), t.restore(), "the next run resumes right after the last counted record");
        }
    }

    @Test
    void restartResumesFromTheCheckpointPositionsAndState() {
        SumLearner first = new SumLearner();
        try (OnlineTrainer t = trainer(first, options().build())) {
            t.train(input(5, 64, 0, new ArrayList<>())).blockLast();
        }
        SumLearner second = new SumLearner();
        try (OnlineTrainer t = trainer(second, options().build())) {
            Map<String, Long> positions = t.restore();
            assertEquals(Map.of("t-0", 320L), positions);
            assertEquals(320.0, second.sum[0], 1e-9);
            assertEquals(5, t.step());
            t.train(input(2, 64, 320, new ArrayList<>())).blockLast();
            assertEquals(448, t.recordsSeen());
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedUnlessFreshStart() {
        try (OnlineTrainer t = trainer(new SumLearner(), options().build())) {
            t.train(input(1, 10, 0, new ArrayList<>())).blockLast();
        }
        SumLearner other = new SumLearner() {
            @Override
            public Map<String, String> architecture() {
                return Map.of("model", "sum", "dim", "3");
            }
        };
        try (OnlineTrainer t = trainer(other, options().build())) {
            IncompatibleCheckpointException e = assertThrows(IncompatibleCheckpointException.class, t::restore);
            assertTrue(e.getMessage().contains("dim: checkpoint has 2, configuration has 3"), e.getMessage());
        }
        try (OnlineTrainer t = trainer(other, options().freshStart(true).build())) {
            assertEquals(Map.of(), t.restore());
        }
    }

    @Test
    void rejectedAndOutOfBoundUpdatesRollBackAndTrainingGoesOn() {
        SumLearner learner = new SumLearner();
        AtomicInteger n = new AtomicInteger();
        Flux<InputBatch> in = Flux.range(0, 4).map(b -> {
            float v = b == 1 ? Float.NaN : b == 2 ? 1e7f : 1f;
            List<InputBatch.Sample> s = List.of(new InputBatch.Sample("t-0", b, new float[] {v, v}));
            return new InputBatch(s, Map.of("t-0", (long) b + 1), n::incrementAndGet);
        });
        try (OnlineTrainer t = trainer(learner, options().maxBatchSize(1).energyBound(1e6).goodStateEverySteps(1).build())) {
            StepVerifier.create(t.train(in))
                    .assertNext(r -> assertEquals(StepRecord.Outcome.APPLIED, r.outcome()))
                    .assertNext(r -> assertEquals(StepRecord.Outcome.ROLLED_BACK, r.outcome()))
                    .assertNext(r -> assertEquals(StepRecord.Outcome.ROLLED_BACK, r.outcome()))
                    .assertNext(r -> assertEquals(StepRecord.Outcome.APPLIED, r.outcome()))
                    .verifyComplete();
        }
        assertEquals(2.0, learner.sum[0], 1e-9, "only the two good updates remain");
        assertEquals(0.25, learner.lrScale, 1e-12);
        assertEquals(2, learner.reinits);
        assertEquals(4, n.get());
        assertTrue(events.contains("diverged 2 both") && events.contains("diverged 3 both"), events.toString());
    }

    /** One-sample batches from offset {@code first}; {@code bad} marks those whose mean energy is out of bounds. */
    private static Flux<InputBatch> singles(long first, boolean... bad) {
        return Flux.range(0, bad.length).map(i -> {
            float v = bad[i] ? 1e7f : 1f;
            long offset = first + i;
            return new InputBatch(List.of(new InputBatch.Sample("t-0", offset, new float[] {v, v})),
                    Map.of("t-0", offset + 1), () -> { });
        });
    }

    @Test
    void aLoweredLearningRateReturnsAfterAQuietSpellAndCompoundsOnlyWhileDivergencePersists() {
        SumLearner learner = new SumLearner();
        TrainerOptions o = options().maxBatchSize(1).energyBound(1e6).reaction(TrainerOptions.Reaction.LOWER_LR)
                .learningRateFactor(0.5).learningRateRecoverySteps(3).build();
        List<Double> scales = new ArrayList<>();
        try (OnlineTrainer t = trainer(learner, o)) {
            // good, bad, 3 good (back to the configured rate), bad, good, bad, 3 good.
            t.train(singles(0, false, true, false, false, false, true, false, true, false, false, false))
                    .doOnNext(r -> scales.add(learner.lrScale)).blockLast();
        }
        assertEquals(List.of(1.0, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 1.0), scales);
    }

    @Test
    void aRecoveryWindowSurvivesARestart() {
        TrainerOptions o = options().maxBatchSize(1).energyBound(1e6).reaction(TrainerOptions.Reaction.LOWER_LR)
                .learningRateFactor(0.5).learningRateRecoverySteps(3).build();
        try (OnlineTrainer t = trainer(new SumLearner(), o)) {
            t.train(singles(0, false, true, false)).blockLast(); // one good step into the window
        }
        SumLearner resumed = new SumLearner();
        List<Double> scales = new ArrayList<>();
        try (OnlineTrainer t = trainer(resumed, o)) {
            t.train(singles(3, false, false, false)).doOnNext(r -> scales.add(resumed.lrScale)).blockLast();
        }
        // The checkpoint held scale 0.5 with one good step: two more end the window (factor 2).
        assertEquals(List.of(1.0, 2.0, 2.0), scales);
    }

    @Test
    void snapshotsAreVersionedByTheirStepAndSkipRolledBackSteps() {
        List<Long> versions = new ArrayList<>();
        List<Long> records = new ArrayList<>();
        TrainerOptions o = options().maxBatchSize(1).energyBound(1e6).snapshotEverySteps(2).build();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }), o,
                new TrainerListener() {
                    @Override
                    public void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen,
                            java.util.Optional<io.streamebm.pipeline.calibration.EnergyPercentiles> calibration) {
                        versions.add(version);
                        records.add(recordsSeen);
                    }
                })) {
            // Step 4 diverges: no snapshot of a rolled-back model.
            t.train(singles(0, false, false, false, true, false, false)).blockLast();
        }
        assertEquals(List.of(2L, 6L), versions);
        assertEquals(List.of(2L, 6L), records);
    }

    @Test
    void aPartialBatchIsFlushedAfterMaxWait() {
        SumLearner learner = new SumLearner();
        Flux<InputBatch> slow = input(1, 10, 0, new ArrayList<>()).concatWith(Flux.never());
        try (OnlineTrainer t = trainer(learner, options().maxWait(Duration.ofMillis(100)).build())) {
            StepVerifier.create(t.train(slow))
                    .assertNext(r -> assertEquals(10, r.batchSize()))
                    .thenCancel()
                    .verify(Duration.ofSeconds(30));
        }
    }

    @Test
    void snapshotsCarryTheCalibrationAndItSurvivesARestart() {
        CalibrationLog log = new CalibrationLog();
        TrainerOptions o = options().maxBatchSize(50).snapshotEverySteps(2).calibrationEveryBatches(1).build();
        trainOnSums(o, log, 4, 0);
        assertEquals(List.of(100L, 200L), log.records);
        // The restarted trainer ranks against the 200 energies it saw before, plus the new ones.
        trainOnSums(o, log, 2, 200);
        assertEquals(List.of(100L, 200L, 300L), log.records);
    }

    @Test
    void withoutADriftWatchTheCalibrationMeasuresOneBatchInN() {
        CalibrationLog log = new CalibrationLog();
        // Eight batches of 50, one in four measured (the batches after steps 0 and 4): 100 energies.
        TrainerOptions o = options().maxBatchSize(50).snapshotEverySteps(8).calibrationEveryBatches(4).build();
        trainOnSums(o, log, 8, 0);
        assertEquals(List.of(100L), log.records);
    }

    @Test
    void energiesTheUpdateMeasuresCalibrateEveryBatchWithoutAForwardPass() {
        CalibrationLog log = new CalibrationLog();
        MeasuringSumLearner learner = new MeasuringSumLearner();
        TrainerOptions o = options().maxBatchSize(50).snapshotEverySteps(8).calibrationEveryBatches(4).build();
        trainOnSums(learner, o, log, 8, 0);
        assertEquals(List.of(400L), log.records, "all eight batches");
        assertEquals(List.of(), learner.forwardPassRows);
    }

    /** Trains a {@link SumLearner} on {@code batches} batches of 50 from {@code first}, with checkpoints in {@link #dir}. */
    private void trainOnSums(TrainerOptions o, TrainerListener listener, int batches, long first) {
        trainOnSums(new SumLearner(), o, listener, batches, first);
    }

    private void trainOnSums(SumLearner learner, TrainerOptions o, TrainerListener listener, int batches, long first) {
        try (OnlineTrainer t = new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> { }), o,
                listener)) {
            t.train(input(batches, 50, first, new ArrayList<>())).blockLast();
        }
    }

    /** Records how many energies each snapshot's calibration was built from. */
    private static final class CalibrationLog implements TrainerListener {
        final List<Long> records = new ArrayList<>();

        @Override
        public void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen,
                java.util.Optional<io.streamebm.pipeline.calibration.EnergyPercentiles> calibration) {
            records.add(calibration.orElseThrow().records());
        }
    }

    /** 30,000 records in batches of 100: (1, 2) up to record 20,000, then (100, 200). */
    private static Flux<InputBatch> switching() {
        return Flux.range(0, 300).map(b -> {
            List<InputBatch.Sample> samples = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                long at = b * 100L + i;
                samples.add(new InputBatch.Sample("t-0", at, at < 20_000 ? new float[] {1f, 2f} : new float[] {100f, 200f}));
            }
            return new InputBatch(samples, Map.of("t-0", b * 100L + 100), () -> { });
        });
    }

    /** Records each drift as "step records reaction" and each snapshot's version. */
    private static final class DriftLog implements TrainerListener {
        final List<Long> driftSteps = new ArrayList<>();
        final List<String> drifts = new ArrayList<>();
        final List<Long> snapshots = new ArrayList<>();

        @Override
        public void drifted(long step, long recordsSeen, io.streamebm.pipeline.drift.Drift drift, String detector,
                io.streamebm.pipeline.drift.DriftReaction reaction) {
            driftSteps.add(step);
            drifts.add(step + " " + recordsSeen + " " + reaction + " " + drift.change());
        }

        @Override
        public void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen,
                java.util.Optional<io.streamebm.pipeline.calibration.EnergyPercentiles> calibration) {
            snapshots.add(version);
        }
    }

    private static TrainerOptions drifting(io.streamebm.pipeline.drift.DriftReaction reaction) {
        return options().maxBatchSize(100).checkpointEverySteps(1000).snapshotEverySteps(1000)
                .drift(new io.streamebm.pipeline.drift.DriftOptions(0.002, 100_000, reaction, 2.0, 3, "events")).build();
    }

    @Test
    void aDriftIsReportedOnceAndRaisesTheLearningRateForItsSteps() {
        SumLearner learner = new SumLearner();
        DriftLog log = new DriftLog();
        try (OnlineTrainer t = new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> { }),
                drifting(io.streamebm.pipeline.drift.DriftReaction.RAISE_LR), log)) {
            t.train(switching()).blockLast();
        }
        assertEquals(1, log.drifts.size(), log.drifts.toString());
        int s = log.driftSteps.get(0).intValue();
        // Found in the first batch of the new values (step 200), or at the latest in the next one.
        assertTrue(s == 200 || s == 201, log.drifts.toString());
        assertTrue(log.drifts.get(0).startsWith(s + " " + (s + 1) * 100 + " RAISE_LR "), log.drifts.toString());
        // The update on the drifted batch (update s + 1) still at the old rate: its energies are
        // known only with it.
        assertEquals(List.of(1.0, 2.0, 2.0, 2.0, 1.0), learner.rates.subList(s, s + 5),
                "raised for the three updates after the drifted batch's, then back");
    }

    @Test
    void theDriftWatchUsesTheEnergiesTheUpdateMeasuredAndAForwardPassOfItsProbeAlone() {
        MeasuringSumLearner learner = new MeasuringSumLearner();
        DriftLog log = new DriftLog();
        try (OnlineTrainer t = new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> { }),
                drifting(io.streamebm.pipeline.drift.DriftReaction.NONE), log)) {
            t.train(switching()).blockLast();
        }
        assertEquals(1, log.drifts.size(), log.drifts.toString());
        int s = log.driftSteps.get(0).intValue();
        assertTrue(s == 200 || s == 201, log.drifts.toString());
        // The probe is measured before each update but two: the first, and the first after the
        // drift, which draws a new probe from the new stream.
        assertEquals(298, learner.forwardPassRows.size());
        assertTrue(learner.forwardPassRows.stream().allMatch(r -> r == DriftLevel.PROBE_ROWS),
                learner.forwardPassRows.toString());
    }

    @Test
    void aDriftPublishesThePreDriftModelUnderItsStep() {
        DriftLog log = new DriftLog();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                drifting(io.streamebm.pipeline.drift.DriftReaction.SNAPSHOT_PRE_DRIFT), log)) {
            t.train(switching()).blockLast();
        }
        assertEquals(1, log.driftSteps.size(), log.drifts.toString());
        assertEquals(log.driftSteps, log.snapshots, "one snapshot, the model before the drifted batch");
    }

    @Test
    void aStationaryStreamRaisesNoDrift() {
        DriftLog log = new DriftLog();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                drifting(io.streamebm.pipeline.drift.DriftReaction.NONE), log)) {
            t.train(input(300, 100, 0, new ArrayList<>())).blockLast();
        }
        assertEquals(List.of(), log.drifts);
    }

    @Test
    void aDriftRestartsTheChainsAtTheArrivingBatch() {
        SumLearner learner = new SumLearner();
        DriftLog log = new DriftLog();
        try (OnlineTrainer t = new OnlineTrainer(learner, new FileCheckpointStore(dir, 3, (id, r) -> { }),
                drifting(io.streamebm.pipeline.drift.DriftReaction.REINIT_CHAINS), log)) {
            t.train(switching()).blockLast();
        }
        assertEquals(1, log.drifts.size(), log.drifts.toString());
        assertEquals(1, learner.reinits);
    }

    /** A shared model that counts its syncs and wants one every other step. */
    private static class CountingSharedModel implements SharedModel {
        final AtomicInteger syncs = new AtomicInteger();

        @Override
        public boolean shared() {
            return true;
        }

        @Override
        public long join(Learner learner, long restoredRecords) {
            return restoredRecords;
        }

        @Override
        public void arrived(Learner learner, java.util.Collection<String> sources) {
        }

        @Override
        public void left(java.util.Collection<String> sources) {
        }

        @Override
        public void sync(Learner learner, long step, long recordsSeen,
                java.util.Optional<io.streamebm.pipeline.calibration.EnergyPercentiles> calibration) {
            syncs.incrementAndGet();
        }

        /** Whether each committed sync waited for the others, in order. */
        final List<Boolean> committed = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void committed(Learner learner, java.util.function.BooleanSupplier mayWait) {
            committed.add(mayWait.getAsBoolean());
        }

        @Override
        public boolean syncWanted(long step) {
            return step % 2 == 0;
        }
    }

    /** A shared model whose first round waits for as long as it may (at most 60 s). */
    private static final class WaitingSharedModel extends CountingSharedModel {
        final java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1);
        volatile Boolean stoppedBecauseItMayNotWait;

        @Override
        public void committed(Learner learner, java.util.function.BooleanSupplier mayWait) {
            if (stoppedBecauseItMayNotWait != null || !mayWait.getAsBoolean()) {
                return;
            }
            waiting.countDown();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (mayWait.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            stoppedBecauseItMayNotWait = !mayWait.getAsBoolean();
        }
    }

    /**
     * A member waiting for the others' round lets a rebalance through at once: the others may be
     * waiting for this very rebalance before they can publish the round.
     */
    @Test
    void aRebalanceCallbackEndsTheWaitForTheRound() throws Exception {
        WaitingSharedModel group = new WaitingSharedModel();
        reactor.core.publisher.Sinks.Many<InputBatch> in = reactor.core.publisher.Sinks.many().unicast()
                .onBackpressureBuffer();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                options().build(), new TrainerListener() { }, OutputCommitter.NONE, group)) {
            t.train(in.asFlux()).subscribe(r -> { }, e -> { });
            input(4, 64, 0, new ArrayList<>()).toIterable().forEach(in::tryEmitNext);
            assertTrue(group.waiting.await(30, java.util.concurrent.TimeUnit.SECONDS), "the round began");
            t.release(List.of("t-0")); // blocks until the trainer thread is free
            assertEquals(Boolean.TRUE, group.stoppedBecauseItMayNotWait, "the wait ended for the rebalance");
            in.tryEmitComplete();
        }
    }

    /**
     * Every sync hears that its transaction committed (where lock-step rounds merge), and waits for
     * the others' round only during the run: never in the checkpoint at its end, which must not
     * wait for members that may have stopped.
     */
    @Test
    void everyCommittedSyncIsToldSoAndTheLastOneDoesNotWait() {
        CountingSharedModel group = new CountingSharedModel();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                options().build(), new TrainerListener() { }, OutputCommitter.NONE, group)) {
            t.train(input(6, 64, 0, new ArrayList<>())).blockLast();
        }
        assertTrue(group.syncs.get() >= 3, "syncs: " + group.syncs.get());
        assertEquals(group.syncs.get(), group.committed.size(), "one committed() per sync: " + group.committed);
        assertEquals(List.of(true, true, true), group.committed.subList(0, 3), group.committed.toString());
        assertEquals(false, group.committed.get(group.committed.size() - 1), group.committed.toString());
    }

    @Test
    void losingSourcesWithASharedModelEndsTheRunWithoutPublishingAgain() throws Exception {
        CountingSharedModel group = new CountingSharedModel();
        reactor.core.publisher.Sinks.Many<InputBatch> in = reactor.core.publisher.Sinks.many().unicast()
                .onBackpressureBuffer();
        java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                options().build(), new TrainerListener() { }, OutputCommitter.NONE, group)) {
            t.train(in.asFlux()).subscribe(r -> { }, ended::complete, () -> ended.complete(null));
            input(4, 64, 0, new ArrayList<>()).toIterable().forEach(in::tryEmitNext);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (t.step() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(4, t.step());
            int published = group.syncs.get();
            assertTrue(published > 0, "the group syncs before the loss");
            IllegalStateException lost = assertThrows(IllegalStateException.class, () -> t.lose(List.of("t-0")));
            assertTrue(lost.getMessage().contains("[t-0]"), lost.getMessage());
            // More input, then its end: each would checkpoint (and sync), and each must refuse.
            input(4, 64, 256, new ArrayList<>()).toIterable().forEach(in::tryEmitNext);
            in.tryEmitComplete();
            Throwable error = ended.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(error instanceof IllegalStateException && error.getMessage().contains("the group gave [t-0]"),
                    String.valueOf(error));
            assertEquals(published, group.syncs.get(), "nothing published after the loss");
            assertEquals(256, t.recordsSeen(), "the lost source's later records are not counted");
        }
    }

    /**
     * With a shared model, a commit the group refuses (a rebalance moved it to a new generation)
     * commits nothing: the run goes on, nothing is acknowledged on its account, and a later sync
     * commits and acknowledges everything.
     */
    @Test
    void aCommitTheGroupRefusesIsTriedAgainAndAcknowledgesNothingMeanwhile() {
        CountingSharedModel group = new CountingSharedModel();
        List<Long> acked = new ArrayList<>();
        List<Integer> ackedAtCommit = new ArrayList<>();
        AtomicInteger commits = new AtomicInteger();
        OutputCommitter refusesTheFirst = positions -> {
            synchronized (acked) {
                ackedAtCommit.add(acked.size());
            }
            if (commits.incrementAndGet() == 1) {
                throw new java.io.UncheckedIOException(new java.io.IOException("the group refused the offsets"));
            }
        };
        try (OnlineTrainer t = new OnlineTrainer(new SumLearner(), new FileCheckpointStore(dir, 3, (id, r) -> { }),
                options().checkpointEverySteps(100).build(), new TrainerListener() { }, refusesTheFirst, group)) {
            t.train(input(6, 64, 0, acked)).blockLast(Duration.ofSeconds(30));
            assertEquals(384, t.recordsSeen());
        }
        assertTrue(commits.get() >= 2, "the refused commit was tried again: " + commits);
        assertEquals(0, ackedAtCommit.get(1), "the refused commit acknowledged nothing");
        assertEquals(List.of(64L, 128L, 192L, 256L, 320L, 384L), acked);
    }

    @Test
    void losingSourcesAloneIsReleasingThem() {
        List<Long> acked = new ArrayList<>();
        try (OnlineTrainer t = trainer(new SumLearner(), options().build())) {
            t.train(input(4, 64, 0, acked)).blockLast();
            t.lose(List.of("t-0"));
            assertEquals(256, t.recordsSeen());
        }
        assertEquals(List.of(64L, 128L, 192L, 256L), acked);
    }
    /** One poll's batch: {@code t-0} records [from0, to0) and {@code t-1} records [from1, to1). */
    private static InputBatch poll(long from0, long to0, long from1, long to1,
            java.util.function.Predicate<String> revokedSincePolled) {
        List<InputBatch.Sample> samples = new ArrayList<>();
        for (long p = from0; p < to0; p++) {
            samples.add(new InputBatch.Sample("t-0", p, new float[] {1f, 0f}));
        }
        for (long p = from1; p < to1; p++) {
            samples.add(new InputBatch.Sample("t-1", p, new float[] {0f, 1f}));
        }
        return new InputBatch(samples, Map.of("t-0", to0, "t-1", to1), () -> { }, List.of(), revokedSincePolled);
    }

    private static void awaitStep(OnlineTrainer t, long step) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (t.step() < step && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(step, t.step());
    }

    /**
     * A source that leaves and comes straight back while records read before it left are still on
     * their way: those that reach the trainer while it is away are dropped, and those that arrive
     * after it is back must be dropped too (their batch says it was revoked since polled), so that
     * the consumer's new copies of all of them count, each once. Counting the late stale ones would
     * move the position past the dropped ones, whose new copies would then be refused: lost.
     */
    @Test
    void recordsReadBeforeASourceLeftAndCameBackCountOnceFromTheirNewCopies() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean revoked = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Predicate<String> firstAssignment = source -> source.equals("t-0") && revoked.get();
        reactor.core.publisher.Sinks.Many<InputBatch> in = reactor.core.publisher.Sinks.many().unicast()
                .onBackpressureBuffer();
        SumLearner learner = new SumLearner();
        // Micro-batches of 5: each of the first three polls is one step, showing what the trainer made of it.
        try (OnlineTrainer t = trainer(learner, options().maxBatchSize(5).build())) {
            reactor.core.publisher.Mono<List<StepRecord>> run = t.train(in.asFlux()).collectList().cache();
            run.subscribe();
            in.tryEmitNext(poll(0, 4, 0, 1, firstAssignment));
            awaitStep(t, 1);
            // The rebalance: t-0 is released (the trainer first), then the consumer forgets it, then it
            // comes back to this trainer, which seeks the consumer to the model's position.
            t.release(List.of("t-0"));
            in.tryEmitNext(poll(4, 8, 1, 2, firstAssignment)); // arrives while t-0 is away
            awaitStep(t, 2);
            revoked.set(true);
            assertEquals(Map.of("t-0", 4L), t.resume(List.of("t-0")));
            in.tryEmitNext(poll(8, 10, 2, 5, firstAssignment)); // read before the rebalance, arrives after it
            awaitStep(t, 3);
            in.tryEmitNext(poll(4, 10, 5, 6, source -> false)); // the new copies, from the model's position
            in.tryEmitComplete();
            List<StepRecord> steps = run.block(Duration.ofSeconds(30));
            // Before the fix: 5, 1, 5, 1 (the stale 8 and 9 counted, the new copies of 4..9 refused).
            assertEquals(List.of(5, 1, 3, 5, 2), steps.stream().map(StepRecord::batchSize).toList());
            assertEquals(16, t.recordsSeen());
            assertEquals(10.0, learner.sum[0], 1e-9, "each t-0 record counted once");
            assertEquals(6.0, learner.sum[1], 1e-9, "each t-1 record counted once");
            assertEquals(Map.of("t-0", 10L, "t-1", 6L), steps.get(steps.size() - 1).sourcePositions());
        }
    }
}
