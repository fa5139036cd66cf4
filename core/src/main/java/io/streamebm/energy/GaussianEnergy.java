package io.streamebm.energy;

import io.streamebm.energy.fused.FusedGradient;
import io.streamebm.energy.fused.FusedLangevinKernel;
import io.streamebm.internal.Inputs;
import io.streamebm.internal.Linalg;

import io.streamebm.autograd.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Gaussian energy E(x) = ½(x−μ)ᵀP(x−μ) with precision P = Σ⁻¹, trainable and normalized.
 *
 * <p>Its parameters are the mean μ ({@code [d]}) and a raw factor R ({@code [d, d]}) of the
 * precision: P = L Lᵀ where L takes the strictly lower triangle of R and exp of its diagonal (the
 * upper triangle is ignored and receives a zero gradient). Every real R therefore gives a positive
 * definite P, so an optimizer can never step into an invalid model, and log det P = 2 Σ Rᵢᵢ makes
 * the normalizer log Z = d/2·log 2π − Σ Rᵢᵢ exact and cheap to differentiate.
 *
 * <p>It works in the data type of the mean it is given (FLOAT or DOUBLE). The input gradient is
 * fused, (x−μ)P = xP − μP by one GEMM; for float32 chains of up to {@value #FUSED_MAX_DIM}
 * dimensions the whole Langevin step is fused into one Java pass.
 */
public final class GaussianEnergy extends BaseEnergyFunction
        implements NormalizedEnergy, FusedGradient, FusedLangevinKernel {

    /** Largest dimension for which the fused Langevin step (O(d²) Java per chain) beats GEMM. */
    public static final int FUSED_MAX_DIM = 8;

    private final int d;
    private final DataType type;
    private final Tensor mean;
    private final Tensor rawFactor;
    private final Tensor strictLowerMask;
    private final Tensor diagonalMask;

    // Cache of P and μP for gradientInto, keyed by a snapshot of the parameter values: optimizers
    // update parameters in place, so a value comparison is the only reliable staleness test.
    private final double[] snapshot;
    private boolean cacheValid;
    private final INDArray precisionCache;
    private final INDArray meanTimesPrecision;

    /**
     * @param mean μ as {@code [d]} (or {@code [1, d]}); its data type is the model's
     * @param cov  Σ as {@code [d, d]}: finite, symmetric and positive definite
     * @throws IllegalArgumentException naming what is wrong with either argument
     */
    public GaussianEnergy(INDArray mean, INDArray cov) {
        super(dimensionOf(mean));
        this.d = dimension();
        this.type = mean.dataType();
        Inputs.requireFinite(mean, "GaussianEnergy mean");
        if (cov == null) {
            throw new IllegalArgumentException("GaussianEnergy covariance is null");
        }
        if (cov.rank() != 2 || cov.size(0) != d || cov.size(1) != d) {
            throw new IllegalArgumentException("GaussianEnergy covariance must be [" + d + ", " + d
                    + "] to match the mean, got shape " + Arrays.toString(cov.shape()));
        }
        double[][] sigma = Linalg.symmetricMatrix(cov, "GaussianEnergy covariance");
        Linalg.cholesky(sigma, "GaussianEnergy covariance");
        double[][] precision = Linalg.inverseSpd(sigma, "GaussianEnergy covariance");
        double[][] l = Linalg.cholesky(precision, "GaussianEnergy precision (inverse covariance)");
        double[][] raw = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                raw[i][j] = l[i][j];
            }
            raw[i][i] = Math.log(l[i][i]);
        }
        this.mean = parameter(mean.reshape(d).castTo(type).dup('c'));
        this.rawFactor = parameter(Linalg.toArray(raw, type).dup('c'));
        INDArray lower = Nd4j.create(type, d, d);
        INDArray diag = Nd4j.create(type, d, d);
        for (int i = 0; i < d; i++) {
            diag.putScalar(i, i, 1.0);
            for (int j = 0; j < i; j++) {
                lower.putScalar(i, j, 1.0);
            }
        }
        this.strictLowerMask = Tensor.constant(lower);
        this.diagonalMask = Tensor.constant(diag);
        this.snapshot = new double[d + d * d];
        this.precisionCache = Nd4j.create(type, d, d);
        this.meanTimesPrecision = Nd4j.create(type, 1, d);
    }

    private static int dimensionOf(INDArray mean) {
        if (mean == null) {
            throw new IllegalArgumentException("GaussianEnergy mean is null");
        }
        if (mean.dataType() != DataType.FLOAT && mean.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("GaussianEnergy mean must be FLOAT or DOUBLE, got " + mean.dataType());
        }
        boolean vector = mean.rank() == 1 || (mean.rank() == 2 && mean.size(0) == 1);
        if (!vector || mean.length() == 0) {
            throw new IllegalArgumentException("GaussianEnergy mean must be a vector [d], got shape "
                    + Arrays.toString(mean.shape()));
        }
        return (int) mean.length();
    }

    /** The precision factor L (lower triangular, positive diagonal) as a differentiable tensor. */
    public Tensor precisionFactorTensor() {
        return rawFactor.mul(strictLowerMask).add(rawFactor.mul(diagonalMask).exp().mul(diagonalMask));
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        Tensor in = x.dataType() == type ? x : x.castTo(type);
        Tensor y = in.sub(mean).matmul(precisionFactorTensor());
        return y.square().sum(1).mul(0.5);
    }

    /** log Z = d/2·log 2π − ½ log det P = d/2·log 2π + ½ log det Σ, differentiable in the parameters. */
    @Override
    public Tensor logPartition() {
        return rawFactor.mul(diagonalMask).sum().neg().add(0.5 * d * Math.log(2 * Math.PI));
    }

    /** The mean parameter tensor μ ({@code [d]}), for losses that address it directly. */
    public Tensor meanParameter() {
        return mean;
    }

    /** The raw precision factor R ({@code [d, d]}), see the class comment. */
    public Tensor rawPrecisionFactor() {
        return rawFactor;
    }

    /** A copy of the current mean, {@code [d]}. */
    public INDArray mean() {
        return mean.value().dup();
    }

    /** The current precision P = L Lᵀ, a new {@code [d, d]} array. */
    public INDArray precision() {
        return Linalg.toArray(precisionDouble(), type);
    }

    /** The current covariance Σ = P⁻¹, a new {@code [d, d]} array. */
    public INDArray covariance() {
        double[][] l = factorDouble();
        double[][] linv = Linalg.invertLower(l);
        // Σ = (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹
        return Linalg.toArray(Linalg.transposeMultiply(linv, linv), type);
    }

    /** The current precision factor L, a new {@code [d, d]} lower-triangular array. */
    public INDArray precisionFactor() {
        return Linalg.toArray(factorDouble(), type);
    }

    private double[][] factorDouble() {
        double[][] raw = Linalg.toDouble(rawFactor.value());
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                l[i][j] = raw[i][j];
            }
            l[i][i] = Math.exp(raw[i][i]);
        }
        return l;
    }

    private double[][] precisionDouble() {
        double[][] l = factorDouble();
        return Linalg.multiplyTransposed(l, l);
    }

    @Override
    public INDArray gradient(INDArray x) {
        checkInput(x);
        INDArray in = x.dataType() == type ? x : x.castTo(type);
        INDArray out = Nd4j.createUninitialized(type, in.size(0), d);
        gradientInto(in, out);
        return x.dataType() == type ? out : out.castTo(x.dataType());
    }

    @Override
    public void gradientInto(INDArray x, INDArray out) {
        refreshCache();
        if (x.dataType() != type) {
            Nd4j.gemm(x.castTo(type), precisionCache, out, false, false, 1.0, 0.0);
        } else {
            Nd4j.gemm(x, precisionCache, out, false, false, 1.0, 0.0);
        }
        out.subiRowVector(meanTimesPrecision);
    }

    private void refreshCache() {
        DataBuffer mb = mean.value().data();
        DataBuffer rb = rawFactor.value().data();
        boolean same = cacheValid;
        for (int i = 0; i < d && same; i++) {
            same = snapshot[i] == mb.getDouble(i);
        }
        for (int i = 0; i < d * d && same; i++) {
            same = snapshot[d + i] == rb.getDouble(i);
        }
        if (same) {
            return;
        }
        for (int i = 0; i < d; i++) {
            snapshot[i] = mb.getDouble(i);
        }
        for (int i = 0; i < d * d; i++) {
            snapshot[d + i] = rb.getDouble(i);
        }
        double[][] p = precisionDouble();
        double[] mu = new double[d];
        System.arraycopy(snapshot, 0, mu, 0, d);
        for (int j = 0; j < d; j++) {
            double c = 0;
            for (int k = 0; k < d; k++) {
                precisionCache.putScalar(k, j, p[k][j]);
                c += mu[k] * p[k][j];
            }
            meanTimesPrecision.putScalar(0, j, c);
        }
        cacheValid = true;
    }

    @Override
    public Stepper langevinStepper(int dimension, DataType dataType) {
        if (dimension != d || dataType != DataType.FLOAT || d > FUSED_MAX_DIM) {
            return null;
        }
        double[][] p = precisionDouble();
        INDArray mv = mean.value();
        float[] pf = new float[d * d];
        float[] cf = new float[d];
        for (int j = 0; j < d; j++) {
            double c = 0;
            for (int k = 0; k < d; k++) {
                pf[k * d + j] = (float) p[k][j];
                c += mv.getDouble(k) * p[k][j];
            }
            cf[j] = (float) c;
        }
        if (d == 2) {
            return new Stepper2(pf, cf);
        }
        return new StepperN(d, pf, cf);
    }

    /** d = 2, unrolled: the TorchEBM benchmark case, 10,000 chains × 1,000 steps. */
    private static final class Stepper2 implements Stepper {
        private final float p00;
        private final float p01;
        private final float p10;
        private final float p11;
        private final float c0;
        private final float c1;

        Stepper2(float[] p, float[] c) {
            p00 = p[0];
            p01 = p[1];
            p10 = p[2];
            p11 = p[3];
            c0 = c[0];
            c1 = c[1];
        }

        @Override
        public void step(float[] x, int n, float eta, float noiseStd, float clip, float lo, float hi,
                float[] noise) {
            if (clip == Float.POSITIVE_INFINITY && lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY) {
                // The common case, without the min/max chains (NaN-aware float min/max is not free).
                float a00 = 1 - eta * p00;
                float a01 = -eta * p01;
                float a10 = -eta * p10;
                float a11 = 1 - eta * p11;
                float b0 = eta * c0;
                float b1 = eta * c1;
                for (int o = 0; o < 2 * n; o += 2) {
                    float x0 = x[o];
                    float x1 = x[o + 1];
                    x[o] = x0 * a00 + x1 * a10 + b0 + noiseStd * noise[o];
                    x[o + 1] = x0 * a01 + x1 * a11 + b1 + noiseStd * noise[o + 1];
                }
                return;
            }
            for (int i = 0, o = 0; i < n; i++, o += 2) {
                float x0 = x[o];
                float x1 = x[o + 1];
                float g0 = Math.max(-clip, Math.min(clip, x0 * p00 + x1 * p10 - c0));
                float g1 = Math.max(-clip, Math.min(clip, x0 * p01 + x1 * p11 - c1));
                float n0 = noise[o];
                float n1 = noise[o + 1];
                x[o] = Math.max(lo, Math.min(hi, x0 - eta * g0 + noiseStd * n0));
                x[o + 1] = Math.max(lo, Math.min(hi, x1 - eta * g1 + noiseStd * n1));
            }
        }
    }

    /** Small d: O(d²) per chain in Java, still cheaper than the fixed cost of ND4J ops. */
    private static final class StepperN implements Stepper {
        private final int d;
        private final float[] p;
        private final float[] c;
        private final float[] row;

        StepperN(int d, float[] p, float[] c) {
            this.d = d;
            this.p = p;
            this.c = c;
            this.row = new float[d];
        }

        @Override
        public void step(float[] x, int n, float eta, float noiseStd, float clip, float lo, float hi,
                float[] noise) {
            for (int i = 0; i < n; i++) {
                int o = i * d;
                for (int k = 0; k < d; k++) {
                    row[k] = x[o + k];
                }
                for (int j = 0; j < d; j++) {
                    float g = -c[j];
                    for (int k = 0; k < d; k++) {
                        g += row[k] * p[k * d + j];
                    }
                    g = Math.max(-clip, Math.min(clip, g));
                    x[o + j] = Math.max(lo, Math.min(hi, row[j] - eta * g + noiseStd * noise[o + j]));
                }
            }
        }
    }
}
