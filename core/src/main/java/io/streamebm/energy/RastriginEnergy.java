package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/**
 * The Rastrigin energy E(x) = a·d + Σᵢ(xᵢ² − a·cos 2πxᵢ): a regular lattice of local minima around
 * the global minimum 0 at the origin. TorchEBM default: a = 10.
 */
public final class RastriginEnergy extends AnalyticEnergy {

    private final double a;

    /** a = 10, any dimension. */
    public RastriginEnergy() {
        this(10.0);
    }

    /** @param a the ripple amplitude, finite and >= 0 */
    public RastriginEnergy(double a) {
        super(-1);
        if (!(a >= 0) || !Double.isFinite(a)) {
            throw new IllegalArgumentException("a must be finite and >= 0, got " + a);
        }
        this.a = a;
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        Tensor terms = x.square().sub(x.mul(2 * Math.PI).cos().mul(a));
        return terms.sum(1).add(a * x.size(1));
    }

    @Override
    protected double rowEnergy(double[] x, int d) {
        double s = a * d;
        for (int i = 0; i < d; i++) {
            s += x[i] * x[i] - a * Math.cos(2 * Math.PI * x[i]);
        }
        return s;
    }

    @Override
    protected void rowGradient(double[] x, double[] g, int d) {
        for (int i = 0; i < d; i++) {
            g[i] = 2 * x[i] + 2 * Math.PI * a * Math.sin(2 * Math.PI * x[i]);
        }
    }

    @Override
    protected boolean separable() {
        return true;
    }

    @Override
    protected double elementGradient(double x) {
        return 2 * x + 2 * Math.PI * a * Math.sin(2 * Math.PI * x);
    }
}
