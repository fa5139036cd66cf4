package io.streamebm.samplers;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a diagnostic run of a sampler recorded: the chains and their summary statistics at every
 * {@code thin}-th step. Recording costs a copy and an energy evaluation per kept step, so plain
 * {@link Sampler#sample} stays the fast path and this is for inspection and tests.
 *
 * @param steps          1-based step numbers that were recorded (thin, 2·thin, …)
 * @param samples        copies of the chains {@code [nChains, d]} at those steps
 * @param mean           per recorded step, the mean over chains of each coordinate ({@code [d]})
 * @param variance       per recorded step, the (population) variance over chains of each coordinate
 * @param meanEnergy     per recorded step, the mean energy over chains
 * @param acceptanceRate per recorded step, the Metropolis acceptance rate over the steps since the
 *                       previous record; NaN for samplers without a Metropolis step
 * @param finalChains    the chains after the last step (a copy of the last state even when the
 *                       number of steps is not a multiple of thin)
 */
public record SamplingTrace(
        long[] steps,
        List<INDArray> samples,
        double[][] mean,
        double[][] variance,
        double[] meanEnergy,
        double[] acceptanceRate,
        INDArray finalChains) {

    /** Freezes the list. */
    public SamplingTrace {
        samples = List.copyOf(samples);
    }

    /** Number of recorded steps. */
    public int size() {
        return steps.length;
    }

    /** Overall acceptance rate, the mean of the per-record rates; NaN without a Metropolis step. */
    public double overallAcceptanceRate() {
        if (acceptanceRate.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double a : acceptanceRate) {
            s += a;
        }
        return s / acceptanceRate.length;
    }
}
