package io.streamebm.pipeline.config;

/**
 * The known true density of a stream, for the grid total-variation figure of the quality probe
 * (setting {@code quality.reference}); spelled as the datasets are ({@code eight-gaussians}, ...).
 * See {@link Choices} and {@code io.streamebm.pipeline.quality.KnownDensity}.
 */
public enum QualityReference {
    /** The stream's density is not known: the probe reports MMD only. */
    NONE,
    /** Eight Gaussians on a circle of radius 2, std 0.1. */
    EIGHT_GAUSSIANS,
    /** The 4x4 checkerboard on [-4, 4]^2. */
    CHECKERBOARD,
    /** Two interleaved moons, noise 0.05. */
    TWO_MOONS,
    /** A pinwheel of five arms. */
    PINWHEEL
}
