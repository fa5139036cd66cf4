package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.runtime.Stateful;
import io.streamebm.datasets.Datasets;
import io.streamebm.distributions.Normal;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** PCD checkpoint continuity, loss state round trips, and refusal of bad input without side effects. */
class LossStateAndInputTest {

    static MlpEnergy mlp() {
        return MlpEnergy.builder().inputDim(2).hidden(16, 16).activation(Activation.SILU).seed(4)
                .dataType(DataType.FLOAT).build();
    }

    static PersistentContrastiveDivergenceLoss pcd(MlpEnergy model) {
        return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(3), 100, 5)
                .withReinitProbability(0.2);
    }

    static float[] flat(List<Tensor> ps) {
        List<Float> out = new ArrayList<>();
        for (Tensor p : ps) {
            for (float f : p.value().dup('c').data().asFloat()) {
                out.add(f);
            }
        }
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    @Test
    void pcdExportImportContinueEqualsAnUninterruptedRunBitForBit() {
        // Batches of 64 against 100 chains, so the round-robin cursor wraps around.
        List<INDArray> batches = new ArrayList<>();
        var stream = Datasets.eightGaussians(2, 0.1, 1);
        for (int i = 0; i < 20; i++) {
            batches.add(stream.nextBatch(64));
        }

        MlpEnergy m1 = mlp();
        PersistentContrastiveDivergenceLoss l1 = pcd(m1);
        TrainingStep t1 = new TrainingStep(m1, l1, new Adam(m1.parameters(), 1e-2));
        StepRecord last1 = null;
        for (INDArray b : batches) {
            last1 = t1.run(b);
        }

        MlpEnergy m2 = mlp();
        PersistentContrastiveDivergenceLoss l2 = pcd(m2);
        Adam o2 = new Adam(m2.parameters(), 1e-2);
        TrainingStep t2 = new TrainingStep(m2, l2, o2);
        for (int i = 0; i < 10; i++) {
            t2.run(batches.get(i));
        }
        // Checkpoint: model parameters, optimizer state, loss state (chains, cursor, energies, RNG).
        INDArray params = m2.flatParameters().dup();
        Map<String, INDArray> optState = o2.exportState();
        Map<String, INDArray> lossState = l2.exportState();
        assertTrue(lossState.containsKey(PersistentContrastiveDivergenceLoss.KEY_CHAINS));

        // Restore into brand-new objects; the new sampler's own seed is deliberately different.
        MlpEnergy m3 = mlp();
        m3.setFlatParameters(params);
        PersistentContrastiveDivergenceLoss l3 = new PersistentContrastiveDivergenceLoss(
                new LangevinDynamics(m3, 0.01).withSeed(999), 100, 5).withReinitProbability(0.2);
        l3.importState(lossState);
        Adam o3 = new Adam(m3.parameters(), 1e-2);
        o3.importState(optState);
        TrainingStep t3 = new TrainingStep(m3, l3, o3);
        StepRecord last3 = null;
        for (int i = 10; i < 20; i++) {
            last3 = t3.run(batches.get(i));
        }
        assertArrayEquals(flat(m1.parameters()), flat(m3.parameters()));
        assertArrayEquals(l1.chains().data().asFloat(), l3.chains().data().asFloat());
        assertEquals(last1.loss(), last3.loss(), 0.0);
        assertEquals(last1.diagnostics().chainEnergyMean(), last3.diagnostics().chainEnergyMean(), 0.0);
        assertArrayEquals(l1.sampler().random().state(), l3.sampler().random().state());
    }

    static Loss lossFor(String name, EnergyFunction model) {
        switch (name) {
            case "cd":
                return new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01), 3);
            case "pcd":
                return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01), 50, 3);
            case "sm":
                return new ScoreMatchingLoss();
            case "ssm":
                return new SlicedScoreMatchingLoss(2);
            case "dsm":
                return new DenoisingScoreMatchingLoss(0.1);
            case "mle":
                return new MaximumLikelihoodLoss();
            case "nce":
                return new NoiseContrastiveEstimationLoss(new Normal(0, 2), 3);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    static Map<String, INDArray> stateOf(Loss loss) {
        return loss instanceof Stateful s ? s.exportState() : Map.of();
    }

    static void assertSameState(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).dup().castTo(DataType.DOUBLE).data().asDouble(),
                    b.get(k).dup().castTo(DataType.DOUBLE).data().asDouble(), 0.0, k);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cd", "pcd", "sm", "ssm", "dsm", "mle", "nce"})
    void badBatchesAreRefusedClearlyAndChangeNothing(String name) {
        GaussianEnergy model = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        Loss loss = lossFor(name, model);
        Adam adam = new Adam(TrainingStep.trainableParameters(model, loss), 1e-2);
        TrainingStep step = new TrainingStep(model, loss, adam);
        step.run(new RandomSource(1).gaussian(DataType.FLOAT, 32, 2));  // initialises PCD chains etc.

        INDArray nan = new RandomSource(2).gaussian(DataType.FLOAT, 32, 2);
        nan.putScalar(5, 1, Float.NaN);
        Object[][] cases = {
            {new RandomSource(3).gaussian(DataType.FLOAT, 32, 3), "dimension 3"},
            {nan, "non-finite"},
            {Nd4j.create(DataType.FLOAT, 0, 2), "empty"},
            {new RandomSource(4).gaussian(DataType.FLOAT, 32, 2).reshape(64), "shape [n, d]"},
        };
        for (Object[] c : cases) {
            float[] params = flat(model.parameters());
            Map<String, INDArray> before = stateOf(loss);
            Map<String, INDArray> optBefore = adam.exportState();
            LossDiagnostics diag = loss.lastDiagnostics();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> step.run((INDArray) c[0]));
            assertTrue(e.getMessage().contains((String) c[1]), name + ": message '" + e.getMessage() + "'");
            assertThrows(IllegalArgumentException.class, () -> loss.apply(model, (INDArray) c[0]));
            assertArrayEquals(params, flat(model.parameters()), name);
            assertSameState(before, stateOf(loss));
            assertSameState(optBefore, adam.exportState());
            assertEquals(diag, loss.lastDiagnostics());
        }
    }

    @Test
    void mleRefusesAnEnergyWithoutNormaliser() {
        MlpEnergy model = mlp();
        float[] params = flat(model.parameters());
        MaximumLikelihoodLoss mle = new MaximumLikelihoodLoss();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> mle.apply(model, new RandomSource(1).gaussian(DataType.FLOAT, 8, 2)));
        assertTrue(e.getMessage().contains("normaliser") && e.getMessage().contains("MlpEnergy"), e.getMessage());
        assertArrayEquals(params, flat(model.parameters()));
        assertEquals(LossDiagnostics.NONE, mle.lastDiagnostics());
    }

    @Test
    void samplerMustTargetTheTrainedModel() {
        MlpEnergy a = mlp();
        MlpEnergy b = mlp();
        ContrastiveDivergenceLoss cd = new ContrastiveDivergenceLoss(new LangevinDynamics(a, 0.01), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cd.apply(b, new RandomSource(1).gaussian(DataType.FLOAT, 8, 2)));
        assertTrue(e.getMessage().contains("sampler"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cd", "pcd", "ssm", "dsm", "nce", "sm"})
    void stateRoundTripsExactly(String name) {
        MlpEnergy model = mlp();
        Loss loss = lossFor(name, model);
        INDArray batch = new RandomSource(6).gaussian(DataType.FLOAT, 16, 2);
        loss.apply(model, batch);
        Map<String, INDArray> s = ((Stateful) loss).exportState();
        double v1 = loss.apply(model, batch).item();
        ((Stateful) loss).importState(s);
        double v2 = loss.apply(model, batch).item();
        assertEquals(v1, v2, 0.0, name);
        Map<String, INDArray> broken = new java.util.HashMap<>(s);
        broken.remove("random");
        Map<String, INDArray> now = ((Stateful) loss).exportState();
        assertThrows(IllegalArgumentException.class, () -> ((Stateful) loss).importState(broken));
        assertSameState(now, ((Stateful) loss).exportState());
    }

    @Test
    void diagnosticsAreReported() {
        MlpEnergy model = mlp();
        PersistentContrastiveDivergenceLoss loss = pcd(model);
        INDArray batch = new RandomSource(6).gaussian(DataType.FLOAT, 40, 2);
        Tensor l = loss.apply(model, batch);
        LossDiagnostics d = loss.lastDiagnostics();
        double ePos = model.energyValues(batch).meanNumber().doubleValue();
        double eNeg = model.energyValues(loss.lastNegatives()).meanNumber().doubleValue();
        assertEquals(ePos, d.energyPositive(), 1e-5);
        assertEquals(eNeg, d.energyNegative(), 1e-5);
        assertEquals(ePos - eNeg, d.energyGap(), 1e-5);
        assertEquals(eNeg, d.chainEnergyMean(), 1e-5);  // only the 40 drawn chains have energies yet
        assertTrue(d.samplingNanos() > 0);
        assertNotNull(l);
        // α(mean E⁺² + mean E⁻²) on top of the gap.
        double reg = 0.001 * (model.energyValues(batch).mul(model.energyValues(batch)).meanNumber().doubleValue()
                + model.energyValues(loss.lastNegatives()).mul(model.energyValues(loss.lastNegatives()))
                        .meanNumber().doubleValue());
        assertEquals(ePos - eNeg + reg, l.item(), 1e-5);
    }
}
