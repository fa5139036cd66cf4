package io.streamebm.pipeline.config;

/** The optimizer (setting {@code optimizer.type}). Spelled in lower case in configuration; see {@link Choices}. */
public enum OptimizerType {
    /** Adam. */
    ADAM,
    /** Adam with decoupled weight decay. */
    ADAMW,
    /** Stochastic gradient descent with optional momentum. */
    SGD
}
