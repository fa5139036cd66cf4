package io.streamebm.optim;

import io.streamebm.telemetry.LossDiagnostics;


/**
 * A training update was refused because a loss, a gradient or a new parameter value was NaN or
 * infinite. Nothing was applied: the parameters, the optimizer state and (with
 * {@link TrainingStep}) the loss's own state are as they were before the step.
 *
 * <p>It carries what the step measured before it stopped, so that a trainer can still publish the
 * diagnostics of a refused step (a diverging energy shows in {@link #diagnostics()}).
 */
public class NonFiniteUpdateException extends ArithmeticException {

    private static final long serialVersionUID = 1L;

    /** What was found to be non-finite. */
    public enum Cause {
        /** The scalar loss. */
        LOSS,
        /** A parameter gradient (or their global norm overflowed). */
        GRADIENT,
        /** A parameter or optimizer-state value the update would have written. */
        UPDATE
    }

    private final Cause cause;
    private final transient LossDiagnostics diagnostics;
    private final double loss;
    private final double gradNorm;

    /**
     * @param message     what was non-finite, and where
     * @param cause       which stage refused the update
     * @param diagnostics what the loss measured, {@link LossDiagnostics#NONE} if unknown
     * @param loss        the loss value, NaN if unknown
     * @param gradNorm    the global gradient norm before clipping, NaN if unknown
     */
    public NonFiniteUpdateException(String message, Cause cause, LossDiagnostics diagnostics, double loss,
            double gradNorm) {
        super(message);
        this.cause = cause;
        this.diagnostics = diagnostics == null ? LossDiagnostics.NONE : diagnostics;
        this.loss = loss;
        this.gradNorm = gradNorm;
    }

    /** Which stage refused the update. */
    public Cause stage() {
        return cause;
    }

    /** What the loss measured on the refused batch. */
    public LossDiagnostics diagnostics() {
        return diagnostics;
    }

    /** The loss value of the refused step (possibly NaN or infinite). */
    public double loss() {
        return loss;
    }

    /** The global gradient norm before clipping, NaN when the step stopped before it. */
    public double gradNorm() {
        return gradNorm;
    }

    /** The same refusal with the diagnostics of the step attached. */
    NonFiniteUpdateException withDiagnostics(LossDiagnostics d, double lossValue, double norm) {
        NonFiniteUpdateException e = new NonFiniteUpdateException(getMessage(), cause, d, lossValue, norm);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
