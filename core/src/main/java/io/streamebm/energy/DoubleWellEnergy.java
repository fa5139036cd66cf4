package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/**
 * The double well E(x) = h·Σᵢ(xᵢ² − b²)² with wells at xᵢ = ±b and a barrier of height h·b⁴ per
 * coordinate at 0. TorchEBM defaults: h = 2, b = 1.
 */
public final class DoubleWellEnergy extends AnalyticEnergy {

    private final double h;
    private final double b;

    /** h = 2, b = 1, any dimension. */
    public DoubleWellEnergy() {
        this(2.0, 1.0);
    }

    /**
     * @param barrierHeight h > 0
     * @param b             well position b > 0
     */
    public DoubleWellEnergy(double barrierHeight, double b) {
        super(-1);
        this.h = requirePositive(barrierHeight, "barrierHeight");
        this.b = requirePositive(b, "b");
    }

    /** h. */
    public double barrierHeight() {
        return h;
    }

    /** b. */
    public double b() {
        return b;
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        return x.square().sub(b * b).square().sum(1).mul(h);
    }

    @Override
    protected double rowEnergy(double[] x, int d) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            double t = x[i] * x[i] - b * b;
            s += t * t;
        }
        return h * s;
    }

    @Override
    protected void rowGradient(double[] x, double[] g, int d) {
        for (int i = 0; i < d; i++) {
            g[i] = 4 * h * x[i] * (x[i] * x[i] - b * b);
        }
    }

    @Override
    protected boolean separable() {
        return true;
    }

    @Override
    protected double elementGradient(double x) {
        return 4 * h * x * (x * x - b * b);
    }
}
