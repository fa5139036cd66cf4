package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.runtime.RandomSource;
import io.streamebm.samplers.LangevinDynamics;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Loss#dataEnergies()}: the energies a loss reports of its data rows are the model's energies
 * of those rows before the update, row by row, on the fused MLP path, on the generic (autograd)
 * path and for the Gaussian; and a loss that measures perturbed rows offers none.
 */
class DataEnergiesTest {

    private static MlpEnergy mlp(boolean fused) {
        return MlpEnergy.builder().inputDim(2).hidden(32, 32).seed(7).dataType(DataType.FLOAT).fusedLosses(fused)
                .build();
    }

    private static Loss mlpLoss(String name, MlpEnergy model) {
        return switch (name) {
            case "pcd" -> new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(2), 64, 5);
            case "cd" -> new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 5);
            default -> GaussianRecoveryTest.lossFor(name, GaussianRecoveryTest.standardStart());
        };
    }

    /** Three updates; before each, the model's energies of the batch; after it, the loss's. */
    private static void assertReportsPreUpdateEnergies(String what, EnergyFunction model, Loss loss) {
        DataEnergies energies = loss.dataEnergies().orElseThrow(() -> new AssertionError(what + " offers none"));
        assertEquals(0, energies.lastBatch().length, what + " before the first batch");
        List<Tensor> params = TrainingStep.trainableParameters(model, loss);
        TrainingStep step = new TrainingStep(model, loss, new Adam(params, 0.05));
        INDArray data = GaussianRecoveryTest.gaussianData(11, 300);
        RandomSource pick = new RandomSource(3);
        for (int s = 0; s < 3; s++) {
            INDArray batch = GaussianRecoveryTest.rows(data, pick, 100);
            double[] before = model.energyValues(batch).castTo(DataType.DOUBLE).toDoubleVector();
            step.run(batch);
            double[] after = model.energyValues(batch).castTo(DataType.DOUBLE).toDoubleVector();
            double[] reported = energies.lastBatch();
            assertEquals(batch.rows(), reported.length, what + " rows");
            double scale = 1e-4 * (1 + maxAbs(before));
            assertArrayEquals(before, reported, scale, what + " step " + s);
            // The update moved the energies, so the comparison could tell before from after.
            assertTrue(maxDiff(before, after) > 100 * scale, what + ": the update moved nothing");
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @CsvSource({"pcd, true", "pcd, false", "cd, true", "cd, false", "nce, true", "nce, false", "sm, true",
            "sm, false", "ssm, true", "ssm, false"})
    void mlpLossesReportTheBatchEnergiesBeforeTheUpdate(String name, boolean fused) {
        MlpEnergy model = mlp(fused);
        assertReportsPreUpdateEnergies(name + (fused ? " fused" : " generic"), model, mlpLoss(name, model));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mle", "pcd", "cd", "sm", "ssm", "nce"})
    void gaussianLossesReportTheBatchEnergiesBeforeTheUpdate(String name) {
        GaussianEnergy model = GaussianRecoveryTest.standardStart();
        assertReportsPreUpdateEnergies(name + " gaussian", model, GaussianRecoveryTest.lossFor(name, model));
    }

    @Test
    void lossesThatMeasurePerturbedRowsOfferNone() {
        MlpEnergy model = mlp(true);
        assertTrue(new DenoisingScoreMatchingLoss(0.1, new RandomSource(4)).dataEnergies().isEmpty(), "dsm");
        assertTrue(new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 5)
                .withDataNoise(0.05).dataEnergies().isEmpty(), "cd with data noise");
    }
}
