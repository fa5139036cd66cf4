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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trainer's drift policy: watches the energies of arriving records under the model before it
 * trains on them, reports a change of the stream ({@link TrainerListener#drifted}) and reacts as
 * {@code drift.reaction} says.
 *
 * <p><b>What the detector sees.</b> Each record's energy minus the mean energy, under the same
 * model, of the {@value #REFERENCE} training records before the micro-batch trained last (see
 * {@link #keep} for why not that one). A learning model moves all its energies together (it has
 * no fixed zero), and raw energies made the detector
 * report drifts on a stationary stream; relative ones cancel that common movement, so that only
 * records unlike the recent ones stand out ({@link DriftDetector}'s measurements). The reference
 * rows are measured in the same forward pass as the batch ({@link #rowsToMeasure}), whose energies
 * the calibration shares, so the trainer asks the model once per micro-batch.
 *
 * <p><b>Measured</b> (trainer against the local broker, {@code TrainerDriftTest}'s light PCD model,
 * eight Gaussians then the checkerboard at record 200,000, one partition): no drift in the 200,000
 * stationary records, the switch found 192 records after it (the batch that completed it), once;
 * no drift in two million stationary records (two runs). With micro-batches of 1,024 a false
 * drift still came back in one run of three (bench/RESULTS.md).
 * The free alternative, each energy minus the mean energy of the last 1,024 records as measured
 * under the model of their own time, reported a drift at record 30,834 of the stationary part
 * (the model still moving), so the reference is measured again under the current model. Its
 * price: the forward pass covers 1,280 rows instead of 256. With the defaults on a busy 2-core
 * machine, per record, the batch's energies with the sketch cost 10 us next to a 25 us DSM step
 * and 33 us next to a 71 us PCD step; with the reference and ADWIN, 36 us and 52 us. The losses
 * compute the data energies themselves but report only their mean ({@code LossDiagnostics}); per
 * record energies from the loss would save the batch's share. A level the loss has for free, the
 * mean energy of the persistent chains, does not do: in-process, two million stationary records
 * with micro-batches of 1,024 gave 28 false drifts (and 24 in the first 870,000 of another seed),
 * as the gap between data and chain energies wanders while the model learns; the measured
 * reference gave none in four seeds.
 *
 * <p><b>Warm-up.</b> The detector starts after {@value #WARM_UP_RECORDS} records: a model from
 * scratch changes fastest at first, and the reference must fill. After a drift it starts over, a
 * fresh detector after another warm-up, because the energies settle for a while after a switch
 * (as the model learns the new stream) and would otherwise report the same change again.
 *
 * <p><b>Reactions.</b> {@code reinit-chains} restarts the persistent chains at the arriving batch;
 * {@code raise-lr} multiplies the learning rate by its factor for its number of applied updates
 * (the countdown goes into checkpoints, so a restart in the window still ends it);
 * {@code snapshot-pre-drift} publishes the model as it is before it learns from the drifted
 * records, under the version of its step ({@link SnapshotSchedule#publish}).
 *
 * <p>What a restart does not keep: the detector's window and the reference rows. A restarted
 * trainer warms up again, so a change that straddles a restart may go unreported. Not thread-safe:
 * the trainer thread owns it.
 */
final class DriftWatch {

    /** Training records whose mean energy is the reference level. */
    static final int REFERENCE = 1024;
    /** Records after a (re)start or a drift before the detector sees any. */
    static final long WARM_UP_RECORDS = 10_000;
    /** Checkpoint key of the updates the raised learning rate still lasts. */
    static final String KEY_RAISED_STEPS = "trainer.drift-raised-steps";

    private final Optional<DriftOptions> options;
    private final Learner learner;
    private final SnapshotSchedule snapshots;
    private final TrainerListener listener;
    private DriftDetector detector;
    private INDArray reference;
    /** The latest micro-batch: it joins the reference after the next update. */
    private INDArray latest;
    private long warmUpLeft = WARM_UP_RECORDS;
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
    }

    /** Whether drift detection is on ({@code drift.enabled}): then every batch is measured. */
    boolean active() {
        return options.isPresent();
    }

    /**
     * The rows to measure before the update: the batch, followed by the reference rows when there
     * are any. The first {@code batch.rows()} energies are the batch's.
     */
    INDArray rowsToMeasure(INDArray batch) {
        return options.isEmpty() || reference == null ? batch : Nd4j.vstack(batch, reference);
    }

    /**
     * Feeds the batch's relative energies to the detector and keeps the batch as reference.
     *
     * @param step        the updates made before this batch
     * @param recordsSeen the records counted, this batch's included
     * @param batch       the arriving records
     * @param energies    the energies of {@link #rowsToMeasure}'s rows under the current model
     * @return whether a reaction changed the learner (its state is then a new baseline)
     */
    boolean observe(long step, long recordsSeen, INDArray batch, double[] energies) {
        if (options.isEmpty()) {
            return false;
        }
        int n = (int) batch.rows();
        Optional<Drift> found = Optional.empty();
        if (energies.length > n) {
            double level = 0;
            for (int i = n; i < energies.length; i++) {
                level += energies[i];
            }
            level /= energies.length - n;
            for (int i = 0; i < n && found.isEmpty(); i++) {
                if (warmUpLeft > 0) {
                    warmUpLeft--;
                } else if (Double.isFinite(energies[i] - level)) {
                    found = detector.add(energies[i] - level);
                }
            }
        }
        keep(batch);
        return found.map(d -> react(step, recordsSeen, d, batch)).orElse(false);
    }

    /**
     * Keeps {@code batch} for the reference, which it joins one update later: the reference is the
     * newest {@value #REFERENCE} training rows before the latest micro-batch. The update that just
     * trained on the latest batch lowered their energies more than any others', and with micro-batches
     * as large as the reference that alone made a stationary stream look changed (a false drift at
     * record 1,576,960 of {@code TrainerDriftTest}'s two million: one update lowered its own batch's
     * energies by 0.26 against a typical 0.05).
     */
    private void keep(INDArray batch) {
        if (latest != null) {
            INDArray all = reference == null ? latest : Nd4j.vstack(reference, latest);
            long rows = all.rows();
            reference = rows <= REFERENCE ? all
                    : all.get(NDArrayIndex.interval(rows - REFERENCE, rows), NDArrayIndex.all()).dup();
        }
        latest = batch.dup();
    }

    private boolean react(long step, long recordsSeen, Drift drift, INDArray batch) {
        DriftOptions o = options.orElseThrow();
        listener.drifted(step, recordsSeen, drift, detector.describe(), o.reaction());
        detector = o.detector();
        warmUpLeft = WARM_UP_RECORDS;
        switch (o.reaction()) {
            case REINIT_CHAINS -> learner.reinitialiseChains(batch);
            case RAISE_LR -> {
                if (raisedStepsLeft == 0) {
                    learner.scaleLearningRate(o.raiseLrFactor());
                }
                // A drift inside the window extends it; the rate is raised once.
                raisedStepsLeft = o.raiseLrSteps();
            }
            case SNAPSHOT_PRE_DRIFT -> snapshots.publish(step, recordsSeen - batch.rows());
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
        reference = null;
        latest = null;
        warmUpLeft = WARM_UP_RECORDS;
        detector = options.map(DriftOptions::detector).orElse(null);
    }

    /** This policy's state for the next checkpoint, under {@code trainer.} keys. */
    Map<String, INDArray> exportState() {
        return Map.of(KEY_RAISED_STEPS, Nd4j.scalar(DataType.LONG, raisedStepsLeft));
    }
}
