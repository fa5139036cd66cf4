package io.streamebm.optim;

import io.streamebm.core.StepResult;
import java.time.Duration;
import java.util.Map;

/**
 * The numbers one applied {@link TrainingStep} produced: what a trainer publishes as metrics.
 * NaN marks a quantity the loss does not have (no negatives, no sampler, no persistent chains).
 *
 * @param batchSize       rows in the data batch
 * @param loss            the scalar loss
 * @param energyPositive  mean energy of the data
 * @param energyNegative  mean energy of the negatives (model samples or noise), NaN if none
 * @param energyGap       energyPositive − energyNegative, NaN if no negatives
 * @param gradNorm        global L2 norm of the parameter gradients, before clipping
 * @param paramNorm       global L2 norm of the parameters after the update
 * @param acceptanceRate  the sampler's Metropolis acceptance rate, NaN without one
 * @param chainEnergyMean mean energy of the persistent chains, NaN without them
 * @param samplingNanos   time spent drawing negatives
 * @param stepNanos       time of the whole step: loss, backward, clipping, update
 */
public record StepReport(int batchSize, double loss, double energyPositive, double energyNegative,
        double energyGap, double gradNorm, double paramNorm, double acceptanceRate, double chainEnergyMean,
        long samplingNanos, long stepNanos) {

    /**
     * The core {@link StepResult} for this report, for trainers that emit one per update.
     *
     * @param step            the 1-based count of updates applied, after this one
     * @param sourcePositions per source, the next position to read once this update is durable
     */
    public StepResult toStepResult(long step, Map<String, Long> sourcePositions) {
        return new StepResult(step, batchSize, loss, energyPositive, energyNegative, energyGap, gradNorm, paramNorm,
                acceptanceRate, chainEnergyMean, Duration.ofNanos(stepNanos), Duration.ofNanos(samplingNanos),
                StepResult.Outcome.APPLIED, sourcePositions);
    }
}
