package io.streamebm.telemetry;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one training update did: the one record of a step, from the optimizer step that measures
 * it to the metrics that publish it.
 *
 * <p>Who fills what: core's {@code TrainingStep} builds it once ({@link #measured}), with the
 * loss's {@link LossDiagnostics} and the step-level numbers; an online trainer completes it with
 * copies ({@link #withStep}, {@link #withOutcome}, {@link #withSourcePositions},
 * {@link #withStepDuration}); monitoring reads it. It lives in this dependency-free module so that
 * monitoring can read it without the EBM library and ND4J.
 *
 * <p>{@code sourcePositions} says which input the update covered, as "source → next position to
 * read" (for Kafka, {@code "topic-partition" → offset + 1}), as plain strings so that no transport
 * leaks in here.
 *
 * @param step            1-based count of updates made by the trainer, after this one (0 until a
 *                        trainer numbers it)
 * @param batchSize       number of data records in the (micro-)batch
 * @param loss            the scalar loss value, NaN if the update measured none
 * @param gradNorm        global L2 norm of the parameter gradient, before clipping
 * @param paramNorm       global L2 norm of the parameters after the update
 * @param diagnostics     what the loss measured about its sampling (energies, acceptance, chains)
 * @param stepDuration    wall time of the whole update (sampling, loss, backward, optimizer)
 * @param outcome         whether the update was applied or rolled back
 * @param sourcePositions per source, the next position to read once this update is durable
 */
public record StepRecord(long step, int batchSize, double loss, double gradNorm, double paramNorm,
        LossDiagnostics diagnostics, Duration stepDuration, Outcome outcome, Map<String, Long> sourcePositions) {

    /** Whether an update changed the model. */
    public enum Outcome {
        /** The update was applied to the model. */
        APPLIED,
        /** The update was refused (non-finite or out of bounds) and the model rolled back. */
        ROLLED_BACK
    }

    /** Validates the invariants and freezes the position map. */
    public StepRecord {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("batchSize must be >= 0, got " + batchSize);
        }
        Objects.requireNonNull(diagnostics, "diagnostics");
        Objects.requireNonNull(stepDuration, "stepDuration");
        Objects.requireNonNull(outcome, "outcome");
        sourcePositions = Map.copyOf(Objects.requireNonNull(sourcePositions, "sourcePositions"));
    }

    /**
     * An applied update as the optimizer step measured it, not yet numbered by a trainer: step 0,
     * no source positions.
     */
    public static StepRecord measured(int batchSize, double loss, double gradNorm, double paramNorm,
            LossDiagnostics diagnostics, Duration stepDuration) {
        return new StepRecord(0, batchSize, loss, gradNorm, paramNorm, diagnostics, stepDuration, Outcome.APPLIED,
                Map.of());
    }

    /**
     * An update refused before it measured anything (a non-finite loss or gradient): every number
     * NaN, rolled back.
     */
    public static StepRecord refused(int batchSize) {
        return new StepRecord(0, batchSize, Double.NaN, Double.NaN, Double.NaN, LossDiagnostics.NONE, Duration.ZERO,
                Outcome.ROLLED_BACK, Map.of());
    }

    /**
     * The part of {@link #stepDuration} spent drawing negatives (never more than the whole, which a
     * trainer may have measured on another clock).
     */
    public Duration samplingDuration() {
        return Duration.ofNanos(Math.min(diagnostics.samplingNanos(), stepDuration.toNanos()));
    }

    /** A copy numbered {@code step}. */
    public StepRecord withStep(long step) {
        return new StepRecord(step, batchSize, loss, gradNorm, paramNorm, diagnostics, stepDuration, outcome,
                sourcePositions);
    }

    /** A copy with {@code outcome}. */
    public StepRecord withOutcome(Outcome outcome) {
        return new StepRecord(step, batchSize, loss, gradNorm, paramNorm, diagnostics, stepDuration, outcome,
                sourcePositions);
    }

    /** A copy covering the input up to {@code sourcePositions}. */
    public StepRecord withSourcePositions(Map<String, Long> sourcePositions) {
        return new StepRecord(step, batchSize, loss, gradNorm, paramNorm, diagnostics, stepDuration, outcome,
                sourcePositions);
    }

    /** A copy that took {@code stepDuration}. */
    public StepRecord withStepDuration(Duration stepDuration) {
        return new StepRecord(step, batchSize, loss, gradNorm, paramNorm, diagnostics, stepDuration, outcome,
                sourcePositions);
    }
}
