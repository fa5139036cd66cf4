package io.streamebm.samplers;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Hamiltonian Monte Carlo with a leapfrog integrator and a per-chain Metropolis test, as in
 * TorchEBM (defaults there: step 1e-3, 10 leapfrog steps).
 *
 * <p>Each step draws momenta p ~ N(0, M) with a diagonal mass M (identity by default), runs L
 * leapfrog steps of size ε on H(x, p) = E(x) + ½pᵀM⁻¹p, and accepts each chain with probability
 * min(1, exp(H₀ − H₁)). A proposal whose energy is not finite (a diverged trajectory) is rejected.
 * The acceptance rate falls as ε grows, which is how ε is tuned.
 */
public final class HamiltonianMonteCarlo extends ChainSampler {

    private final double stepSize;
    private final int leapfrogSteps;
    private final double[] mass;

    /**
     * @param model          the target energy
     * @param stepSize       leapfrog step ε > 0
     * @param nLeapfrogSteps L ≥ 1
     */
    public HamiltonianMonteCarlo(EnergyFunction model, double stepSize, int nLeapfrogSteps) {
        this(model, stepSize, nLeapfrogSteps, null, null);
    }

    /**
     * @param model          the target energy
     * @param stepSize       leapfrog step ε > 0
     * @param nLeapfrogSteps L ≥ 1
     * @param diagonalMass   the diagonal of M ({@code d} positive values), or null for identity
     * @param random         the random source, or null for the default seed
     */
    public HamiltonianMonteCarlo(EnergyFunction model, double stepSize, int nLeapfrogSteps, double[] diagonalMass,
            RandomSource random) {
        super(model, random);
        if (!(stepSize > 0) || !Double.isFinite(stepSize)) {
            throw new IllegalArgumentException("stepSize must be finite and > 0, got " + stepSize);
        }
        if (nLeapfrogSteps < 1) {
            throw new IllegalArgumentException("nLeapfrogSteps must be >= 1, got " + nLeapfrogSteps);
        }
        if (diagonalMass != null) {
            if (model.dimension() > 0 && diagonalMass.length != model.dimension()) {
                throw new IllegalArgumentException("diagonal mass has " + diagonalMass.length
                        + " entries but the model's dimension is " + model.dimension());
            }
            for (double m : diagonalMass) {
                if (!(m > 0) || !Double.isFinite(m)) {
                    throw new IllegalArgumentException("diagonal mass entries must be finite and > 0, got "
                            + Arrays.toString(diagonalMass));
                }
            }
        }
        this.stepSize = stepSize;
        this.leapfrogSteps = nLeapfrogSteps;
        this.mass = diagonalMass == null ? null : diagonalMass.clone();
    }

    /** The same sampler with a diagonal mass matrix. */
    public HamiltonianMonteCarlo withMass(double... diagonalMass) {
        return new HamiltonianMonteCarlo(model, stepSize, leapfrogSteps, diagonalMass, random);
    }

    /** The same sampler with a fresh random source seeded with {@code seed}. */
    public HamiltonianMonteCarlo withSeed(long seed) {
        return new HamiltonianMonteCarlo(model, stepSize, leapfrogSteps, mass, new RandomSource(seed));
    }

    /** ε. */
    public double stepSize() {
        return stepSize;
    }

    /** L. */
    public int leapfrogSteps() {
        return leapfrogSteps;
    }

    @Override
    protected void steps(INDArray chains, long firstStep, int nSteps) {
        int n = (int) chains.size(0);
        int d = (int) chains.size(1);
        if (mass != null && mass.length != d) {
            throw new IllegalArgumentException("diagonal mass has " + mass.length + " entries but chains have "
                    + d + " dimensions");
        }
        int len = n * d;
        double eps = stepSize;
        double[] invMass = new double[d];
        double[] sqrtMass = new double[d];
        for (int j = 0; j < d; j++) {
            double m = mass == null ? 1.0 : mass[j];
            invMass[j] = 1 / m;
            sqrtMass[j] = Math.sqrt(m);
        }
        FlatView x = FlatView.of(chains);
        INDArray qArray = Nd4j.create(chains.dataType(), n, d);
        FlatView q = FlatView.of(qArray);
        double[] p = new double[len];
        double[] h0 = new double[n];
        boolean[] diverged = new boolean[n];
        for (int s = 0; s < nSteps; s++) {
            Arrays.fill(diverged, false);
            double[] e0 = model.energyValues(chains).castTo(DataType.DOUBLE).toDoubleVector();
            for (int i = 0; i < n; i++) {
                double k = 0;
                for (int j = 0, idx = i * d; j < d; j++, idx++) {
                    double pj = sqrtMass[j] * random.nextGaussian();
                    p[idx] = pj;
                    k += pj * pj * invMass[j];
                    q.set(idx, x.get(idx));
                }
                h0[i] = e0[i] + 0.5 * k;
            }
            // Leapfrog: half momentum step, L position steps with full momentum steps between, half step.
            halfOrFullMomentum(qArray, p, 0.5 * eps, len);
            for (int l = 0; l < leapfrogSteps; l++) {
                for (int idx = 0; idx < len; idx++) {
                    q.set(idx, q.get(idx) + eps * p[idx] * invMass[idx % d]);
                }
                freezeDiverged(x, q, p, diverged, n, d);
                halfOrFullMomentum(qArray, p, l == leapfrogSteps - 1 ? 0.5 * eps : eps, len);
            }
            double[] e1 = model.energyValues(qArray).castTo(DataType.DOUBLE).toDoubleVector();
            int acc = 0;
            for (int i = 0; i < n; i++) {
                double k = 0;
                for (int j = 0, idx = i * d; j < d; j++, idx++) {
                    k += p[idx] * p[idx] * invMass[j];
                }
                double h1 = e1[i] + 0.5 * k;
                boolean accept = !diverged[i] && Double.isFinite(h1) && Math.log(1.0 - random.nextDouble()) < h0[i] - h1;
                if (accept) {
                    acc++;
                    for (int idx = i * d; idx < (i + 1) * d; idx++) {
                        x.set(idx, q.get(idx));
                    }
                }
            }
            proposals += n;
            accepted += acc;
        }
    }

    /**
     * A trajectory that left the finite numbers is rejected anyway; its row is reset to the current
     * state so that the energy's input validation never sees a non-finite batch.
     */
    private static void freezeDiverged(FlatView x, FlatView q, double[] p, boolean[] diverged, int n, int d) {
        for (int i = 0; i < n; i++) {
            if (diverged[i]) {
                continue;
            }
            boolean finite = true;
            for (int idx = i * d; idx < (i + 1) * d && finite; idx++) {
                finite = Double.isFinite(q.get(idx)) && Double.isFinite(p[idx]);
            }
            if (!finite) {
                diverged[i] = true;
                for (int idx = i * d; idx < (i + 1) * d; idx++) {
                    q.set(idx, x.get(idx));
                    p[idx] = 0;
                }
            }
        }
    }

    private void halfOrFullMomentum(INDArray qArray, double[] p, double h, int len) {
        FlatView g = FlatView.of(gradient(qArray));
        for (int idx = 0; idx < len; idx++) {
            p[idx] -= h * g.get(idx);
        }
    }
}
