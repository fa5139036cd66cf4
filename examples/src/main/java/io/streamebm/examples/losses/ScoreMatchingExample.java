package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.ScoreMatchingLoss;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Standard Score Matching" snippet of the loss documentation, in Java:
 * <pre>{@code
 * sm_loss = ScoreMatchingLoss()
 * data_samples = torch.randn(100, 2)
 * loss = sm_loss(model, data_samples)
 * }</pre>
 */
public final class ScoreMatchingExample {

    private ScoreMatchingExample() {
    }

    /** Runs the snippet on the documentation's Gaussian model and returns the loss. */
    public static Tensor run() {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        // Create score matching loss
        ScoreMatchingLoss smLoss = new ScoreMatchingLoss();
        // During training:
        INDArray dataSamples = new RandomSource(2).gaussian(DataType.FLOAT, 100, 2);  // your real data
        return smLoss.apply(model, dataSamples);
    }

    /** Prints the loss. */
    public static void main(String[] args) {
        System.out.println("score matching loss: " + run().item());
    }
}
