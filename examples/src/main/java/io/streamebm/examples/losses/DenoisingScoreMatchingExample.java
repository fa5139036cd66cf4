package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Denoising Score Matching" snippet of the loss documentation, in Java:
 * <pre>{@code
 * dsm_loss = DenoisingScoreMatchingLoss(sigma=0.1)
 * data_samples = torch.randn(100, 2)
 * loss = dsm_loss(model, data_samples)
 * }</pre>
 */
public final class DenoisingScoreMatchingExample {

    private DenoisingScoreMatchingExample() {
    }

    /** Runs the snippet on the documentation's Gaussian model and returns the loss. */
    public static Tensor run() {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        // Create denoising score matching loss with noise scale sigma
        DenoisingScoreMatchingLoss dsmLoss = new DenoisingScoreMatchingLoss(0.1);
        // During training:
        INDArray dataSamples = new RandomSource(3).gaussian(DataType.FLOAT, 100, 2);  // your real data
        return dsmLoss.apply(model, dataSamples);
    }

    /** Prints the loss. */
    public static void main(String[] args) {
        System.out.println("denoising score matching loss: " + run().item());
    }
}
