package io.streamebm.pipeline.train;

import io.streamebm.pipeline.drift.Drift;
import io.streamebm.pipeline.drift.DriftDetector;
import io.streamebm.pipeline.drift.DriftOptions;
import io.streamebm.pipeline.drift.DriftReaction;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trainer's drift policy: watches the energies of arriving records under the model before it
 * trains on them, reports a change of the stream ({@link TrainerListener#drifted}) and reacts as
 * {@code drift.reaction} says.
 *
 * <p><b>What the detector sees.</b> Each record's energy minus the level, the mean energy of the
 * recent training records under the same model ({@link DriftLevel}). A learning model moves all
 * its energies together (it has no fixed zero), and raw energies made the detector report drifts
 * on a stationary stream; relative ones cancel that common movement, so that only records unlike
 * the recent ones stand out ({@link DriftDetector}'s measurements). Of a larger batch it sees
 * {@value #MAX_VALUES_PER_BATCH}, evenly spread: all records of one batch are measured against the
 * same level, and share its error (one update can move the energies by 0.3 where 0.05 is usual),
 * so a thousand of them would tell the detector no more about the stream than a few hundred, but
 * would make it sure of a shift that is only the level's. With all 1,024 records of the batch, two
 * million stationary records gave 2, 3 and 0 false drifts over three seeds; with 256, none, and the
 * switch to the checkerboard is still found in the first batch that holds it
 * ({@code LargeBatchDriftTest}).
 *
 * <p><b>Cost.</b> The batch's own energies come free from the loss when it measures them
 * ({@link Learner#batchEnergies}: pcd, cd, nce, mle, sm, ssm); otherwise the trainer measures them.
 * The level measures {@value DriftLevel#PROBE_ROWS} probe rows an update, in the update's own pass
 * when the learner offers it ({@link Learner#probeEnergies}: pcd, cd; 0.7–1.6 % of a default PCD
 * step), else in a forward pass of their own (2.7 %); see bench/RESULTS.md, "Calibration and
 * drift".
 *
 * <p><b>Warm-up.</b> The detector starts after {@value #WARM_UP_RECORDS} records and
 * {@value #WARM_UP_UPDATES} updates: a model from scratch changes fastest in its first updates,
 * whatever their size. (With records alone, micro-batches of 1,024 ended the warm-up after 10
 * updates, and the in-process harness found six false drifts in the next 80,000 records of one
 * seed and one in the other.) After a drift it starts over, a fresh detector and level after
 * another warm-up, because the energies settle for a while after a switch (as the model learns the
 * new stream) and would otherwise report the same change again.
 *
 * <p><b>Reactions</b> follow the update on the batch in which the drift was found (the batch's
 * energies are known only then). {@code reinit-chains} restarts the persistent chains at that
 * batch; {@code raise-lr} multiplies the learning rate by its factor for its number of applied
 * updates from the next one (the countdown goes into checkpoints, so a restart in the window still
 * ends it); {@code snapshot-pre-drift} publishes the model as it was before that batch, kept
 * before each update for this purpose, under the version of its step
 * ({@link SnapshotSchedule#publish}).
 *
 * <p>What a restart does not keep: the detector's window and the level's records. A restarted
 * trainer warms up again, so a change that straddles a restart may go unreported. Not thread-safe:
 * the trainer thread owns it.
 */
final class DriftWatch {

    /** Records after a (re)start or a drift before the detector sees any. */
    static final long WARM_UP_RECORDS = 10_000;
    /** Updates after a (re)start or a drift before the detector sees any. */
    static final int WARM_UP_UPDATES = 100;
    /** Most relative energies of one batch the detector sees (why: the class comment, "What the detector sees"). */
    static final int MAX_VALUES_PER_BATCH = 256;
    /** Checkpoint key of the updates the raised learning rate still lasts. */
    static final String KEY_RAISED_STEPS = "trainer.drift-raised-steps";

    private final Optional<DriftOptions> options;
    private final Learner learner;
    private final SnapshotSchedule snapshots;
    private final TrainerListener listener;
    private DriftDetector detector;
    private final DriftLevel level;
    /** The model before the current update, kept for {@code snapshot-pre-drift}. */
    private Map<String, INDArray> modelBefore;
    private long warmUpLeft = WARM_UP_RECORDS;
    private int warmUpUpdatesLeft = WARM_UP_UPDATES;
    private long raisedStepsLeft;

    /**
     * @param options   the drift settings, or empty to watch nothing
     * @param learner   measured and reacted on
     * @param snapshots publishes the pre-drift model
     * @param listener  hears each drift
     */
    DriftWatch(Optional<DriftOptions> options, Learner learner, SnapshotSchedule snapshots, TrainerListener listener) {
        this.options = Objects.requireNonNull(options, "options");
        this.learner = Objects.requireNonNull(learner, "learner");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.detector = options.map(DriftOptions::detector).orElse(null);
        this.level = new DriftLevel(learner::energies,
                options.isPresent() ? learner.probeEnergies() : Optional.empty());
    }

    /** Whether drift detection is on ({@code drift.enabled}): then every batch is measured. */
    boolean active() {
        return options.isPresent();
    }

    /** An update is about to be made: the level measures what it needs under the model it starts from. */
    void beforeUpdate() {
        if (options.isEmpty()) {
            return;
        }
        level.beforeUpdate();
        if (options.get().reaction() == DriftReaction.SNAPSHOT_PRE_DRIFT) {
            modelBefore = learner.modelState();
        }
    }

    /** The update returned (it may still be rolled back): what it measured under the model before it is known. */
    void updateMade() {
        if (options.isPresent()) {
            level.updateMade();
        }
    }

    /**
     * Feeds a batch's relative energies to the detector, after the update that learned from it.
     *
     * @param step        the updates made before this batch
     * @param recordsSeen the records counted, this batch's included
     * @param batch       the batch
     * @param energies    its energies under the model before the update, the one {@link #beforeUpdate} measured
     * @return whether a reaction changed the learner (its state is then a new baseline)
     */
    boolean observe(long step, long recordsSeen, INDArray batch, double[] energies) {
        if (options.isEmpty()) {
            return false;
        }
        Optional<Drift> found = Optional.empty();
        double now = level.level();
        if (warmUpLeft > 0 || warmUpUpdatesLeft > 0 || Double.isNaN(now)) {
            warmUpLeft = Math.max(0, warmUpLeft - energies.length);
        } else {
            int fed = Math.min(energies.length, MAX_VALUES_PER_BATCH);
            for (int k = 0; k < fed && found.isEmpty(); k++) {
                int i = (int) ((long) k * energies.length / fed); // evenly spread over a larger batch
                if (Double.isFinite(energies[i] - now)) {
                    found = detector.add(energies[i] - now);
                }
            }
        }
        level.add(batch, energies);
        warmUpUpdatesLeft = Math.max(0, warmUpUpdatesLeft - 1);
        return found.map(d -> react(step, recordsSeen, d, batch)).orElse(false);
    }

    private boolean react(long step, long recordsSeen, Drift drift, INDArray batch) {
        DriftOptions o = options.orElseThrow();
        listener.drifted(step, recordsSeen, drift, detector.describe(), o.reaction());
        detector = o.detector();
        warmUpLeft = WARM_UP_RECORDS;
        warmUpUpdatesLeft = WARM_UP_UPDATES;
        level.reset(); // the next records stand for the stream from now on
        switch (o.reaction()) {
            case REINIT_CHAINS -> learner.reinitialiseChains(batch);
            case RAISE_LR -> {
                if (raisedStepsLeft == 0) {
                    learner.scaleLearningRate(o.raiseLrFactor());
                }
                // A drift inside the window extends it; the rate is raised once.
                raisedStepsLeft = o.raiseLrSteps();
            }
            case SNAPSHOT_PRE_DRIFT -> snapshots.publish(step, recordsSeen - batch.rows(), modelBefore);
            case NONE -> {
            }
        }
        return o.reaction() == DriftReaction.REINIT_CHAINS || o.reaction() == DriftReaction.RAISE_LR;
    }

    /**
     * An update was applied: the raised learning rate counts down, and returns to the configured
     * one when its window ends.
     *
     * @return whether the learning rate changed (the learner's state is then a new baseline)
     */
    boolean applied() {
        if (raisedStepsLeft == 0) {
            return false;
        }
        raisedStepsLeft--;
        if (raisedStepsLeft == 0) {
            learner.scaleLearningRate(1 / options.orElseThrow().raiseLrFactor());
            return true;
        }
        return false;
    }

    /**
     * The trainer (re)started: the countdown of a raised rate the checkpoint holds goes on (the
     * learner's restored state holds the raised rate); the detector warms up afresh.
     */
    void restored(Map<String, INDArray> trainerState) {
        INDArray left = trainerState.get(KEY_RAISED_STEPS);
        raisedStepsLeft = left == null ? 0 : left.getLong(0);
        if (raisedStepsLeft < 0 || (raisedStepsLeft > 0 && options.isEmpty())) {
            throw new IllegalArgumentException("checkpoint holds a raised learning rate for " + raisedStepsLeft
                    + " more updates, which this configuration cannot end (drift options "
                    + options.map(Object::toString).orElse("absent") + ")");
        }
        level.reset();
        warmUpLeft = WARM_UP_RECORDS;
        warmUpUpdatesLeft = WARM_UP_UPDATES;
        detector = options.map(DriftOptions::detector).orElse(null);
    }

    /** This policy's state for the next checkpoint, under {@code trainer.} keys. */
    Map<String, INDArray> exportState() {
        return Map.of(KEY_RAISED_STEPS, Nd4j.scalar(DataType.LONG, raisedStepsLeft));
    }
}
