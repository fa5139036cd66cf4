package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/**
 * The Rosenbrock energy E(x) = Σᵢ₌₁ᵈ⁻¹ b(xᵢ₊₁ − xᵢ²)² + (a − xᵢ)², minimal (0) at x = (a, a², …)
 * for d = 2 and at (1, …, 1) for a = 1. A narrow curved valley that tests samplers. TorchEBM
 * defaults: a = 1, b = 100. Needs d ≥ 2.
 */
public final class RosenbrockEnergy extends AnalyticEnergy {

    private final double a;
    private final double b;

    /** a = 1, b = 100, any dimension ≥ 2. */
    public RosenbrockEnergy() {
        this(1.0, 100.0);
    }

    /**
     * @param a the valley's target for each coordinate (finite)
     * @param b the valley's steepness, > 0
     */
    public RosenbrockEnergy(double a, double b) {
        super(-1);
        this.a = requireFinite(a, "a");
        this.b = requirePositive(b, "b");
    }

    @Override
    protected int minimumDimension() {
        return 2;
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        long d = x.size(1);
        if (d < 2) {
            throw new IllegalArgumentException("RosenbrockEnergy needs dimension >= 2, got " + d);
        }
        Tensor head = x.slice(1, 0, d - 1);
        Tensor tail = x.slice(1, 1, d);
        Tensor valley = tail.sub(head.square()).square().mul(b);
        Tensor target = head.rsub(a).square();
        return valley.add(target).sum(1);
    }

    @Override
    protected double rowEnergy(double[] x, int d) {
        double s = 0;
        for (int i = 0; i < d - 1; i++) {
            double v = x[i + 1] - x[i] * x[i];
            double t = a - x[i];
            s += b * v * v + t * t;
        }
        return s;
    }

    @Override
    protected void rowGradient(double[] x, double[] g, int d) {
        for (int i = 0; i < d; i++) {
            g[i] = 0;
        }
        for (int i = 0; i < d - 1; i++) {
            double v = x[i + 1] - x[i] * x[i];
            g[i] += -4 * b * x[i] * v - 2 * (a - x[i]);
            g[i + 1] += 2 * b * v;
        }
    }
}
