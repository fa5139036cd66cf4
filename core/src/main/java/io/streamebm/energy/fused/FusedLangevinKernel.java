package io.streamebm.energy.fused;

import io.streamebm.energy.Parameters;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * An energy whose whole Langevin step (gradient, update, noise, clipping, clamping) runs as one
 * pass of plain Java over the chain buffer. For small dimensions an ND4J op costs far more in
 * fixed overhead (4–20 µs) than the arithmetic, so a fused pass is several times faster.
 */
public interface FusedLangevinKernel {

    /**
     * A stepper bound to the current parameter values, or {@code null} when this energy has no
     * fused path for the given dimension and type. Parameters must not change while it is used.
     */
    Stepper langevinStepper(int dimension, DataType type);

    /** One Langevin update of float32 chains in place. */
    interface Stepper {

        /**
         * x ← clamp(x − η·clip(∇E(x)) + noiseStd·ξ) for each of the {@code nChains} rows of
         * {@code chains} (C order, {@code nChains × d} floats from index 0; the sampler copies the
         * chains into a Java array once per call, because heap arrays are faster to loop over than
         * the native buffer). The sampler draws ξ
         * into {@code noise} (C order, one standard normal per element) exactly as its unfused
         * path does, so both give the same result up to rounding.
         *
         * @param gradClip per-element bound on |∇E|, {@code +∞} for none
         * @param lo       lower clamp bound, {@code −∞} for none
         * @param hi       upper clamp bound, {@code +∞} for none
         */
        void step(float[] chains, int nChains, float stepSize, float noiseStd, float gradClip, float lo, float hi,
                float[] noise);
    }
}
