package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.samplers.LangevinDynamics;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Contrastive Divergence (CD-k)" snippet of the loss documentation, in Java:
 * <pre>{@code
 * model = GaussianEnergy(mean=torch.zeros(2), cov=torch.eye(2))
 * sampler = LangevinDynamics(energy_function=model, step_size=0.01)
 * cd_loss = ContrastiveDivergenceLoss(sampler, k=10)
 * data_samples = torch.randn(100, 2)
 * loss = cd_loss(model, data_samples)
 * }</pre>
 * The data are drawn from a seeded {@link RandomSource} so that the example is reproducible.
 */
public final class ContrastiveDivergenceExample {

    private ContrastiveDivergenceExample() {
    }

    /** Runs the snippet and returns the scalar loss. */
    public static Tensor run() {
        // Set up an energy model (could be a neural network)
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        // Define a sampler for negative samples
        LangevinDynamics sampler = new LangevinDynamics(model, 0.01);
        // Create CD loss
        ContrastiveDivergenceLoss cdLoss = new ContrastiveDivergenceLoss(sampler, 10);
        // During training:
        INDArray dataSamples = new RandomSource(0).gaussian(DataType.FLOAT, 100, 2);  // your real data
        return cdLoss.apply(model, dataSamples);
    }

    /** Prints the loss. */
    public static void main(String[] args) {
        System.out.println("CD-10 loss: " + run().item());
    }
}
