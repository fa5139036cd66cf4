package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.optim.Adam;
import io.streamebm.samplers.LangevinDynamics;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Persistent Contrastive Divergence (PCD)" snippet of the loss documentation, in Java, with
 * the elided "Optimizer step..." written out:
 * <pre>{@code
 * pcd_loss = PersistentContrastiveDivergenceLoss(sampler, n_persistent_chains=1000, k=10)
 * for epoch in range(n_epochs):
 *     data_samples = get_batch()
 *     loss = pcd_loss(model, data_samples)
 *     # Optimizer step...
 * }</pre>
 * {@code get_batch()} draws 100 points of N((1, −1), I), so the fitted mean moves towards (1, −1).
 */
public final class PersistentContrastiveDivergenceExample {

    private PersistentContrastiveDivergenceExample() {
    }

    /** Runs {@code nEpochs} PCD updates and returns the fitted model. */
    public static GaussianEnergy run(int nEpochs) {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        LangevinDynamics sampler = new LangevinDynamics(model, 0.01);
        // Create PCD loss
        PersistentContrastiveDivergenceLoss pcdLoss = new PersistentContrastiveDivergenceLoss(sampler, 1000, 10);
        Adam optimizer = new Adam(model.parameters(), 0.05);
        RandomSource data = new RandomSource(1);
        // During training:
        for (int epoch = 0; epoch < nEpochs; epoch++) {
            INDArray dataSamples = getBatch(data);  // your data batch
            Tensor loss = pcdLoss.apply(model, dataSamples);
            // Optimizer step...
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
        }
        return model;
    }

    private static INDArray getBatch(RandomSource random) {
        INDArray x = random.gaussian(DataType.FLOAT, 100, 2);
        x.getColumn(0).addi(1.0);
        x.getColumn(1).subi(1.0);
        return x;
    }

    /** Prints the fitted mean. */
    public static void main(String[] args) {
        System.out.println("PCD fitted mean: " + run(200).mean());
    }
}
