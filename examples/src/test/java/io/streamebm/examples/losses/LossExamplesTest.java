package io.streamebm.examples.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Every snippet of torchebm-loss-functions.md runs, in Java, and gives a sensible value. */
class LossExamplesTest {

    static void assertScalarLoss(Tensor loss) {
        assertEquals(0, loss.rank(), "a scalar tensor");
        assertTrue(Double.isFinite(loss.item()));
        assertTrue(loss.requiresGrad(), "the loss can be back-propagated");
        loss.backward();
    }

    @Test
    void cdSnippet() {
        assertScalarLoss(ContrastiveDivergenceExample.run());
    }

    @Test
    void smDsmMleNceSnippets() {
        assertScalarLoss(ScoreMatchingExample.run());
        assertScalarLoss(DenoisingScoreMatchingExample.run());
        Tensor nll = MaximumLikelihoodExample.run();
        assertScalarLoss(nll);
        // The model is N(0, I) and the data are standard normal: NLL ≈ log 2π + 1 per point.
        assertEquals(Math.log(2 * Math.PI) + 1, nll.item(), 0.3);
        assertScalarLoss(NoiseContrastiveEstimationExample.run());
    }

    @Test
    void pcdSnippetTrains() {
        GaussianEnergy model = PersistentContrastiveDivergenceExample.run(150);
        double[] mean = model.mean().castTo(DataType.DOUBLE).toDoubleVector();
        assertEquals(1.0, mean[0], 0.3);
        assertEquals(-1.0, mean[1], 0.3);
    }

    @Test
    void trainingLoopWithTheNeuralNetworkEnergyRuns() {
        List<Double> losses = TrainingLoopExample.run(100, false);
        assertEquals(100, losses.size());
        assertTrue(losses.stream().allMatch(Double::isFinite));
        // CD gives data lower energy than its negatives over training: the gap mean E⁺ − mean E⁻
        // (the loss up to the tiny regulariser) is negative on average over the last epochs.
        double tail = losses.subList(50, 100).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(tail < 0, "mean loss over the last 50 epochs " + tail);
    }
}
