package io.streamebm.distributions;

import io.streamebm.autograd.Tensor;
import io.streamebm.internal.HostArrays;
import io.streamebm.internal.Inputs;
import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.runtime.RandomSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The isotropic normal N(μ·1, σ²I) in any dimension: each coordinate independently N(μ, σ²). The
 * usual NCE noise and chain initialiser.
 */
public final class Normal implements Distribution {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    private final double mean;
    private final double std;
    private final DataType type;

    /** N(mean, std²) per coordinate, sampling FLOAT. */
    public Normal(double mean, double std) {
        this(mean, std, DataType.FLOAT);
    }

    /**
     * @param mean per-coordinate mean (finite)
     * @param std  per-coordinate standard deviation (finite, > 0)
     * @param type data type of samples (FLOAT or DOUBLE)
     */
    public Normal(double mean, double std, DataType type) {
        if (!Double.isFinite(mean)) {
            throw new IllegalArgumentException("mean must be finite, got " + mean);
        }
        if (!(std > 0) || !Double.isFinite(std)) {
            throw new IllegalArgumentException("std must be finite and > 0, got " + std);
        }
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("type must be FLOAT or DOUBLE, got " + type);
        }
        this.mean = mean;
        this.std = std;
        this.type = type;
    }

    /** The standard normal, FLOAT. */
    public static Normal standard() {
        return new Normal(0, 1);
    }

    /** μ. */
    public double mean() {
        return mean;
    }

    /** σ. */
    public double std() {
        return std;
    }

    @Override
    public int dimension() {
        return -1;
    }

    @Override
    public INDArray sample(RandomSource random, int n, int dim) {
        if (n < 1 || dim < 1) {
            throw new IllegalArgumentException("need n >= 1 and dim >= 1, got n=" + n + ", dim=" + dim);
        }
        return random.gaussian(type, n, dim).muli(std).addi(mean);
    }

    @Override
    public INDArray logProb(INDArray x) {
        Inputs.requireBatch(x, -1, "Normal.logProb input");
        // One Java pass over a bulk copy: the ND4J form takes six ops and four allocations.
        int n = (int) x.size(0);
        int d = (int) x.size(1);
        double[] v = HostArrays.toDoubles(x);
        double[] out = new double[n];
        double constant = d * (Math.log(std) + 0.5 * Math.log(2 * Math.PI));
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (int j = i * d; j < (i + 1) * d; j++) {
                double z = (v[j] - mean) / std;
                sq += z * z;
            }
            out[i] = -0.5 * sq - constant;
        }
        return HostArrays.create(out, x.dataType(), n);
    }

    @Override
    public Tensor logProb(Tensor x) {
        Inputs.requireBatch(x.value(), -1, "Normal.logProb input");
        long d = x.size(1);
        return x.sub(mean).div(std).square().sum(1).mul(-0.5)
                .sub(d * (Math.log(std) + 0.5 * Math.log(2 * Math.PI)));
    }
}
