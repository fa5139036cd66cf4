package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.runtime.RandomSource;
import io.streamebm.samplers.LangevinDynamics;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Loss#probeEnergies()}: probe rows riding in a loss's energy pass come back with the model's
 * energies before the update, and the update is exactly the one without them (weight zero), on the
 * fused MLP path and on the generic one.
 */
class ProbeEnergiesTest {

    /** A model, its loss and a training step, all from fixed seeds: two of them make the same run. */
    private record Run(MlpEnergy model, Loss loss, TrainingStep step) {

        static Run of(String name, boolean fused) {
            MlpEnergy model = MlpEnergy.builder().inputDim(2).hidden(32, 32).seed(7).dataType(DataType.FLOAT)
                    .fusedLosses(fused).build();
            Loss loss = name.equals("pcd")
                    ? new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(2), 64, 5)
                    : new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 5);
            List<Tensor> params = TrainingStep.trainableParameters(model, loss);
            return new Run(model, loss, new TrainingStep(model, loss, new Adam(params, 0.05)));
        }

        double[] parameters() {
            return model.parameters().stream().flatMapToDouble(
                    t -> java.util.Arrays.stream(t.value().castTo(DataType.DOUBLE).reshape(-1).toDoubleVector()))
                    .toArray();
        }

        double[] energies(INDArray rows) {
            return model.energyValues(rows).castTo(DataType.DOUBLE).toDoubleVector();
        }
    }

    /** Batches of 100 stay one block of the fused kernel; of 200, with the negatives, they are split in two. */
    @ParameterizedTest
    @CsvSource({"pcd, true, 100", "pcd, true, 200", "pcd, false, 100", "cd, true, 100", "cd, true, 200",
            "cd, false, 100"})
    void probeRowsAreMeasuredBeforeTheUpdateAndNotTrainedOn(String name, boolean fused, int batchRows) {
        Run probed = Run.of(name, fused);
        Run plain = Run.of(name, fused);
        ProbeEnergies probe = probed.loss().probeEnergies().orElseThrow(() -> new AssertionError(name + " offers none"));
        assertEquals(0, probe.lastProbe().length, "before the first batch");
        INDArray data = GaussianRecoveryTest.gaussianData(11, 300);
        INDArray probeRows = GaussianRecoveryTest.rows(GaussianRecoveryTest.gaussianData(12, 100), new RandomSource(5), 24)
                .castTo(DataType.FLOAT);
        probe.probe(probeRows);
        RandomSource pick = new RandomSource(3);
        for (int s = 0; s < 3; s++) {
            INDArray batch = GaussianRecoveryTest.rows(data, pick, batchRows).castTo(DataType.FLOAT);
            double[] before = probed.energies(probeRows);
            probed.step().run(batch);
            plain.step().run(batch);
            double[] reported = probe.lastProbe();
            double tolerance = 1e-4 * (1 + Arrays2.maxAbs(before));
            assertArrayEquals(before, reported, tolerance, name + " step " + s);
            assertTrue(Arrays2.maxDiff(before, probed.energies(probeRows)) > 100 * tolerance,
                    name + ": the update moved nothing, so before and after could not be told apart");
            // Equal up to float rounding: the kernel sums the gradient over more rows, in other blocks.
            assertArrayEquals(plain.parameters(), probed.parameters(), 2e-5,
                    name + " step " + s + ": the probe changed the update");
            assertEquals(batchRows, probed.loss().dataEnergies().orElseThrow().lastBatch().length, "data energies");
        }
        probe.probe(null);
        probed.step().run(GaussianRecoveryTest.rows(data, pick, 100).castTo(DataType.FLOAT));
        assertEquals(0, probe.lastProbe().length, "after the probe was taken away");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pcd", "cd"})
    void aProbeOfTheWrongDimensionIsRefusedBeforeAnyStateChanges(String name) {
        Run run = Run.of(name, true);
        INDArray data = GaussianRecoveryTest.gaussianData(11, 300).castTo(DataType.FLOAT);
        run.step().run(data);
        double[] params = run.parameters();
        ProbeEnergies probe = run.loss().probeEnergies().orElseThrow();
        probe.probe(org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run.step().run(data));
        assertTrue(e.getMessage().contains("probe"), e.getMessage());
        assertArrayEquals(params, run.parameters(), 0.0, "state changed");
    }

    /** Small array helpers. */
    private static final class Arrays2 {
        static double maxAbs(double[] v) {
            double m = 0;
            for (double x : v) {
                m = Math.max(m, Math.abs(x));
            }
            return m;
        }

        static double maxDiff(double[] a, double[] b) {
            double m = 0;
            for (int i = 0; i < a.length; i++) {
                m = Math.max(m, Math.abs(a[i] - b[i]));
            }
            return m;
        }
    }
}
