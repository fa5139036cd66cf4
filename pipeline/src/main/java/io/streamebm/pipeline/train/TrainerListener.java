package io.streamebm.pipeline.train;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.drift.Drift;
import io.streamebm.pipeline.drift.DriftReaction;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hears what an {@link OnlineTrainer} does besides emitting step records: checkpoints, rollbacks,
 * snapshots, drifts and restores. Called on the trainer thread; every method does nothing by default.
 */
public interface TrainerListener {

    /** A checkpoint became durable. */
    default void checkpointed(long step, Duration took) {
    }

    /**
     * A checkpoint could not be written. Nothing after the last durable checkpoint is
     * acknowledged (so nothing is committed) until an attempt succeeds, {@code retryIn} from now.
     */
    default void checkpointFailed(long step, Exception error, int failuresInARow, Duration retryIn) {
    }

    /** An update was rolled back; {@code reaction} names what followed ({@link DivergenceGuard}). */
    default void diverged(long step, String reason, String reaction) {
    }

    /**
     * A model snapshot is due ({@link SnapshotSchedule}).
     *
     * @param version     the step the model has reached, which versions the snapshot
     * @param modelState  the model's parameters
     * @param recordsSeen the records the model has counted
     * @param calibration the rank function of the recent training energies ({@link CalibrationPolicy}),
     *                    empty before the first micro-batch
     */
    default void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen,
            Optional<EnergyPercentiles> calibration) {
    }

    /**
     * The input stream drifted ({@link DriftWatch}); the reaction follows this call.
     *
     * @param step        the updates made when it was found
     * @param recordsSeen the records counted then, the batch that completed the drift included
     * @param drift       the change in the records' relative energies
     * @param detector    the detector and its parameters
     * @param reaction    what the trainer does about it
     */
    default void drifted(long step, long recordsSeen, Drift drift, String detector, DriftReaction reaction) {
    }

    /** The trainer started from a checkpoint, or afresh ({@code step} 0). */
    default void restored(long step, long recordsSeen, Map<String, Long> positions) {
    }
}
