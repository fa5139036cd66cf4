package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.Stateful;
import io.streamebm.losses.Loss;
import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.telemetry.StepRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One guarded training update — the entry point trainers use:
 * <pre>{@code
 * List<Tensor> params = TrainingStep.trainableParameters(model, loss);
 * TrainingStep train = new TrainingStep(model, loss, new Adam(params, 1e-3))
 *         .withClipping(GradientClipping.byGlobalNorm(1.0));
 * StepRecord r = train.run(batch);   // loss, grad norm, param norm, diagnostics (E+, E-, acceptance), time
 * }</pre>
 * {@link #run} does {@code loss.apply → zeroGrad → backward → measure and clip → optimizer.step}
 * and guarantees that a NaN or infinite loss, gradient or update is never applied: it throws a
 * {@link NonFiniteUpdateException} carrying the step's diagnostics, and the model parameters, the
 * optimizer state and the loss's own state (persistent chains, random source) are exactly as they
 * were before the call. A batch the loss refuses (wrong dimension, NaN, empty) raises the loss's
 * {@link IllegalArgumentException}, also without any change.
 *
 * <p>Why the loss state is restored too: a diverging sampler leaves NaN in persistent chains, and
 * they would poison every later step. Restoring costs one copy of the chains per step.
 * Not thread-safe: one training thread owns a step and everything it holds.
 */
public final class TrainingStep {

    private final EnergyFunction model;
    private final Loss loss;
    private final Optimizer optimizer;
    private final GradientClipping clipping;

    /**
     * @param optimizer must update every parameter of the model and of the loss (see
     *                  {@link #trainableParameters}); a missing one is refused, because it would
     *                  silently never train (NCE's log-normaliser is the usual one forgotten)
     */
    public TrainingStep(EnergyFunction model, Loss loss, Optimizer optimizer) {
        this(model, loss, optimizer, GradientClipping.none());
    }

    private TrainingStep(EnergyFunction model, Loss loss, Optimizer optimizer, GradientClipping clipping) {
        this.clipping = Objects.requireNonNull(clipping, "clipping");
        this.model = Objects.requireNonNull(model, "model");
        this.loss = Objects.requireNonNull(loss, "loss");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        IdentityHashMap<Tensor, Boolean> managed = new IdentityHashMap<>();
        for (Tensor p : optimizer.parameters()) {
            managed.put(p, Boolean.TRUE);
        }
        for (Tensor p : trainableParameters(model, loss)) {
            if (!managed.containsKey(p)) {
                throw new IllegalArgumentException("the optimizer does not update parameter " + p + " of "
                        + (model.parameters().contains(p) ? "the model" : "the loss '" + loss.name() + "'")
                        + "; build it over TrainingStep.trainableParameters(model, loss)");
            }
        }
    }

    /** The model's parameters followed by the loss's own (such as NCE's log-normaliser). */
    public static List<Tensor> trainableParameters(EnergyFunction model, Loss loss) {
        List<Tensor> out = new ArrayList<>(model.parameters());
        out.addAll(loss.parameters());
        return out;
    }

    /** A copy of this step with {@code clipping} (default: none); this step is unchanged. */
    public TrainingStep withClipping(GradientClipping clipping) {
        return new TrainingStep(model, loss, optimizer, clipping);
    }

    /** The model trained. */
    public EnergyFunction model() {
        return model;
    }

    /** The loss. */
    public Loss loss() {
        return loss;
    }

    /** The optimizer. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The clipping applied. */
    public GradientClipping clipping() {
        return clipping;
    }

    /**
     * Runs one update on {@code batch} and returns what it measured, as a {@link StepRecord} that a
     * trainer numbers and completes (step 0, applied, no source positions).
     *
     * @throws IllegalArgumentException if the loss refuses the batch; nothing changed
     * @throws NonFiniteUpdateException if the loss, a gradient or the update is not finite; nothing changed
     */
    public StepRecord run(INDArray batch) {
        long t0 = System.nanoTime();
        Map<String, INDArray> lossState = loss instanceof Stateful ? ((Stateful) loss).exportState() : null;
        List<Tensor> params = optimizer.parameters();
        LossDiagnostics d = LossDiagnostics.NONE;
        double value = Double.NaN;
        double gradNorm = Double.NaN;
        boolean ok = false;
        try {
            Tensor l = loss.apply(model, batch);
            d = loss.lastDiagnostics();
            value = l.item();
            if (!Double.isFinite(value)) {
                throw new NonFiniteUpdateException("loss '" + loss.name() + "' is " + value + " (E+ = "
                        + d.energyPositive() + ", E- = " + d.energyNegative() + "); no parameter was changed",
                        NonFiniteUpdateException.Cause.LOSS, d, value, Double.NaN);
            }
            optimizer.zeroGrad();
            l.backward();
            gradNorm = clipping.clip(params);
            if (!Double.isFinite(gradNorm)) {
                throw new NonFiniteUpdateException("gradient norm of loss '" + loss.name() + "' is " + gradNorm
                        + " (loss = " + value + "); no parameter was changed",
                        NonFiniteUpdateException.Cause.GRADIENT, d, value, gradNorm);
            }
            try {
                optimizer.step();
            } catch (NonFiniteUpdateException e) {
                throw e.withDiagnostics(d, value, gradNorm);
            }
            ok = true;
        } finally {
            if (!ok) {
                // Refused or failed: leave no trace, neither gradients nor advanced chains.
                optimizer.zeroGrad();
                if (lossState != null) {
                    ((Stateful) loss).importState(lossState);
                }
            }
        }
        long elapsed = System.nanoTime() - t0;
        return StepRecord.measured((int) batch.rows(), value, gradNorm, optimizer.parameterNorm(), d,
                Duration.ofNanos(elapsed));
    }
}
