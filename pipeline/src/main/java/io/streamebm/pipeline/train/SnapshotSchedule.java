package io.streamebm.pipeline.train;

import io.streamebm.telemetry.StepRecord;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * When the trainer publishes the model: after every {@code everySteps}-th step whose update was
 * applied (a rolled-back step has nothing new to show). It hears every completed step on the
 * trainer thread and hands the model's parameters, with the calibration of the moment
 * ({@link CalibrationPolicy}), to {@link TrainerListener#snapshotDue}.
 *
 * <p>A snapshot's version is its step. Why: a restart replays the same input from the same
 * checkpoint and so reaches the same steps, which lets the outputs recognise the versions a
 * committed transaction already holds and not write them twice.
 *
 * <p>Not thread-safe: the trainer thread owns it.
 */
final class SnapshotSchedule {

    private final int everySteps;
    private final Learner learner;
    private final CalibrationPolicy calibration;
    private final TrainerListener listener;
    private long lastPublished = -1;

    /**
     * @param everySteps steps between snapshots, at least 1
     * @param learner     whose model is published
     * @param calibration whose percentiles each snapshot carries
     * @param listener    receives each snapshot
     */
    SnapshotSchedule(int everySteps, Learner learner, CalibrationPolicy calibration, TrainerListener listener) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("everySteps must be >= 1, got " + everySteps);
        }
        this.everySteps = everySteps;
        this.learner = Objects.requireNonNull(learner, "learner");
        this.calibration = Objects.requireNonNull(calibration, "calibration");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * A step is settled (numbered, its outcome and positions known).
     *
     * @param record      the step, numbered and settled
     * @param recordsSeen the records the model has counted, this step's included
     */
    void onStep(StepRecord record, long recordsSeen) {
        if (record.outcome() == StepRecord.Outcome.APPLIED && record.step() % everySteps == 0) {
            publish(record.step(), recordsSeen, learner.modelState());
        }
    }

    /**
     * Publishes a model outside the schedule (the pre-drift model of {@link DriftWatch}), unless
     * this version is out already: the model after {@code version} steps is the same whoever asks
     * for it.
     *
     * @param version     the steps the model had made
     * @param recordsSeen the records those steps counted
     * @param modelState  the model's parameters after those steps
     */
    void publish(long version, long recordsSeen, Map<String, INDArray> modelState) {
        if (version == lastPublished) {
            return;
        }
        lastPublished = version;
        listener.snapshotDue(version, modelState, recordsSeen, calibration.percentiles());
    }
}
