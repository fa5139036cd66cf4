package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import java.util.List;

/**
 * Adam (Kingma and Ba, 2015) with the update rule of {@code torch.optim.Adam}: weight decay, when
 * set, is the coupled L2 kind (λθ added to the gradient); use {@link AdamW} for decoupled decay.
 * <pre>
 *   g ← g + λθ
 *   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
 *   θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * </pre>
 * Defaults as in PyTorch: β = (0.9, 0.999), ε = 1e-8, λ = 0. EBM practice (IGEBM) often uses
 * β₁ = 0. State keys (besides those of {@link AbstractOptimizer}): {@code exp_avg.<i>} and
 * {@code exp_avg_sq.<i>}.
 */
public class Adam extends AbstractOptimizer {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    /** Adam with PyTorch's defaults. */
    public Adam(List<Tensor> parameters, double learningRate) {
        this(parameters, learningRate, 0.9, 0.999, 1e-8, 0);
    }

    /**
     * @param beta1       β₁ in [0, 1)
     * @param beta2       β₂ in [0, 1)
     * @param eps         ε &gt; 0
     * @param weightDecay λ ≥ 0 (coupled L2)
     */
    public Adam(List<Tensor> parameters, double learningRate, double beta1, double beta2, double eps,
            double weightDecay) {
        this(parameters, learningRate, beta1, beta2, eps, weightDecay, false);
    }

    Adam(List<Tensor> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled) {
        super(parameters, learningRate);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and > 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    protected final String[] slotNames() {
        return new String[] {"exp_avg", "exp_avg_sq"};
    }

    @Override
    protected final void update(double[] value, double[] grad, double[][] state, double[][] next, double lr,
            long t) {
        double[] m = state[0];
        double[] v = state[1];
        double[] nm = next[0];
        double[] nv = next[1];
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        double stepSize = lr / bc1;
        double decay = decoupled ? 1 - lr * weightDecay : 1;
        // Weight decay folded into the inputs first, so that the main loop has no branch and
        // the JIT vectorises it.
        if (weightDecay != 0) {
            for (int j = 0; j < value.length; j++) {
                if (decoupled) {
                    value[j] *= decay;
                } else {
                    grad[j] += weightDecay * value[j];
                }
            }
        }
        for (int j = 0; j < value.length; j++) {
            double g = grad[j];
            double p = value[j];
            double mj = beta1 * m[j] + (1 - beta1) * g;
            double vj = beta2 * v[j] + (1 - beta2) * g * g;
            nm[j] = mj;
            nv[j] = vj;
            value[j] = p - stepSize * mj / (Math.sqrt(vj) / bc2Sqrt + eps);
        }
    }

    /** β₁. */
    public final double beta1() {
        return beta1;
    }

    /** β₂. */
    public final double beta2() {
        return beta2;
    }

    /** ε. */
    public final double eps() {
        return eps;
    }

    /** λ. */
    public final double weightDecay() {
        return weightDecay;
    }
}
