package io.streamebm.energy.fused;

import io.streamebm.energy.EnergyFunction;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A capability an energy may offer ({@link EnergyFunction#fusedEnergyTerms()}): the value and the
 * parameter gradients of a loss Σᵢ ℓᵢ(E(xᵢ)), a sum of one term per row of the row's energy, in one
 * fused forward and backward pass instead of a recorded graph. Contrastive divergence and NCE are
 * such losses; they take this path whenever the energy offers it.
 *
 * <p>Why: a recorded forward and backward pass of a small network runs dozens of ND4J ops, each
 * 4–20 µs plus an allocation, which exceeds the cost of the arithmetic many times over. A kernel
 * that knows the network's structure runs a handful of GEMMs into reused buffers instead.
 *
 * <p>Contract: the result is the one autograd gives for the same loss on
 * {@link EnergyFunction#energy}, up to rounding; its gradients cover every parameter of
 * {@link EnergyFunction#parameters()}. Implementations split the rows as {@link RowBlocks#run}
 * does (by using it), asking {@code rows} for each block exactly once. Not thread-safe, like the
 * energy.
 */
public interface FusedEnergyTerms {

    /**
     * Σᵢ ℓᵢ(E(xᵢ)) over a batch of {@code n} rows that {@code rows} builds block by block, and its
     * parameter gradients.
     */
    FusedResult energyTerms(int n, RowBlocks.Rows rows, RowTerms terms);

    /** {@link #energyTerms(int, RowBlocks.Rows, RowTerms)} on the rows of {@code x} ({@code [n, d]}, C order). */
    default FusedResult energyTerms(INDArray x, RowTerms terms) {
        return energyTerms((int) x.rows(), RowBlocks.Rows.of(x), terms);
    }

    /**
     * As {@link #energyTerms(INDArray, RowTerms)} for rows of {@code x} from {@code weighedRows} on
     * whose terms' slopes are zero (probe rows, measured only): a kernel that can splits the
     * batch over the weighed rows ({@link RowBlocks#run(int, int, RowBlocks.Rows, RowBlocks.Work)});
     * the default splits as usual. The result is the same up to rounding either way.
     */
    default FusedResult energyTerms(INDArray x, int weighedRows, RowTerms terms) {
        return energyTerms(x, terms);
    }
}
