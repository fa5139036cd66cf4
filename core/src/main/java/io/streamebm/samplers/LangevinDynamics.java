package io.streamebm.samplers;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedLangevinKernel;
import io.streamebm.runtime.RandomSource;
import io.streamebm.schedules.Schedule;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Unadjusted Langevin dynamics: x ← x − η∇E(x) + s·√(2η)·ξ with ξ ~ N(0, I), as in TorchEBM.
 *
 * <p>With noise scale s = 1 the chains target p ∝ exp(−E) up to an O(η) bias (on N(0, σ²) the
 * stationary variance is exactly σ²/(1 − η/(2σ²))). Options, each set by a {@code with…} method
 * that returns a new sampler sharing this one's random source: noise scale, schedules for the step
 * size and the noise scale (indexed by the step within each call, 0-based, as TorchEBM resets its
 * schedulers per call), per-element gradient clipping by value, a clamp box applied after every
 * step, and the random source (default seed {@value ChainSampler#DEFAULT_SEED}).
 *
 * <p>The loop is in place and allocation-free: the update is one Java pass over the chain buffer,
 * the gradient goes into a reused buffer for {@link io.streamebm.energy.fused.FusedGradient} energies, and
 * energies implementing {@link FusedLangevinKernel} run the whole step in their own pass. Each step
 * draws its normals in one bulk call into a reused buffer, in C order, on every path, so fused and
 * unfused runs agree for a seed.
 */
public final class LangevinDynamics extends ChainSampler {

    private final Schedule stepSize;
    private final Schedule noiseScale;
    private final double gradClip;
    private final double clampLo;
    private final double clampHi;

    /**
     * @param model    the target energy
     * @param stepSize η > 0 (TorchEBM's default is 1e-3)
     */
    public LangevinDynamics(EnergyFunction model, double stepSize) {
        this(model, constant(stepSize, "stepSize"), constant(1.0, "noiseScale"), Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, null);
    }

    private LangevinDynamics(EnergyFunction model, Schedule stepSize, Schedule noiseScale, double gradClip,
            double clampLo, double clampHi, RandomSource random) {
        super(model, random);
        this.stepSize = stepSize;
        this.noiseScale = noiseScale;
        this.gradClip = gradClip;
        this.clampLo = clampLo;
        this.clampHi = clampHi;
    }

    private static Schedule constant(double v, String what) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + v);
        }
        return step -> v;
    }

    /** The same sampler with noise scale s (0 gives gradient descent; 1 samples p). */
    public LangevinDynamics withNoiseScale(double s) {
        if (!(s >= 0) || !Double.isFinite(s)) {
            throw new IllegalArgumentException("noiseScale must be finite and >= 0, got " + s);
        }
        return new LangevinDynamics(model, stepSize, step -> s, gradClip, clampLo, clampHi, random);
    }

    /** The same sampler with a step-size schedule (values must stay > 0). */
    public LangevinDynamics withStepSizeSchedule(Schedule schedule) {
        if (schedule == null) {
            throw new IllegalArgumentException("step-size schedule is null");
        }
        return new LangevinDynamics(model, schedule, noiseScale, gradClip, clampLo, clampHi, random);
    }

    /** The same sampler with a noise-scale schedule (values must stay >= 0). */
    public LangevinDynamics withNoiseScaleSchedule(Schedule schedule) {
        if (schedule == null) {
            throw new IllegalArgumentException("noise-scale schedule is null");
        }
        return new LangevinDynamics(model, stepSize, schedule, gradClip, clampLo, clampHi, random);
    }

    /** The same sampler clipping each gradient element to [−c, c] (IGEBM used 0.01). */
    public LangevinDynamics withGradientClip(double c) {
        if (!(c > 0)) {
            throw new IllegalArgumentException("gradient clip must be > 0, got " + c);
        }
        return new LangevinDynamics(model, stepSize, noiseScale, c, clampLo, clampHi, random);
    }

    /** The same sampler clamping every coordinate into [lo, hi] after each step. */
    public LangevinDynamics withClamp(double lo, double hi) {
        if (Double.isNaN(lo) || Double.isNaN(hi) || !(lo < hi)) {
            throw new IllegalArgumentException("clamp needs lo < hi, got [" + lo + ", " + hi + "]");
        }
        return new LangevinDynamics(model, stepSize, noiseScale, gradClip, lo, hi, random);
    }

    /** The same sampler drawing from {@code source}. */
    public LangevinDynamics withRandom(RandomSource source) {
        if (source == null) {
            throw new IllegalArgumentException("random source is null");
        }
        return new LangevinDynamics(model, stepSize, noiseScale, gradClip, clampLo, clampHi, source);
    }

    /** The same sampler with a fresh random source seeded with {@code seed}. */
    public LangevinDynamics withSeed(long seed) {
        return withRandom(new RandomSource(seed));
    }

    private boolean unbounded() {
        return gradClip == Double.POSITIVE_INFINITY && clampLo == Double.NEGATIVE_INFINITY
                && clampHi == Double.POSITIVE_INFINITY;
    }

    /** The step size η at 0-based step {@code step} of a call. */
    public double stepSizeAt(long step) {
        return stepSize.valueAt(step);
    }

    /** The noise scale s at 0-based step {@code step} of a call. */
    public double noiseScaleAt(long step) {
        return noiseScale.valueAt(step);
    }

    private float[] noise = new float[0];
    private float[] chainCopy = new float[0];

    private float[] noiseBuffer(int len) {
        if (noise.length != len) {
            noise = new float[len];
        }
        return noise;
    }

    @Override
    protected void steps(INDArray chains, long firstStep, int nSteps) {
        int n = (int) chains.size(0);
        int d = (int) chains.size(1);
        FusedLangevinKernel.Stepper fused = null;
        if (chains.dataType() == DataType.FLOAT && model instanceof FusedLangevinKernel kernel) {
            fused = kernel.langevinStepper(d, DataType.FLOAT);
        }
        boolean isFloat = chains.dataType() == DataType.FLOAT;
        FloatBuffer xf = isFloat ? chains.data().asNioFloat() : null;
        DoubleBuffer xd = isFloat ? null : chains.data().asNioDouble();
        int len = n * d;
        float[] noiseF = isFloat ? noiseBuffer(len) : null;
        float[] xs = null;
        if (fused != null) {
            if (chainCopy.length != len) {
                chainCopy = new float[len];
            }
            xs = chainCopy;
            xf.get(0, xs);
        }
        double[] noiseD = isFloat ? null : new double[len];
        for (int s = 0; s < nSteps; s++) {
            long step = firstStep + s;
            double eta = stepSize.valueAt(step);
            double scale = noiseScale.valueAt(step);
            if (!(eta > 0) || !Double.isFinite(eta)) {
                throw new IllegalStateException("step-size schedule gave " + eta + " at step " + step);
            }
            if (!(scale >= 0) || !Double.isFinite(scale)) {
                throw new IllegalStateException("noise-scale schedule gave " + scale + " at step " + step);
            }
            double noiseStd = scale * Math.sqrt(2 * eta);
            if (isFloat) {
                random.fillGaussian(noiseF, 0, len, 1.0);
            } else {
                random.fillGaussian(noiseD, 0, len, 1.0);
            }
            if (fused != null) {
                fused.step(xs, n, (float) eta, (float) noiseStd, (float) gradClip, (float) clampLo, (float) clampHi,
                        noiseF);
                continue;
            }
            INDArray grad = gradient(chains);
            if (isFloat) {
                FloatBuffer g = grad.data().asNioFloat();
                float e = (float) eta;
                float ns = (float) noiseStd;
                float c = (float) gradClip;
                float lo = (float) clampLo;
                float hi = (float) clampHi;
                if (unbounded()) {
                    for (int i = 0; i < len; i++) {
                        xf.put(i, xf.get(i) - e * g.get(i) + ns * noiseF[i]);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        float gi = Math.max(-c, Math.min(c, g.get(i)));
                        float v = xf.get(i) - e * gi + ns * noiseF[i];
                        xf.put(i, Math.max(lo, Math.min(hi, v)));
                    }
                }
            } else {
                DoubleBuffer g = grad.data().asNioDouble();
                for (int i = 0; i < len; i++) {
                    double gi = Math.max(-gradClip, Math.min(gradClip, g.get(i)));
                    double v = xd.get(i) - eta * gi + noiseStd * noiseD[i];
                    xd.put(i, Math.max(clampLo, Math.min(clampHi, v)));
                }
            }
        }
        if (xs != null) {
            xf.put(0, xs);
        }
    }
}
