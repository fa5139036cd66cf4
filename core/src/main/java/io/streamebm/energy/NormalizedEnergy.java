package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/**
 * An energy whose normalizer is known in closed form: log Z = log ∫ exp(−E(x)) dx. Maximum
 * likelihood needs it; every other loss works without it.
 */
public interface NormalizedEnergy extends EnergyFunction {

    /** log Z(θ) as a scalar tensor, differentiable with respect to the parameters. */
    Tensor logPartition();
}
