package io.streamebm.losses;

import io.streamebm.telemetry.LossDiagnostics;
import java.util.Arrays;
import java.util.Optional;

/**
 * The base of the shipped losses (TorchEBM's {@code BaseLoss}): it keeps the diagnostics of the
 * last evaluation so that {@link #lastDiagnostics()} costs nothing. Subclasses call
 * {@link #record} once per {@link #apply}.
 */
public abstract class BaseLoss implements Loss {

    private LossDiagnostics diagnostics = LossDiagnostics.NONE;
    private double[] dataEnergies = new double[0];

    /** Keeps what the current evaluation measured. */
    protected final void record(LossDiagnostics measured) {
        diagnostics = measured;
    }

    /**
     * Keeps what the current evaluation measured, and the energies of its data rows, the first
     * {@code dataRows} of {@code energies}, for {@link #offerDataEnergies()}.
     */
    protected final void record(LossDiagnostics measured, double[] energies, int dataRows) {
        diagnostics = measured;
        dataEnergies = Arrays.copyOf(energies, dataRows);
    }

    /**
     * The {@link DataEnergies} capability for a loss whose every {@code apply} records its data
     * energies (through {@link #record(LossDiagnostics, double[], int)}) under the model as given;
     * a subclass returns it from {@link #dataEnergies()} when that holds.
     */
    protected final Optional<DataEnergies> offerDataEnergies() {
        return Optional.of(() -> dataEnergies.clone());
    }

    @Override
    public final LossDiagnostics lastDiagnostics() {
        return diagnostics;
    }
}
