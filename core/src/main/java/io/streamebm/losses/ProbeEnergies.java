package io.streamebm.losses;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rows a loss measures under the model in its own energy pass, alongside its batch and without
 * training on them: their energies under the model as {@link Loss#apply} found it, at the marginal
 * cost of a few more rows in a pass the loss makes anyway. A trainer that follows how the model's
 * energies move from one update to the next (drift detection measures a fixed probe of earlier
 * records before every update) reads them here instead of paying a forward pass of its own, whose
 * fixed cost per operation is most of the price at a few dozen rows.
 *
 * <p>The probe rows get weight zero in the loss: the loss's value and gradient are those without
 * them, up to float rounding (the pass sums over more rows). Offered through
 * {@link Loss#probeEnergies()} by the losses whose energy pass can carry extra rows (cd and pcd);
 * the fused MLP kernel runs its backward pass without them, so they cost a forward pass only.
 * Not thread-safe: call it on the thread that applies the loss.
 */
public interface ProbeEnergies {

    /**
     * Sets the rows every later {@code apply} measures, {@code [p, d]} with the data's d (kept, not
     * copied: do not change them afterwards), or none when {@code rows} is null.
     */
    void probe(INDArray rows);

    /**
     * The energies of the probe rows under the model as the last {@code apply} that returned found
     * it, in row order (a copy); empty when that apply had no probe, or before the first. After an
     * {@code apply} that threw they are the previous one's: read them only after one that returned.
     */
    double[] lastProbe();
}
