package io.streamebm.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.BaseEnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.distributions.Normal;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.telemetry.StepRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The guarded training step: reported numbers, and the non-finite guard leaving everything as it was. */
class TrainingStepTest {

    /** E(x) = f(w)·‖x‖² with f = identity or √ (whose derivative is infinite at w = 0). */
    static final class Scaled extends BaseEnergyFunction {
        final Tensor w;
        final boolean sqrt;

        Scaled(double w0, boolean sqrt) {
            super(2);
            this.w = parameter(Nd4j.scalar(DataType.FLOAT, w0));
            this.sqrt = sqrt;
        }

        @Override
        public Tensor energy(Tensor x) {
            Tensor f = sqrt ? w.sqrt() : w;
            return x.square().sum(1).mul(f);
        }
    }

    static INDArray batch(long seed) {
        return new RandomSource(seed).gaussian(DataType.FLOAT, 64, 2);
    }

    @Test
    void reportsWhatThePipelinePublishes() {
        Scaled model = new Scaled(0.5, false);
        ContrastiveDivergenceLoss loss = new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.05), 5);
        Adam adam = new Adam(model.parameters(), 0.01);
        TrainingStep step = new TrainingStep(model, loss, adam).withClipping(GradientClipping.byGlobalNorm(1e-3));
        StepRecord r = step.run(batch(1));
        assertEquals(64, r.batchSize());
        assertEquals(loss.lastDiagnostics().energyPositive(), r.diagnostics().energyPositive(), 0);
        assertEquals(r.diagnostics().energyPositive() - r.diagnostics().energyNegative(), r.diagnostics().energyGap(), 1e-12);
        assertTrue(r.gradNorm() > 1e-3, "norm before clipping is reported: " + r.gradNorm());
        assertEquals(0.49, r.paramNorm(), 1e-6);  // Adam's first step moves w by lr
        assertTrue(r.diagnostics().samplingNanos() > 0 && r.stepDuration().toNanos() >= r.diagnostics().samplingNanos());
        assertTrue(Double.isNaN(r.diagnostics().acceptanceRate()));
        StepRecord sr = r.withStep(1).withSourcePositions(Map.of("ebm.samples-0", 42L));
        assertEquals(StepRecord.Outcome.APPLIED, sr.outcome());
        assertEquals(r.loss(), sr.loss(), 0);
    }

    @Test
    void nonFiniteLossIsNeverAppliedAndChainsAreRolledBack() {
        Scaled model = new Scaled(0.5, false);
        PersistentContrastiveDivergenceLoss loss = new PersistentContrastiveDivergenceLoss(
                new LangevinDynamics(model, 0.05), 100, 5);
        Adam adam = new Adam(model.parameters(), 0.01);
        TrainingStep step = new TrainingStep(model, loss, adam);
        step.run(batch(1));
        float w = model.w.value().getFloat(0);
        Map<String, INDArray> lossBefore = loss.exportState();
        Map<String, INDArray> optBefore = adam.exportState();
        // Finite data whose energy overflows float32: E = 0.5·‖x‖² ≈ 1e40 → loss = inf.
        INDArray huge = batch(2).muli(1e20f);
        NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> step.run(huge));
        assertEquals(NonFiniteUpdateException.Cause.LOSS, e.stage());
        assertTrue(Double.isInfinite(e.loss()) || Double.isNaN(e.loss()));
        assertTrue(Double.isInfinite(e.diagnostics().energyPositive()), "diagnostics travel with the exception");
        assertEquals(w, model.w.value().getFloat(0), 0f);
        assertEquals(null, model.w.grad());
        for (String k : lossBefore.keySet()) {
            assertArrayEquals(lossBefore.get(k).dup().castTo(DataType.DOUBLE).data().asDouble(),
                    loss.exportState().get(k).dup().castTo(DataType.DOUBLE).data().asDouble(), 0, k);
        }
        for (String k : optBefore.keySet()) {
            assertEquals(optBefore.get(k), adam.exportState().get(k), k);
        }
        // The step still works afterwards.
        step.run(batch(3));
        assertEquals(2, adam.stepCount());
    }

    @Test
    void nonFiniteGradientIsNeverApplied() {
        Scaled model = new Scaled(0.0, true);  // d√w/dw = ∞ at w = 0, while the loss is 0
        ContrastiveDivergenceLoss loss = new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.05), 2);
        SGD sgd = new SGD(model.parameters(), 0.1);
        TrainingStep step = new TrainingStep(model, loss, sgd);
        NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> step.run(batch(4)));
        assertEquals(NonFiniteUpdateException.Cause.GRADIENT, e.stage());
        assertTrue(Double.isFinite(e.loss()));
        assertTrue(!Double.isFinite(e.gradNorm()));
        assertEquals(0f, model.w.value().getFloat(0), 0f);
        assertEquals(0, sgd.stepCount());
    }

    @Test
    void overflowingUpdateIsRefusedWithDiagnostics() {
        Scaled model = new Scaled(0.5, false);
        ContrastiveDivergenceLoss loss = new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.05), 2);
        SGD sgd = new SGD(model.parameters(), 1e38);
        TrainingStep step = new TrainingStep(model, loss, sgd);
        NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> step.run(batch(5).muli(30)));
        assertEquals(NonFiniteUpdateException.Cause.UPDATE, e.stage());
        assertTrue(Double.isFinite(e.diagnostics().energyPositive()));
        assertTrue(Double.isFinite(e.gradNorm()));
        assertEquals(0.5f, model.w.value().getFloat(0), 0f);
    }

    @Test
    void optimizerMustCoverTheLossParameters() {
        Scaled model = new Scaled(0.5, false);
        NoiseContrastiveEstimationLoss nce = new NoiseContrastiveEstimationLoss(new Normal(0, 1), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingStep(model, nce, new Adam(model.parameters(), 0.01)));
        assertTrue(e.getMessage().contains("nce"), e.getMessage());
        List<Tensor> all = TrainingStep.trainableParameters(model, nce);
        assertEquals(2, all.size());
        TrainingStep ok = new TrainingStep(model, nce, new Adam(all, 0.01));
        ok.run(batch(6));
        assertTrue(nce.logNormalizer() != 0.0, "c is trained");
    }
}
