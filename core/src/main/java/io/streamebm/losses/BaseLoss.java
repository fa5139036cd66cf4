package io.streamebm.losses;

import io.streamebm.telemetry.LossDiagnostics;

/**
 * The base of the shipped losses (TorchEBM's {@code BaseLoss}): it keeps the diagnostics of the
 * last evaluation so that {@link #lastDiagnostics()} costs nothing. Subclasses call
 * {@link #record} once per {@link #apply}.
 */
public abstract class BaseLoss implements Loss {

    private LossDiagnostics diagnostics = LossDiagnostics.NONE;

    /** Keeps what the current evaluation measured. */
    protected final void record(LossDiagnostics measured) {
        diagnostics = measured;
    }

    @Override
    public final LossDiagnostics lastDiagnostics() {
        return diagnostics;
    }
}
