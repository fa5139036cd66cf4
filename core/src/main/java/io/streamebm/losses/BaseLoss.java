package io.streamebm.losses;

import io.streamebm.telemetry.LossDiagnostics;
import java.util.Arrays;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The base of the shipped losses (TorchEBM's {@code BaseLoss}): it keeps the diagnostics of the
 * last evaluation so that {@link #lastDiagnostics()} costs nothing. Subclasses call
 * {@link #record} once per {@link #apply}.
 */
public abstract class BaseLoss implements Loss {

    private LossDiagnostics diagnostics = LossDiagnostics.NONE;
    private double[] dataEnergies = new double[0];
    private INDArray probeRows;
    private double[] probeEnergies = new double[0];

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
        probeEnergies = new double[0];
    }

    /**
     * As {@link #record(LossDiagnostics, double[], int)}, and the energies of the {@link #probeRows()}
     * the evaluation measured too, {@code energies[probeFrom ..]} (none when it had no probe).
     */
    protected final void record(LossDiagnostics measured, double[] energies, int dataRows, int probeFrom) {
        record(measured, energies, dataRows);
        if (probeRows != null) {
            probeEnergies = Arrays.copyOfRange(energies, probeFrom, probeFrom + (int) probeRows.rows());
        }
    }

    /** The rows {@link ProbeEnergies#probe} set, or null: a loss offering the probe measures them in each apply. */
    protected final INDArray probeRows() {
        return probeRows;
    }

    /**
     * The {@link ProbeEnergies} capability for a loss whose every {@code apply} measures the
     * {@link #probeRows()} with weight zero and records them (through
     * {@link #record(LossDiagnostics, double[], int, int)}); a subclass returns it from
     * {@link #probeEnergies()}.
     */
    protected final Optional<ProbeEnergies> offerProbeEnergies() {
        return Optional.of(new ProbeEnergies() {
            @Override
            public void probe(INDArray rows) {
                probeRows = rows == null || rows.rows() == 0 ? null : rows;
            }

            @Override
            public double[] lastProbe() {
                return probeEnergies.clone();
            }
        });
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
