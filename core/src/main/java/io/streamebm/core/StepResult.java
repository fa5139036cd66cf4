package io.streamebm.core;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one online training update did: the record a trainer emits after every micro-batch, and
 * the only thing that monitoring observes about training.
 *
 * <p>Energies follow the convention p(x) ∝ exp(−E(x)): {@code energyPositive} is the mean energy
 * of the data batch, {@code energyNegative} the mean energy of the model samples (NaN for losses
 * that draw none), and {@code energyGap} is {@code energyPositive − energyNegative}. A healthy
 * contrastive run keeps the gap oscillating around zero.
 *
 * <p>{@code sourcePositions} says which input the update covered, as "source → next position to
 * read" (for Kafka, {@code "topic-partition" → offset + 1}). It is kept as plain strings so that
 * {@code core} stays free of any transport.
 *
 * @param step              1-based count of updates applied by this trainer, after this one
 * @param batchSize         number of data records in the micro-batch
 * @param loss              the scalar loss value
 * @param energyPositive    mean energy on the data
 * @param energyNegative    mean energy on the model samples, NaN when the loss draws none
 * @param energyGap         energyPositive − energyNegative, NaN when the loss draws no samples
 * @param gradNorm          global L2 norm of the parameter gradient, before clipping
 * @param paramNorm         global L2 norm of the parameters after the update
 * @param acceptanceRate    Metropolis acceptance rate of the sampler in [0, 1], NaN without one
 * @param chainEnergyMean   mean energy of the persistent chains, NaN without persistent chains
 * @param stepDuration      wall time of the whole update (sampling, loss, backward, optimizer)
 * @param samplingDuration  part of {@code stepDuration} spent drawing negatives
 * @param outcome           whether the update was applied or rolled back
 * @param sourcePositions   per source, the next position to read once this update is durable
 */
public record StepResult(
        long step,
        int batchSize,
        double loss,
        double energyPositive,
        double energyNegative,
        double energyGap,
        double gradNorm,
        double paramNorm,
        double acceptanceRate,
        double chainEnergyMean,
        Duration stepDuration,
        Duration samplingDuration,
        Outcome outcome,
        Map<String, Long> sourcePositions) {

    /** Whether an update changed the model. */
    public enum Outcome {
        /** The update was applied to the model. */
        APPLIED,
        /** The update was refused (non-finite or out of bounds) and the model rolled back. */
        ROLLED_BACK
    }

    /** Validates the invariants and freezes the position map. */
    public StepResult {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("batchSize must be >= 0, got " + batchSize);
        }
        Objects.requireNonNull(stepDuration, "stepDuration");
        Objects.requireNonNull(samplingDuration, "samplingDuration");
        Objects.requireNonNull(outcome, "outcome");
        sourcePositions = Map.copyOf(Objects.requireNonNull(sourcePositions, "sourcePositions"));
    }
}
