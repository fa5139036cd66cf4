package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/** The harmonic energy E(x) = ½k‖x‖², a standard normal scaled by 1/√k. TorchEBM default: k = 1. */
public final class HarmonicEnergy extends AnalyticEnergy {

    private final double k;

    /** k = 1, any dimension. */
    public HarmonicEnergy() {
        this(1.0);
    }

    /** @param k the spring constant, > 0 */
    public HarmonicEnergy(double k) {
        super(-1);
        this.k = requirePositive(k, "k");
    }

    /** k. */
    public double k() {
        return k;
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        return x.square().sum(1).mul(0.5 * k);
    }

    @Override
    protected double rowEnergy(double[] x, int d) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            s += x[i] * x[i];
        }
        return 0.5 * k * s;
    }

    @Override
    protected void rowGradient(double[] x, double[] g, int d) {
        for (int i = 0; i < d; i++) {
            g[i] = k * x[i];
        }
    }

    @Override
    protected boolean separable() {
        return true;
    }

    @Override
    protected double elementGradient(double x) {
        return k * x;
    }
}
