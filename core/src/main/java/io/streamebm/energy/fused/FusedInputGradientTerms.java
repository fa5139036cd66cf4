package io.streamebm.energy.fused;

import io.streamebm.energy.EnergyFunction;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A capability an energy may offer ({@link EnergyFunction#fusedInputGradientTerms()}): the value
 * and the parameter gradients of a loss Σᵢ ℓᵢ(∇ₓE(xᵢ)), a sum of one term per row of the row's
 * input gradient, without a recorded graph. Denoising score matching is such a loss.
 *
 * <p>Why: the parameter gradient of such a loss is a double backward (reverse mode through the
 * input-gradient pass), which autograd records as a graph two to three times the size of a plain
 * backward pass; a kernel runs it as a few GEMMs per layer.
 *
 * <p>Contract: as {@link FusedEnergyTerms}: the result equals autograd's up to rounding, covers
 * every parameter, and the rows are split as {@link RowBlocks#run} splits them. Not thread-safe.
 */
public interface FusedInputGradientTerms {

    /**
     * Σᵢ ℓᵢ(∇ₓE(xᵢ)) over the rows of {@code x} ({@code [n, d]} in the model's type, C order) and
     * its parameter gradients; the terms see ∇ₓE row-major, d values per row.
     */
    FusedResult inputGradientTerms(INDArray x, RowTerms terms);
}
