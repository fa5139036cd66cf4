package io.streamebm.pipeline.config;

/** The training loss (setting {@code loss.type}). Spelled in lower case in configuration; see {@link Choices}. */
public enum LossType {
    /** Contrastive divergence with k sampler steps from the data. */
    CD,
    /** Persistent contrastive divergence: chains carried over between updates. */
    PCD,
    /** Exact score matching. */
    SM,
    /** Sliced score matching. */
    SSM,
    /** Denoising score matching. */
    DSM,
    /** Maximum likelihood (models with a known normaliser). */
    MLE,
    /** Noise-contrastive estimation against a Gaussian. */
    NCE
}
