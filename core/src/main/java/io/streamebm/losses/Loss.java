package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A training objective for an energy: {@code loss = cdLoss.apply(model, batch)} returns a scalar
 * tensor whose {@code backward()} fills the gradients of the model's parameters (and of the loss's
 * own, see {@link #parameters()}).
 *
 * <p>Contract: {@code data} is a finite batch {@code [n, d]} with n ≥ 1 and d equal to the model's
 * dimension; anything else is refused with an {@link IllegalArgumentException} that names what was
 * wrong, before any state changes. After each call, {@link #lastDiagnostics()} describes it
 * without recomputation. Losses with state of their own (persistent chains, a learned
 * log-normalizer, a random source) implement {@link io.streamebm.runtime.Stateful} so that it goes
 * into checkpoints.
 */
public interface Loss {

    /** The scalar loss on one batch, recorded for backward. */
    Tensor apply(EnergyFunction model, INDArray data);

    /** Trainable parameters owned by the loss itself (NCE's log-normalizer); empty by default. */
    default List<Tensor> parameters() {
        return List.of();
    }

    /** What the last {@link #apply} measured; {@link LossDiagnostics#NONE} before the first call. */
    LossDiagnostics lastDiagnostics();

    /**
     * The energies of each batch's data rows under the model before the update, when this loss
     * measures them exactly as part of its work; empty otherwise (the default). The answer is fixed
     * for the loss's lifetime, so a caller asks once.
     */
    default Optional<DataEnergies> dataEnergies() {
        return Optional.empty();
    }

    /**
     * Extra rows this loss can measure in its own energy pass without training on them; empty when
     * it cannot (the default). The answer is fixed for the loss's lifetime.
     */
    default Optional<ProbeEnergies> probeEnergies() {
        return Optional.empty();
    }

    /** A short stable name for metrics and configuration, such as {@code "pcd"}. */
    String name();
}
