package io.streamebm.energy.fused;

/**
 * A loss written as a sum of one term per row, each a function of one per-row quantity of the
 * energy: the row's energy E(xᵢ) ({@link FusedEnergyTerms}) or its input gradient ∇ₓE(xᵢ)
 * ({@link FusedInputGradientTerms}). The loss supplies the terms and their slopes; the fused kernel
 * supplies the quantities and back-propagates the slopes to the parameters.
 *
 * <p>Why per row: that is what lets a kernel split the rows into blocks that run forward, terms
 * and backward side by side (see {@link RowBlocks}).
 */
@FunctionalInterface
public interface RowTerms {

    /**
     * The terms of a block of consecutive rows that starts at row {@code first} of the batch.
     * Reads the block's quantities ({@code values}: one energy per row, or ∇ₓE row-major), writes
     * d(loss)/d(value) into {@code slopes} (same layout) and returns the sum of the block's terms.
     * Blocks may run concurrently: write nothing but {@code slopes} and slots of your own that no
     * other block writes.
     */
    double apply(int first, double[] values, double[] slopes);
}
