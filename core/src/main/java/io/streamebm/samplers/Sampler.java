package io.streamebm.samplers;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An MCMC sampler that draws from p(x) ∝ exp(−E(x)) for its model.
 *
 * <p>Contract: chains are the rows of one {@code [chains, d]} matrix. {@link #sample(INDArray, int)}
 * never modifies {@code x0}; {@link #advance(INDArray, int)} moves the chains in place, which is
 * what persistent losses use. All randomness comes from {@link #random()}, so the same seed gives
 * the same samples. Samplers are not thread-safe.
 */
public interface Sampler {

    /** The energy this sampler targets. */
    EnergyFunction model();

    /** The random source every step draws from. */
    RandomSource random();

    /** Runs {@code nSteps} steps from a copy of {@code x0} and returns the final chains. */
    INDArray sample(INDArray x0, int nSteps);

    /** Runs {@code nSteps} steps from {@code nChains} standard-normal starts in {@code dim} dimensions. */
    INDArray sample(int nChains, int dim, int nSteps);

    /** Runs {@code nSteps} steps, moving {@code chains} in place. */
    void advance(INDArray chains, int nSteps);

    /**
     * Metropolis acceptance rate over the last call, in [0, 1]; NaN for samplers without a
     * Metropolis step.
     */
    double lastAcceptanceRate();
}
