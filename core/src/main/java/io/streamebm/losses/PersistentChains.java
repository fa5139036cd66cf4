package io.streamebm.losses;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss that keeps persistent sampler chains from one update to the next (persistent contrastive
 * divergence): its chains can be read, as the model's own samples, and restarted as a whole.
 *
 * <p>Why a capability and not a type test: a trainer reacting to a divergence, or a probe
 * measuring sample quality, needs only this much of the loss, whatever loss it is.
 */
public interface PersistentChains {

    /** A copy of all chains {@code [chains, d]}, or null before the first update. */
    INDArray chains();

    /**
     * Restarts every chain where the loss restarts chains (its restart source), as a reaction to a
     * divergence. Restarts at the data take rows of {@code data}, a valid batch {@code [n, d]} of
     * the stream being learned. Before the first update there are no chains, and this does
     * nothing: the first update draws them anyway.
     */
    void restartChains(INDArray data);
}
