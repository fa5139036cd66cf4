package io.streamebm.energy.fused;

import io.streamebm.energy.EnergyFunction;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A capability an energy may offer ({@link EnergyFunction#fusedScoreMatchingTerms()}): projected
 * score matching,
 * <pre>
 *   L = Σ_r ω_r [ ½ (v_rᵀ∇ₓE(x))² − v_rᵀ∇²ₓE(x) v_r ]
 * </pre>
 * over (row, direction) pairs r, with its parameter gradients, without a recorded graph. With the
 * directions running over the standard basis this is exact score matching (Σⱼ ½(∂ⱼE)² = ½‖∇E‖²
 * and Σⱼ ∂²ⱼⱼE = tr ∇²E); with random directions it is sliced score matching.
 *
 * <p>Why: autograd would record the input gradient, differentiate it again and back-propagate
 * through both (third order), a graph of several hundred ND4J ops.
 *
 * <p>Contract: the result equals autograd's up to rounding and covers every parameter (a
 * parameter the loss does not reach, such as an output bias, gets a zero gradient). Not
 * thread-safe.
 */
public interface FusedScoreMatchingTerms {

    /**
     * @param x          the data rows {@code [n, d]} in the model's type, C order
     * @param directions {@code [n·reps, d]}, same type: row p·n + i is a direction for x row i
     * @param weights    ω, one per row of {@code directions}
     */
    FusedResult scoreMatchingTerms(INDArray x, INDArray directions, double[] weights);

    /** {@link #scoreMatchingTerms(INDArray, INDArray, double[])} with the same weight for every pair. */
    default FusedResult scoreMatchingTerms(INDArray x, INDArray directions, double weight) {
        double[] weights = new double[(int) directions.rows()];
        Arrays.fill(weights, weight);
        return scoreMatchingTerms(x, directions, weights);
    }
}
