package io.streamebm.pipeline.train;

import io.streamebm.telemetry.StepRecord;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer's divergence policy: whether an update stands, and what happens when it does not.
 *
 * <p>An update is refused when the learner rejects it (a non-finite loss, gradient or update:
 * {@link RejectedUpdateException}), or when afterwards the mean energy of the data or of the
 * negatives lies beyond ±{@code energyBound}. A refused update is undone by restoring the last
 * good state, kept every {@code goodStateEverySteps} applied updates (copying the whole state after
 * every update would cost more than the guard is worth); then the configured reaction follows, and
 * its result is the new last good state. A lowered learning rate returns after a quiet spell
 * ({@link LearningRateRecovery}), whose state goes into checkpoints ({@link #exportState()}).
 *
 * <p>The trainer asks in two steps, {@link #attempt} then {@link #settle}, so that it can count the
 * step in between: the records of a rolled-back update still count as seen, their positions are
 * passed. Not thread-safe: the trainer thread owns it.
 */
final class DivergenceGuard {

    /**
     * One update as the learner made it, before the guard settles it.
     *
     * @param record  what the update measured (every number NaN if the learner rejected it)
     * @param refusal why the update must not stand, or null when it stands
     * @param batch   the batch it learned from (chain restarts at the data take rows of it)
     * @param made    whether the learner's update returned (false: it threw, and measured nothing)
     */
    record Attempt(StepRecord record, String refusal, INDArray batch, boolean made) {
        boolean refused() {
            return refusal != null;
        }
    }

    private final Learner learner;
    private final TrainerOptions options;
    private final TrainerListener listener;
    private final LearningRateRecovery learningRate;
    private Map<String, INDArray> lastGood;

    /**
     * @param learner  the learner the trainer drives; the guard rolls it back and reacts on it
     * @param options  the energy bound, the good-state interval and the reaction with its factors
     * @param listener hears every rollback ({@link TrainerListener#diverged})
     */
    DivergenceGuard(Learner learner, TrainerOptions options, TrainerListener listener) {
        this.learner = Objects.requireNonNull(learner, "learner");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.learningRate = new LearningRateRecovery(options.learningRateRecoverySteps());
    }

    /**
     * The trainer (re)started: the learner holds its restored state, which is the first good one.
     *
     * @param trainerState the checkpoint's trainer arrays (empty on a fresh start: the configured
     *                     learning rate, not lowered)
     */
    void restored(Map<String, INDArray> trainerState) {
        learningRate.importState(trainerState);
        lastGood = learner.exportState();
    }

    /** Applies one update on {@code batch} and judges it; the learner may now hold a refused update. */
    Attempt attempt(INDArray batch) {
        try {
            StepRecord r = learner.update(batch);
            return new Attempt(r, energyOutOfBounds(r), batch, true);
        } catch (RejectedUpdateException e) {
            return new Attempt(StepRecord.refused((int) batch.rows()), e.getMessage(), batch, false);
        }
    }

    /** Why the mean energies of {@code r} are out of bounds, or null when they are within. */
    private String energyOutOfBounds(StepRecord r) {
        double bound = options.energyBound();
        double positive = r.diagnostics().energyPositive();
        double negative = r.diagnostics().energyNegative();
        // A NaN E+ is out of bounds; a NaN E- means "no negatives" and is not.
        if (!(Math.abs(positive) <= bound) || (Double.isFinite(negative) && Math.abs(negative) > bound)) {
            return String.format("mean energy beyond ±%g (E+ %g, E- %g)", bound, positive, negative);
        }
        return null;
    }

    /**
     * Settles the update made as step {@code step}: a refused one is rolled back, reacted to and
     * reported; an applied one may end a learning-rate recovery window and become the last good
     * state.
     */
    StepRecord.Outcome settle(long step, Attempt attempt) {
        if (attempt.refused()) {
            learner.importState(lastGood);
            String reaction = react(attempt.batch());
            listener.diverged(step, attempt.refusal(), reaction);
            return StepRecord.Outcome.ROLLED_BACK;
        }
        double recover = learningRate.applied();
        if (recover != 1) {
            learner.scaleLearningRate(recover);
            // The restored rate is the new baseline: a later rollback must not bring back the low one.
            lastGood = learner.exportState();
        } else if (step % options.goodStateEverySteps() == 0) {
            lastGood = learner.exportState();
        }
        return StepRecord.Outcome.APPLIED;
    }

    private String react(INDArray batch) {
        TrainerOptions.Reaction r = options.reaction();
        if (r == TrainerOptions.Reaction.LOWER_LR || r == TrainerOptions.Reaction.BOTH) {
            learner.scaleLearningRate(learningRate.rolledBack(options.learningRateFactor()));
        }
        if (r == TrainerOptions.Reaction.REINIT_CHAINS || r == TrainerOptions.Reaction.BOTH) {
            learner.reinitialiseChains(batch);
        }
        // The reaction changed the state; it is the new baseline to roll back to.
        lastGood = learner.exportState();
        return r.label();
    }

    /**
     * Another policy changed the learner on purpose (a drift reaction): its state is the new one to
     * roll back to, so that a later rollback does not undo the change halfway.
     */
    void rebaseline() {
        lastGood = learner.exportState();
    }

    /** The guard's own state for the next checkpoint, under {@code trainer.} keys. */
    Map<String, INDArray> exportState() {
        return learningRate.exportState();
    }
}
