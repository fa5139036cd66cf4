package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.distributions.Normal;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Noise Contrastive Estimation (NCE)" snippet of the loss documentation, in Java:
 * <pre>{@code
 * noise_dist = D.Normal(0, 1)
 * nce_loss = NoiseContrastiveEstimationLoss(noise_distribution=noise_dist, noise_samples_per_data=10)
 * data_samples = torch.randn(100, 2)
 * loss = nce_loss(model, data_samples)
 * }</pre>
 * {@code Normal(0, 1)} applies per coordinate, like the broadcast torch distribution. Remember to
 * give {@link NoiseContrastiveEstimationLoss#parameters()} (the log-normaliser) to the optimizer.
 */
public final class NoiseContrastiveEstimationExample {

    private NoiseContrastiveEstimationExample() {
    }

    /** Runs the snippet and returns the loss. */
    public static Tensor run() {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        // Define a noise distribution
        Normal noiseDist = new Normal(0, 1);
        // Create NCE loss
        NoiseContrastiveEstimationLoss nceLoss = new NoiseContrastiveEstimationLoss(noiseDist, 10);
        // During training:
        INDArray dataSamples = new RandomSource(5).gaussian(DataType.FLOAT, 100, 2);  // your real data
        return nceLoss.apply(model, dataSamples);
    }

    /** Prints the loss. */
    public static void main(String[] args) {
        System.out.println("NCE loss: " + run().item());
    }
}
