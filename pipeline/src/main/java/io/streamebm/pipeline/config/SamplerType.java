package io.streamebm.pipeline.config;

/** The sampler drawing negative samples (setting {@code sampler.type}). Spelled in lower case in configuration; see {@link Choices}. */
public enum SamplerType {
    /** Unadjusted Langevin dynamics. */
    LANGEVIN,
    /** Metropolis-adjusted Langevin. */
    MALA,
    /** Hamiltonian Monte Carlo. */
    HMC
}
