package io.streamebm.losses;

/**
 * What one loss evaluation measured, kept so that a trainer can publish it without recomputing.
 *
 * @param energyPositive  mean energy of the data batch
 * @param energyNegative  mean energy of the negatives (model samples or noise), NaN if none
 * @param acceptanceRate  the sampler's Metropolis acceptance rate, NaN without one
 * @param chainEnergyMean mean energy over all persistent chains, NaN without persistent chains
 * @param samplingNanos   time spent drawing negatives, 0 if none
 */
public record LossDiagnostics(double energyPositive, double energyNegative, double acceptanceRate,
        double chainEnergyMean, long samplingNanos) {

    /** Diagnostics before any evaluation. */
    public static final LossDiagnostics NONE = new LossDiagnostics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

    /** energyPositive − energyNegative; NaN when there are no negatives. */
    public double energyGap() {
        return energyPositive - energyNegative;
    }
}
