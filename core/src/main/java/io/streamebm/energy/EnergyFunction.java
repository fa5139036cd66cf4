package io.streamebm.energy;

import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.energy.fused.FusedScoreMatchingTerms;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An energy E(x) over points x ∈ ℝᵈ, defining the density p(x) ∝ exp(−E(x)).
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #energy(Tensor)} maps a batch {@code [n, d]} to energies {@code [n]}, recording the
 *       graph so that losses can differentiate with respect to x and to the parameters.</li>
 *   <li>{@link #gradient(INDArray)} returns ∇ₓE as a new {@code [n, d]} array, without recording.
 *       Samplers call it in their inner loop, so implementations may override it with a fused
 *       kernel; it must agree with autograd on {@link #energy(Tensor)}.</li>
 *   <li>{@link #parameters()} lists the trainable leaves; optimizers update their values in place.
 *       The list and its order never change over the life of the energy.</li>
 *   <li>The {@code fused…()} methods offer fused loss kernels, capabilities that losses ask for
 *       and use instead of the recorded graph. None by default: every loss then differentiates
 *       {@link #energy(Tensor)}, which is always correct, only slower. An energy offers a kernel by
 *       overriding the method; no loss needs to know the energy's class.</li>
 * </ul>
 * Implementations are not thread-safe: one training thread owns a model.
 */
public interface EnergyFunction {

    /** Energies of a batch: {@code [n, d] → [n]}, recorded for autograd. */
    Tensor energy(Tensor x);

    /** ∇ₓE for a batch: {@code [n, d] → [n, d]}, a new array, not recorded. */
    INDArray gradient(INDArray x);

    /** The trainable parameters, in a fixed order (empty for a fixed energy). */
    List<Tensor> parameters();

    /** The input dimension d this energy accepts, or −1 if it accepts any. */
    int dimension();

    /** Fused gradients of losses that are sums of per-row terms of E (CD, PCD, NCE); none by default. */
    default Optional<FusedEnergyTerms> fusedEnergyTerms() {
        return Optional.empty();
    }

    /** Fused gradients of losses that are sums of per-row terms of ∇ₓE (DSM); none by default. */
    default Optional<FusedInputGradientTerms> fusedInputGradientTerms() {
        return Optional.empty();
    }

    /** Fused projected score matching (exact SM, SSM); none by default. */
    default Optional<FusedScoreMatchingTerms> fusedScoreMatchingTerms() {
        return Optional.empty();
    }

    /** Energies of a batch as a plain {@code [n]} array, without recording a graph. */
    default INDArray energyValues(INDArray x) {
        return Autograd.noGrad(() -> energy(Tensor.constant(x)).value());
    }
}
