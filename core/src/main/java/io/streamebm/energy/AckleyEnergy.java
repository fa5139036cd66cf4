package io.streamebm.energy;

import io.streamebm.autograd.Tensor;

/**
 * The Ackley energy E(x) = −a·exp(−b·√(mean xᵢ²)) − exp(mean cos(c·xᵢ)) + a + e: a global minimum
 * 0 at the origin among many local minima. TorchEBM defaults: a = 20, b = 0.2, c = 2π.
 *
 * <p>√ has no derivative at 0, where autograd on {@link #energy} gives NaN; the fused
 * {@link #gradient} takes the first term's gradient there as 0 (its subgradient of least norm), so
 * a sampler that lands exactly on the origin keeps going.
 */
public final class AckleyEnergy extends AnalyticEnergy {

    private final double a;
    private final double b;
    private final double c;

    /** a = 20, b = 0.2, c = 2π, any dimension. */
    public AckleyEnergy() {
        this(20.0, 0.2, 2 * Math.PI);
    }

    /**
     * @param a depth of the global funnel (finite)
     * @param b its decay rate, > 0
     * @param c frequency of the ripples (finite)
     */
    public AckleyEnergy(double a, double b, double c) {
        super(-1);
        this.a = requireFinite(a, "a");
        this.b = requirePositive(b, "b");
        this.c = requireFinite(c, "c");
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        Tensor radius = x.square().mean(1).sqrt();
        Tensor first = radius.mul(-b).exp().mul(-a);
        Tensor second = x.mul(c).cos().mean(1).exp().neg();
        return first.add(second).add(a + Math.E);
    }

    @Override
    protected double rowEnergy(double[] x, int d) {
        double sq = 0;
        double cs = 0;
        for (int i = 0; i < d; i++) {
            sq += x[i] * x[i];
            cs += Math.cos(c * x[i]);
        }
        return -a * Math.exp(-b * Math.sqrt(sq / d)) - Math.exp(cs / d) + a + Math.E;
    }

    @Override
    protected void rowGradient(double[] x, double[] g, int d) {
        double sq = 0;
        double cs = 0;
        for (int i = 0; i < d; i++) {
            sq += x[i] * x[i];
            cs += Math.cos(c * x[i]);
        }
        double r = Math.sqrt(sq / d);
        double f1 = r > 0 ? a * b * Math.exp(-b * r) / (d * r) : 0;
        double f2 = Math.exp(cs / d) * c / d;
        for (int i = 0; i < d; i++) {
            g[i] = f1 * x[i] + f2 * Math.sin(c * x[i]);
        }
    }
}
