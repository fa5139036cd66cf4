package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.MaximumLikelihoodLoss;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Maximum Likelihood Estimation (MLE)" snippet of the loss documentation, in Java. Only
 * energies with a known normaliser qualify; the documentation's Gaussian does:
 * <pre>{@code
 * mle_loss = MaximumLikelihoodLoss()
 * data_samples = torch.randn(100, 2)
 * loss = mle_loss(model, data_samples)
 * }</pre>
 */
public final class MaximumLikelihoodExample {

    private MaximumLikelihoodExample() {
    }

    /** Runs the snippet and returns the loss: the mean negative log-likelihood of the data. */
    public static Tensor run() {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        // Only suitable for certain energy functions where Z is known
        MaximumLikelihoodLoss mleLoss = new MaximumLikelihoodLoss();
        // During training:
        INDArray dataSamples = new RandomSource(4).gaussian(DataType.FLOAT, 100, 2);  // your real data
        return mleLoss.apply(model, dataSamples);
    }

    /** Prints the loss. */
    public static void main(String[] args) {
        System.out.println("negative log-likelihood: " + run().item());
    }
}
