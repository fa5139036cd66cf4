package io.streamebm.pipeline.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The rule for the learning rate after a rollback: lowered for a while, kept low only while
 * divergence persists.
 *
 * <p>A rollback multiplies the rate by the configured factor. After {@code recoverySteps} applied
 * updates without another rollback, the configured rate returns in one step. Rollbacks that keep
 * coming inside that window compound the factor, so a run that really is unstable stays slow. Why
 * not keep the lowered rate for ever, as before: one bad batch (a poisoned record, a burst of
 * outliers) then slowed training for the rest of the run, and checkpoints kept the slower rate
 * across restarts.
 *
 * <p>Its state goes into checkpoints ({@link #exportState()}), so a restart in the middle of a
 * recovery window still restores the rate. Not thread-safe: the trainer thread owns it.
 */
final class LearningRateRecovery {

    /** Checkpoint key of the current scale of the configured rate (1 when not lowered). */
    static final String KEY_SCALE = "trainer.lr-scale";
    /** Checkpoint key of the updates applied since the last rollback. */
    static final String KEY_GOOD_STEPS = "trainer.lr-good-steps";

    private final int recoverySteps;
    private double scale = 1;
    private long goodSteps;

    /** @param recoverySteps applied updates without a rollback before the rate returns, at least 1 */
    LearningRateRecovery(int recoverySteps) {
        if (recoverySteps < 1) {
            throw new IllegalArgumentException("recoverySteps must be >= 1, got " + recoverySteps);
        }
        this.recoverySteps = recoverySteps;
    }

    /**
     * A rollback lowers the rate.
     *
     * @return the factor to multiply the learning rate by now
     */
    double rolledBack(double factor) {
        scale *= factor;
        goodSteps = 0;
        return factor;
    }

    /**
     * An update was applied.
     *
     * @return the factor to multiply the learning rate by now: 1, or 1/scale when the window ends
     */
    double applied() {
        goodSteps++;
        if (scale < 1 && goodSteps >= recoverySteps) {
            double restore = 1 / scale;
            scale = 1;
            return restore;
        }
        return 1;
    }

    /** The current scale of the configured rate. */
    double scale() {
        return scale;
    }

    /** The state to checkpoint. */
    Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(KEY_SCALE, Nd4j.scalar(DataType.DOUBLE, scale));
        out.put(KEY_GOOD_STEPS, Nd4j.scalar(DataType.LONG, goodSteps));
        return out;
    }

    /** Restores checkpointed state; a checkpoint without it (older versions) means "not lowered". */
    void importState(Map<String, INDArray> state) {
        INDArray s = state.get(KEY_SCALE);
        INDArray g = state.get(KEY_GOOD_STEPS);
        double restoredScale = s == null ? 1 : s.getDouble(0);
        long restoredGood = g == null ? 0 : g.getLong(0);
        if (!(restoredScale > 0 && restoredScale <= 1) || restoredGood < 0) {
            throw new IllegalArgumentException("checkpoint holds an invalid learning-rate recovery state: scale "
                    + restoredScale + ", good steps " + restoredGood);
        }
        scale = restoredScale;
        goodSteps = restoredGood;
    }
}
