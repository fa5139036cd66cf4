package io.streamebm.examples.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.BaseEnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.optim.Adam;
import io.streamebm.samplers.LangevinDynamics;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The "Training with BaseLoss Functions" loop of the loss documentation, in Java: a user-defined
 * neural-network energy (10 → 64 → 64 → 1 with ReLU, written with tensor operations, its input
 * gradient by autograd), CD-10 with Langevin negatives, Adam at 1e-3, 100 epochs, printing the loss.
 * {@code get_data_batch()} draws 128 points of N(1, I) in 10 dimensions.
 */
public final class TrainingLoopExample {

    private TrainingLoopExample() {
    }

    /** The documentation's {@code NeuralNetEBM}: Linear–ReLU–Linear–ReLU–Linear, squeezed to [n]. */
    public static final class NeuralNetEBM extends BaseEnergyFunction {

        private final Tensor w1;
        private final Tensor b1;
        private final Tensor w2;
        private final Tensor b2;
        private final Tensor w3;
        private final Tensor b3;

        /**
         * @param inputDim  input dimension
         * @param hiddenDim hidden width
         * @param seed      seed of the initial weights (uniform ±1/√fan-in, as torch.nn.Linear)
         */
        public NeuralNetEBM(int inputDim, int hiddenDim, long seed) {
            super(inputDim);
            RandomSource r = new RandomSource(seed);
            w1 = parameter(linear(r, inputDim, hiddenDim));
            b1 = parameter(bias(r, inputDim, hiddenDim));
            w2 = parameter(linear(r, hiddenDim, hiddenDim));
            b2 = parameter(bias(r, hiddenDim, hiddenDim));
            w3 = parameter(linear(r, hiddenDim, 1));
            b3 = parameter(bias(r, hiddenDim, 1));
        }

        private static INDArray linear(RandomSource r, int in, int out) {
            double bound = 1 / Math.sqrt(in);
            return r.fillUniform(Nd4j.create(DataType.FLOAT, in, out), -bound, bound);
        }

        private static INDArray bias(RandomSource r, int in, int out) {
            double bound = 1 / Math.sqrt(in);
            return r.fillUniform(Nd4j.create(DataType.FLOAT, out), -bound, bound);
        }

        @Override
        public Tensor energy(Tensor x) {
            Tensor h = x.matmul(w1).add(b1).relu();
            h = h.matmul(w2).add(b2).relu();
            Tensor out = h.matmul(w3).add(b3);
            return out.reshape(out.size(0));  // squeeze(-1)
        }
    }

    /** Runs the loop for {@code epochs} epochs and returns the loss of every epoch. */
    public static List<Double> run(int epochs, boolean print) {
        // Create model, loss, and optimizer
        NeuralNetEBM model = new NeuralNetEBM(10, 64, 0);
        LangevinDynamics sampler = new LangevinDynamics(model, 0.01);
        ContrastiveDivergenceLoss lossFn = new ContrastiveDivergenceLoss(sampler, 10);
        Adam optimizer = new Adam(model.parameters(), 0.001);
        RandomSource data = new RandomSource(7);
        List<Double> losses = new ArrayList<>();
        // Training loop
        for (int epoch = 0; epoch < epochs; epoch++) {
            // Get a batch of real data
            INDArray realData = getDataBatch(data);
            // Compute loss
            Tensor loss = lossFn.apply(model, realData);
            // Optimize
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            losses.add(loss.item());
            if (print) {
                System.out.println("Epoch " + epoch + ", BaseLoss: " + loss.item());
            }
        }
        return losses;
    }

    private static INDArray getDataBatch(RandomSource random) {
        return random.gaussian(DataType.FLOAT, 128, 10).addi(1.0);
    }

    /** Runs the documentation's 100 epochs. */
    public static void main(String[] args) {
        run(100, true);
    }
}
