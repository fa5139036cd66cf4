package io.streamebm.samplers;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Metropolis-adjusted Langevin algorithm (MALA): a Langevin proposal
 * y = x − η∇E(x) + √(2η)·ξ accepted per chain with probability
 * min(1, exp(E(x) − E(y) + log q(x|y) − log q(y|x))), where log q(y|x) = −‖y − x + η∇E(x)‖²/(4η).
 * Unlike unadjusted Langevin it targets p ∝ exp(−E) exactly, at any step size; the acceptance rate
 * (optimal near 0.574 in high dimension) tells whether η is well chosen.
 *
 * <p>Energies and gradients of the current states are kept between steps, so each step costs one
 * energy and one gradient evaluation. A proposal with a non-finite energy is rejected.
 */
public final class MetropolisAdjustedLangevin extends ChainSampler {

    private final double stepSize;

    /**
     * @param model    the target energy
     * @param stepSize η > 0
     */
    public MetropolisAdjustedLangevin(EnergyFunction model, double stepSize) {
        this(model, stepSize, null);
    }

    /**
     * @param model    the target energy
     * @param stepSize η > 0
     * @param random   the random source; null for the default seed {@value ChainSampler#DEFAULT_SEED}
     */
    public MetropolisAdjustedLangevin(EnergyFunction model, double stepSize, RandomSource random) {
        super(model, random);
        if (!(stepSize > 0) || !Double.isFinite(stepSize)) {
            throw new IllegalArgumentException("stepSize must be finite and > 0, got " + stepSize);
        }
        this.stepSize = stepSize;
    }

    /** The same sampler with a fresh random source seeded with {@code seed}. */
    public MetropolisAdjustedLangevin withSeed(long seed) {
        return new MetropolisAdjustedLangevin(model, stepSize, new RandomSource(seed));
    }

    /** η. */
    public double stepSize() {
        return stepSize;
    }

    @Override
    protected void steps(INDArray chains, long firstStep, int nSteps) {
        int n = (int) chains.size(0);
        int d = (int) chains.size(1);
        int len = n * d;
        double eta = stepSize;
        double noise = Math.sqrt(2 * eta);
        FlatView x = FlatView.of(chains);
        INDArray proposalArray = Nd4j.create(chains.dataType(), n, d);
        FlatView y = FlatView.of(proposalArray);
        double[] ex = model.energyValues(chains).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
        double[] gx = gradient(chains).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble();
        double[] gy = new double[len];
        double[] logForward = new double[n];
        boolean[] diverged = new boolean[n];
        for (int s = 0; s < nSteps; s++) {
            for (int i = 0; i < n; i++) {
                double lq = 0;
                boolean finite = true;
                for (int j = 0, k = i * d; j < d; j++, k++) {
                    double xi = noise * random.nextGaussian();
                    double v = x.get(k) - eta * gx[k] + xi;
                    y.set(k, v);
                    finite &= Double.isFinite((float) v);
                    lq += xi * xi;
                }
                logForward[i] = -lq / (4 * eta);
                diverged[i] = !finite;
                if (!finite) {
                    // Rejected below; keep the batch finite for the energy's input validation.
                    for (int k = i * d; k < (i + 1) * d; k++) {
                        y.set(k, x.get(k));
                    }
                }
            }
            double[] ey = model.energyValues(proposalArray).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                    .toDoubleVector();
            INDArray g = gradient(proposalArray);
            FlatView gv = FlatView.of(g);
            for (int k = 0; k < len; k++) {
                gy[k] = gv.get(k);
            }
            int acc = 0;
            for (int i = 0; i < n; i++) {
                double lb = 0;
                for (int j = 0, k = i * d; j < d; j++, k++) {
                    // q(x|y): the reverse move from y back to x.
                    double r = x.get(k) - y.get(k) + eta * gy[k];
                    lb += r * r;
                }
                double logAlpha = ex[i] - ey[i] - lb / (4 * eta) - logForward[i];
                boolean accept = !diverged[i] && Double.isFinite(ey[i]) && Math.log(1.0 - random.nextDouble()) < logAlpha;
                if (accept) {
                    acc++;
                    ex[i] = ey[i];
                    for (int j = 0, k = i * d; j < d; j++, k++) {
                        x.set(k, y.get(k));
                        gx[k] = gy[k];
                    }
                }
            }
            proposals += n;
            accepted += acc;
        }
    }
}
