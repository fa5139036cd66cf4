package io.streamebm.losses;

/**
 * The energies a loss measured of its data rows, each under the model as {@link Loss#apply} found
 * it, before the update that follows. A trainer that wants the pre-update energies of its batches
 * (to calibrate scores, to watch for drift) reads them here instead of paying a forward pass of its
 * own: the contrastive losses, NCE, maximum likelihood and exact and sliced score matching measure
 * them anyway.
 *
 * <p>Offered through {@link Loss#dataEnergies()} only by a loss whose measured rows are the data
 * as given: not denoising score matching, which measures perturbed rows, nor contrastive
 * divergence with data noise.
 */
@FunctionalInterface
public interface DataEnergies {

    /**
     * The energies of the data rows of the last {@code apply} that returned, in row order (a copy);
     * empty before the first. After an {@code apply} that threw they are the previous batch's:
     * read them only after one that returned.
     */
    double[] lastBatch();
}
