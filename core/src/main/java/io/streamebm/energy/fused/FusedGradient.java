package io.streamebm.energy.fused;

import io.streamebm.energy.EnergyFunction;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An energy that can write ∇ₓE into a caller's buffer. Samplers call it every step, so the
 * allocation that {@link EnergyFunction#gradient(INDArray)} must make (its contract returns a new
 * array) would otherwise dominate the loop for small batches.
 */
public interface FusedGradient {

    /**
     * Writes ∇ₓE(x) into {@code out}, without recording a graph.
     *
     * @param x   a finite batch {@code [n, d]}; not validated here, callers validate once per run
     * @param out {@code [n, d]} of the same data type as {@code x}, C order, not a view of {@code x}
     */
    void gradientInto(INDArray x, INDArray out);
}
