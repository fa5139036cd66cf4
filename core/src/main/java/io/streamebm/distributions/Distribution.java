package io.streamebm.distributions;

import io.streamebm.autograd.Tensor;
import io.streamebm.runtime.RandomSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A probability density over ℝᵈ that can be sampled and evaluated: the noise distribution of
 * noise-contrastive estimation, chain initialisers and test targets. Log densities are exact and
 * normalized.
 */
public interface Distribution {

    /** The dimension d, or −1 when the distribution applies per coordinate to any d. */
    int dimension();

    /** {@code n} independent draws {@code [n, dim]}; dim must equal {@link #dimension()} when fixed. */
    INDArray sample(RandomSource random, int n, int dim);

    /** {@code n} draws in the distribution's own dimension; needs a fixed dimension. */
    default INDArray sample(RandomSource random, int n) {
        if (dimension() < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName()
                    + " has no fixed dimension; call sample(random, n, dim)");
        }
        return sample(random, n, dimension());
    }

    /** log p(x) of each row: {@code [n, d] → [n]}, in the data type of x. */
    INDArray logProb(INDArray x);

    /** log p(x) of each row as a recorded tensor, differentiable with respect to x. */
    Tensor logProb(Tensor x);
}
