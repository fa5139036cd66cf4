package io.streamebm.energy;

import io.streamebm.energy.fused.FusedGradient;
import io.streamebm.energy.fused.FusedLangevinKernel;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base of the closed-form test energies (double well, harmonic, Rosenbrock, Ackley, Rastrigin):
 * fixed, parameter-free energies of any dimension whose value and gradient are given per row in
 * plain Java. The recorded {@link #energy} is written with tensor operations as usual; the row
 * forms give a fused gradient, fast energy values and a fused Langevin step, all in FLOAT or
 * DOUBLE, because for these cheap functions the fixed cost of ND4J ops would dominate.
 */
public abstract class AnalyticEnergy extends BaseEnergyFunction implements FusedGradient, FusedLangevinKernel {

    /**
     * @param dimension the input dimension d, or −1 to accept any
     */
    protected AnalyticEnergy(int dimension) {
        super(dimension);
    }

    /** E of one point {@code x[0..d)}. */
    protected abstract double rowEnergy(double[] x, int d);

    /** Writes ∇E of one point {@code x[0..d)} into {@code g[0..d)}. */
    protected abstract void rowGradient(double[] x, double[] g, int d);

    /**
     * For energies that are a sum of one function per coordinate, its derivative at {@code x}, and
     * NaN otherwise (the default). Separable energies get an element-wise fused Langevin loop
     * without per-row copies.
     */
    protected double elementGradient(double x) {
        return Double.NaN;
    }

    /** Whether {@link #elementGradient(double)} is implemented. */
    protected boolean separable() {
        return false;
    }

    /** Smallest dimension the formula makes sense for (Rosenbrock needs 2). */
    protected int minimumDimension() {
        return 1;
    }

    private void checkBatch(INDArray x) {
        checkInput(x);
        if (x.size(1) < minimumDimension()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs dimension >= "
                    + minimumDimension() + ", got " + x.size(1));
        }
    }

    @Override
    public INDArray energyValues(INDArray x) {
        checkBatch(x);
        INDArray in = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        int n = (int) in.size(0);
        int d = (int) in.size(1);
        double[] row = new double[d];
        double[] e = new double[n];
        boolean isFloat = in.dataType() == DataType.FLOAT;
        FloatBuffer fb = isFloat ? in.data().asNioFloat() : null;
        DoubleBuffer db = isFloat ? null : in.data().asNioDouble();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                row[j] = isFloat ? fb.get(i * d + j) : db.get(i * d + j);
            }
            e[i] = rowEnergy(row, d);
        }
        return Nd4j.createFromArray(e).castTo(in.dataType());
    }

    @Override
    public INDArray gradient(INDArray x) {
        checkBatch(x);
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1));
        gradientInto(x, out);
        return out;
    }

    @Override
    public void gradientInto(INDArray x, INDArray out) {
        INDArray in = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        INDArray target = out.ordering() == 'c' && !out.isView() && out.dataType() == in.dataType()
                ? out : Nd4j.createUninitialized(in.dataType(), in.size(0), in.size(1));
        int n = (int) in.size(0);
        int d = (int) in.size(1);
        double[] row = new double[d];
        double[] g = new double[d];
        if (in.dataType() == DataType.FLOAT) {
            FloatBuffer xb = in.data().asNioFloat();
            FloatBuffer ob = target.data().asNioFloat();
            for (int i = 0, o = 0; i < n; i++, o += d) {
                for (int j = 0; j < d; j++) {
                    row[j] = xb.get(o + j);
                }
                rowGradient(row, g, d);
                for (int j = 0; j < d; j++) {
                    ob.put(o + j, (float) g[j]);
                }
            }
        } else {
            DoubleBuffer xb = in.data().asNioDouble();
            DoubleBuffer ob = target.data().asNioDouble();
            for (int i = 0, o = 0; i < n; i++, o += d) {
                for (int j = 0; j < d; j++) {
                    row[j] = xb.get(o + j);
                }
                rowGradient(row, g, d);
                for (int j = 0; j < d; j++) {
                    ob.put(o + j, g[j]);
                }
            }
        }
        if (target != out) {
            out.assign(target);
        }
    }

    @Override
    public Stepper langevinStepper(int d, DataType type) {
        if (type != DataType.FLOAT || d < minimumDimension() || (dimension() > 0 && d != dimension())) {
            return null;
        }
        if (separable()) {
            return (x, n, eta, noiseStd, clip, lo, hi, noise) -> {
                int len = n * d;
                if (clip == Float.POSITIVE_INFINITY && lo == Float.NEGATIVE_INFINITY
                        && hi == Float.POSITIVE_INFINITY) {
                    for (int i = 0; i < len; i++) {
                        float xi = x[i];
                        x[i] = xi - eta * (float) elementGradient(xi) + noiseStd * noise[i];
                    }
                    return;
                }
                for (int i = 0; i < len; i++) {
                    float xi = x[i];
                    float gi = Math.max(-clip, Math.min(clip, (float) elementGradient(xi)));
                    x[i] = Math.max(lo, Math.min(hi, xi - eta * gi + noiseStd * noise[i]));
                }
            };
        }
        double[] row = new double[d];
        double[] g = new double[d];
        return (x, n, eta, noiseStd, clip, lo, hi, noise) -> {
            for (int i = 0, o = 0; i < n; i++, o += d) {
                for (int j = 0; j < d; j++) {
                    row[j] = x[o + j];
                }
                rowGradient(row, g, d);
                for (int j = 0; j < d; j++) {
                    float gj = Math.max(-clip, Math.min(clip, (float) g[j]));
                    float v = (float) row[j] - eta * gj + noiseStd * noise[o + j];
                    x[o + j] = Math.max(lo, Math.min(hi, v));
                }
            }
        };
    }

    static double requirePositive(double v, String what) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + v);
        }
        return v;
    }

    static double requireFinite(double v, String what) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite, got " + v);
        }
        return v;
    }
}
