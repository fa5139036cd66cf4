package io.streamebm.pipeline.config;

/** The energy model (setting {@code model.type}); part of the model shape stored in checkpoints. Spelled in lower case in configuration; see {@link Choices}. */
public enum ModelType {
    /** A multi-layer perceptron energy. */
    MLP,
    /** A trainable Gaussian energy. */
    GAUSSIAN
}
