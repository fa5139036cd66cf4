package io.streamebm.distributions;

import io.streamebm.autograd.Tensor;
import io.streamebm.internal.Inputs;
import io.streamebm.internal.Linalg;
import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.runtime.RandomSource;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The multivariate normal N(μ, Σ). The covariance is factored once (Σ = L Lᵀ, in double precision)
 * at construction: samples are μ + ξLᵀ and log p(x) = −½‖(x−μ)L⁻ᵀ‖² − Σ log Lᵢᵢ − d/2·log 2π.
 * Works in the data type of the mean given.
 */
public final class MultivariateNormal implements Distribution {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    private final int d;
    private final DataType type;
    private final INDArray mean;
    private final INDArray covariance;
    private final INDArray choleskyT;
    private final INDArray inverseCholeskyT;
    private final double logNormalizer;

    /**
     * @param mean μ as {@code [d]} (its data type is used throughout)
     * @param cov  Σ as {@code [d, d]}: finite, symmetric, positive definite
     * @throws IllegalArgumentException naming what is wrong
     */
    public MultivariateNormal(INDArray mean, INDArray cov) {
        if (mean == null || (mean.rank() != 1 && !(mean.rank() == 2 && mean.size(0) == 1)) || mean.length() == 0) {
            throw new IllegalArgumentException("MultivariateNormal mean must be a vector [d], got "
                    + (mean == null ? "null" : Arrays.toString(mean.shape())));
        }
        if (mean.dataType() != DataType.FLOAT && mean.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("MultivariateNormal mean must be FLOAT or DOUBLE, got "
                    + mean.dataType());
        }
        Inputs.requireFinite(mean, "MultivariateNormal mean");
        this.d = (int) mean.length();
        this.type = mean.dataType();
        if (cov == null || cov.rank() != 2 || cov.size(0) != d || cov.size(1) != d) {
            throw new IllegalArgumentException("MultivariateNormal covariance must be [" + d + ", " + d + "], got "
                    + (cov == null ? "null" : Arrays.toString(cov.shape())));
        }
        double[][] sigma = Linalg.symmetricMatrix(cov, "MultivariateNormal covariance");
        double[][] l = Linalg.cholesky(sigma, "MultivariateNormal covariance");
        double[][] lt = new double[d][d];
        double[][] linv = Linalg.invertLower(l);
        double[][] linvT = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                lt[i][j] = l[j][i];
                linvT[i][j] = linv[j][i];
            }
        }
        this.mean = mean.reshape(d).castTo(type).dup();
        this.covariance = Linalg.toArray(sigma, type);
        this.choleskyT = Linalg.toArray(lt, type);
        this.inverseCholeskyT = Linalg.toArray(linvT, type);
        this.logNormalizer = 0.5 * Linalg.logDetFromCholesky(l) + 0.5 * d * Math.log(2 * Math.PI);
    }

    /** A copy of μ. */
    public INDArray mean() {
        return mean.dup();
    }

    /** A copy of Σ. */
    public INDArray covariance() {
        return covariance.dup();
    }

    @Override
    public int dimension() {
        return d;
    }

    @Override
    public INDArray sample(RandomSource random, int n, int dim) {
        if (dim != d) {
            throw new IllegalArgumentException("MultivariateNormal has dimension " + d + ", asked for " + dim);
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        INDArray xi = random.gaussian(type, n, d);
        INDArray out = Nd4j.createUninitialized(type, n, d);
        Nd4j.gemm(xi, choleskyT, out, false, false, 1.0, 0.0);
        return out.addiRowVector(mean);
    }

    @Override
    public INDArray logProb(INDArray x) {
        Inputs.requireBatch(x, d, "MultivariateNormal.logProb input");
        INDArray in = x.dataType() == type ? x : x.castTo(type);
        INDArray z = Nd4j.createUninitialized(type, in.size(0), d);
        Nd4j.gemm(in.subRowVector(mean), inverseCholeskyT, z, false, false, 1.0, 0.0);
        INDArray lp = Transforms.pow(z, 2, false).sum(1).muli(-0.5).subi(logNormalizer);
        return lp.dataType() == x.dataType() ? lp : lp.castTo(x.dataType());
    }

    @Override
    public Tensor logProb(Tensor x) {
        Inputs.requireBatch(x.value(), d, "MultivariateNormal.logProb input");
        Tensor xt = x.dataType() == type ? x : x.castTo(type);
        Tensor z = xt.sub(Tensor.constant(mean)).matmul(Tensor.constant(inverseCholeskyT));
        return z.square().sum(1).mul(-0.5).sub(logNormalizer);
    }
}
