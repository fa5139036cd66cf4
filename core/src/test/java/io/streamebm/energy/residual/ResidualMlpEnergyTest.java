package io.streamebm.energy.residual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.FiniteDifferences;
import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.fused.RowTerms;
import io.streamebm.distributions.Normal;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.Loss;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import io.streamebm.optim.Adam;
import io.streamebm.optim.Optimizer;
import io.streamebm.samplers.LangevinDynamics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A fused energy that no loss knows ({@link ResidualMlpEnergy}) is trained through CD, NCE and DSM,
 * whose files say nothing of it: its kernels against finite differences, the losses' fused path
 * against their autograd path on the same energy without its kernels, and training itself.
 */
class ResidualMlpEnergyTest {

    private static final int D = 2;
    private static final int WIDTH = 6;

    static Loss loss(String name, EnergyFunction model, long seed) {
        switch (name) {
            case "cd":
                return new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(seed), 5).withAlpha(0.1);
            case "nce":
                return new NoiseContrastiveEstimationLoss(new Normal(0, 2, DataType.DOUBLE), 4, new RandomSource(seed),
                        DataType.DOUBLE);
            case "dsm":
                return new DenoisingScoreMatchingLoss(0.3, new RandomSource(seed));
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /**
     * The gradients autograd left on {@code params}, concatenated, and cleared. A parameter the loss
     * does not reach (the output bias in DSM) has none under autograd and a zero one from a kernel.
     */
    static double[] takeGradients(List<Tensor> params) {
        List<Double> out = new ArrayList<>();
        for (Tensor p : params) {
            double[] g = p.grad() == null ? new double[(int) p.value().length()]
                    : p.grad().value().dup('c').data().asDouble();
            for (double v : g) {
                out.add(v);
            }
            p.zeroGrad();
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Each kernel's parameter gradients against central finite differences of its own value, for a
     * batch run as one block (9 rows) and one split in two halves (300 rows).
     */
    @ParameterizedTest
    @CsvSource({"energy,9", "energy,300", "inputGradient,9", "inputGradient,300"})
    void kernelGradientsMatchFiniteDifferences(String kernel, int rows) {
        ResidualMlpEnergy model = new ResidualMlpEnergy(D, WIDTH, 3, true);
        INDArray x = new RandomSource(4).gaussian(DataType.DOUBLE, rows, D);
        double[] coefficients = new RandomSource(5).gaussian(DataType.DOUBLE, 1, rows * D).data().asDouble();
        // Per-row terms with curvature, so that the slopes depend on the quantities.
        RowTerms terms = (first, values, slopes) -> {
            double value = 0;
            for (int j = 0; j < values.length; j++) {
                double c = coefficients[(first * 7 + j) % coefficients.length];
                value += 0.5 * values[j] * values[j] + c * values[j];
                slopes[j] = values[j] + c;
            }
            return value;
        };
        Function<ResidualMlpEnergy, FusedResult> evaluate = kernel.equals("energy")
                ? m -> m.fusedEnergyTerms().orElseThrow().energyTerms(x, terms)
                : m -> m.fusedInputGradientTerms().orElseThrow().inputGradientTerms(x, terms);
        FusedResult r = evaluate.apply(model);
        List<INDArray> analytic = new ArrayList<>();
        for (String n : ResidualMlpEnergy.NAMES) {
            analytic.add(r.gradient(n));
        }
        FiniteDifferences.Worst worst = FiniteDifferences.worst(model.parameters(), analytic,
                List.of(ResidualMlpEnergy.NAMES), () -> evaluate.apply(model).value(), 1e-6);
        assertTrue(worst.error() < 1e-5,
                kernel + ": worst relative error " + worst.error() + " at " + worst.where());
    }

    /**
     * CD, NCE and DSM on the fused energy against the same losses on the same energy without its
     * kernels (the recorded graph): same value, same parameter gradients, and the kernels did run.
     */
    @ParameterizedTest
    @CsvSource({"cd,12", "cd,300", "nce,12", "nce,300", "dsm,12", "dsm,300"})
    void fusedPathEqualsTheAutogradPathThroughUnchangedLosses(String name, int rows) {
        ResidualMlpEnergy fused = new ResidualMlpEnergy(D, WIDTH, 7, true);
        ResidualMlpEnergy plain = new ResidualMlpEnergy(D, WIDTH, 7, false);
        INDArray data = new RandomSource(8).gaussian(DataType.DOUBLE, rows, D);
        Loss fusedLoss = loss(name, fused, 9);
        Loss plainLoss = loss(name, plain, 9);
        Tensor a = fusedLoss.apply(fused, data);
        Tensor b = plainLoss.apply(plain, data);
        a.backward();
        b.backward();
        assertEquals(1, fused.fusedCalls(), name + " took the fused kernel");
        assertEquals(0, plain.fusedCalls());
        assertEquals(b.item(), a.item(), 1e-10 * (1 + Math.abs(b.item())), name + " value");
        List<Tensor> fusedParams = new ArrayList<>(fused.parameters());
        fusedParams.addAll(fusedLoss.parameters());
        List<Tensor> plainParams = new ArrayList<>(plain.parameters());
        plainParams.addAll(plainLoss.parameters());
        double[] ga = takeGradients(fusedParams);
        double[] gb = takeGradients(plainParams);
        double scale = 0;
        for (double v : gb) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ga.length; i++) {
            assertEquals(gb[i], ga[i], 1e-10 * (1 + scale), name + " gradient " + i);
        }
    }

    /**
     * Training through each loss makes the energy low on the data (a Gaussian blob at (1, −1)) and
     * high on a ring around it, with every step on the fused kernels.
     */
    @Test
    void trainsThroughCdNceAndDsm() {
        Normal blob = new Normal(0, 0.4, DataType.DOUBLE);
        INDArray centre = org.nd4j.linalg.factory.Nd4j.createFromArray(1.0, -1.0).reshape(1, D);
        for (String name : new String[] {"cd", "nce", "dsm"}) {
            ResidualMlpEnergy model = new ResidualMlpEnergy(D, 16, 11, true);
            Loss loss = loss(name, model, 12);
            List<Tensor> params = new ArrayList<>(model.parameters());
            params.addAll(loss.parameters());
            Optimizer adam = new Adam(params, 1e-2);
            RandomSource random = new RandomSource(13);
            ToDoubleFunction<INDArray> meanEnergy = x -> model.energyValues(x).meanNumber().doubleValue();
            INDArray data = blob.sample(new RandomSource(14), 500, D).addiRowVector(centre);
            INDArray ring = ring(centre, 2.0, 500);
            double gapBefore = meanEnergy.applyAsDouble(ring) - meanEnergy.applyAsDouble(data);
            for (int step = 0; step < 300; step++) {
                INDArray batch = blob.sample(random, 64, D).addiRowVector(centre);
                adam.zeroGrad();
                loss.apply(model, batch).backward();
                adam.step();
            }
            double gapAfter = meanEnergy.applyAsDouble(ring) - meanEnergy.applyAsDouble(data);
            assertTrue(gapAfter > 1.0 && gapAfter > gapBefore + 1.0,
                    name + ": E(ring) − E(data) went from " + gapBefore + " to " + gapAfter);
            assertEquals(300, model.fusedCalls(), name + ": every step on the fused kernels");
        }
    }

    /** {@code n} points on a circle of radius {@code r} around {@code centre}. */
    private static INDArray ring(INDArray centre, double r, int n) {
        double[][] points = new double[n][D];
        for (int i = 0; i < n; i++) {
            double t = 2 * Math.PI * i / n;
            points[i][0] = centre.getDouble(0) + r * Math.cos(t);
            points[i][1] = centre.getDouble(1) + r * Math.sin(t);
        }
        return org.nd4j.linalg.factory.Nd4j.createFromArray(points);
    }
}
