package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import java.util.List;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and (L2, coupled) weight
 * decay, with the update rule of {@code torch.optim.SGD}:
 * <pre>
 *   g ← g + λθ
 *   b ← g                      on the first step
 *   b ← μb + (1 − τ)g          afterwards        (τ: dampening)
 *   g ← g + μb  (Nesterov)  or  g ← b
 *   θ ← θ − ηg
 * </pre>
 * State keys (besides those of {@link AbstractOptimizer}): {@code momentum_buffer.<i>}.
 */
public final class SGD extends AbstractOptimizer {

    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final double weightDecay;

    /** Plain SGD: no momentum, no weight decay. */
    public SGD(List<Tensor> parameters, double learningRate) {
        this(parameters, learningRate, 0, 0, false, 0);
    }

    /**
     * @param momentum    μ in [0, 1)
     * @param nesterov    Nesterov momentum (needs μ &gt; 0 and no dampening, as in PyTorch)
     * @param weightDecay λ ≥ 0, added to the gradient as λθ
     */
    public SGD(List<Tensor> parameters, double learningRate, double momentum, boolean nesterov, double weightDecay) {
        this(parameters, learningRate, momentum, 0, nesterov, weightDecay);
    }

    /**
     * @param dampening τ in [0, 1]: the share of the gradient left out of the momentum buffer
     */
    public SGD(List<Tensor> parameters, double learningRate, double momentum, double dampening, boolean nesterov,
            double weightDecay) {
        super(parameters, learningRate);
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(dampening >= 0 && dampening <= 1)) {
            throw new IllegalArgumentException("dampening must be in [0, 1], got " + dampening);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        if (nesterov && (momentum == 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    protected String[] slotNames() {
        return new String[] {"momentum_buffer"};
    }

    @Override
    protected void update(double[] value, double[] grad, double[][] state, double[][] next, double lr, long t) {
        double[] buf = state[0];
        double[] nbuf = next[0];
        for (int j = 0; j < value.length; j++) {
            double g = grad[j];
            if (weightDecay != 0) {
                g += weightDecay * value[j];
            }
            if (momentum != 0) {
                double b = t == 1 ? g : momentum * buf[j] + (1 - dampening) * g;
                nbuf[j] = b;
                g = nesterov ? g + momentum * b : b;
            } else {
                nbuf[j] = 0;
            }
            value[j] -= lr * g;
        }
    }

    /** μ. */
    public double momentum() {
        return momentum;
    }

    /** Whether the momentum is Nesterov's. */
    public boolean nesterov() {
        return nesterov;
    }

    /** λ. */
    public double weightDecay() {
        return weightDecay;
    }
}
