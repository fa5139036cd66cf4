package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as {@code torch.optim.AdamW}:
 * θ ← θ(1 − ηλ) before the Adam step, instead of adding λθ to the gradient. Default λ = 0.01 as in
 * PyTorch. State keys are those of {@link Adam}.
 */
public final class AdamW extends Adam {

    /** AdamW with PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, λ = 0.01. */
    public AdamW(List<Tensor> parameters, double learningRate) {
        this(parameters, learningRate, 0.9, 0.999, 1e-8, 0.01);
    }

    /**
     * @param beta1       β₁ in [0, 1)
     * @param beta2       β₂ in [0, 1)
     * @param eps         ε &gt; 0
     * @param weightDecay λ ≥ 0 (decoupled)
     */
    public AdamW(List<Tensor> parameters, double learningRate, double beta1, double beta2, double eps,
            double weightDecay) {
        super(parameters, learningRate, beta1, beta2, eps, weightDecay, true);
    }
}
