package io.streamebm.telemetry;

/**
 * What one loss evaluation measured about its own sampling, kept so that a trainer can publish it
 * without recomputing. A loss records it; {@link StepRecord} carries it to monitoring.
 *
 * <p>Energies follow the convention p(x) ∝ exp(−E(x)). NaN marks a quantity the loss does not
 * have (no negatives, no sampler, no persistent chains).
 *
 * @param energyPositive  mean energy of the data batch
 * @param energyNegative  mean energy of the negatives (model samples or noise), NaN if none
 * @param acceptanceRate  the sampler's Metropolis acceptance rate in [0, 1], NaN without one
 * @param chainEnergyMean mean energy over all persistent chains, NaN without persistent chains
 * @param samplingNanos   time spent drawing negatives, 0 if none
 */
public record LossDiagnostics(double energyPositive, double energyNegative, double acceptanceRate,
        double chainEnergyMean, long samplingNanos) {

    /** Diagnostics before any evaluation, or of an update that measured nothing. */
    public static final LossDiagnostics NONE = new LossDiagnostics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

    /**
     * energyPositive − energyNegative; NaN when there are no negatives. A healthy contrastive run
     * keeps it oscillating around zero.
     */
    public double energyGap() {
        return energyPositive - energyNegative;
    }
}
