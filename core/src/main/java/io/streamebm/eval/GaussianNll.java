package io.streamebm.eval;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gaussian negative log-likelihood: the mean over rows of
 * ½[(x − μ)ᵀΣ⁻¹(x − μ) + log det Σ + d·log 2π], in nats per point. Useful to score samples or a
 * held-out set against a fitted or known Gaussian.
 */
public final class GaussianNll {

    private GaussianNll() {
    }

    /**
     * @param x    points {@code [n, d]}
     * @param mean μ, length d
     * @param cov  Σ, {@code d × d}, symmetric positive definite
     */
    public static double mean(INDArray x, double[] mean, double[][] cov) {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(cov, "cov");
        double[][] rows = Mmd.rows(x, "x");
        int d = mean.length;
        if (rows[0].length != d || cov.length != d) {
            throw new IllegalArgumentException("x has dimension " + rows[0].length + ", mean " + d + ", covariance "
                    + cov.length);
        }
        double[][] l = cholesky(cov);
        double logDet = 0;
        for (int i = 0; i < d; i++) {
            logDet += 2 * Math.log(l[i][i]);
        }
        double total = 0;
        double[] z = new double[d];
        for (double[] r : rows) {
            // Solve L z = x − μ; then (x − μ)ᵀΣ⁻¹(x − μ) = ‖z‖².
            double q = 0;
            for (int i = 0; i < d; i++) {
                double s = r[i] - mean[i];
                for (int k = 0; k < i; k++) {
                    s -= l[i][k] * z[k];
                }
                z[i] = s / l[i][i];
                q += z[i] * z[i];
            }
            total += 0.5 * (q + logDet + d * Math.log(2 * Math.PI));
        }
        return total / rows.length;
    }

    private static double[][] cholesky(double[][] a) {
        int d = a.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            if (a[i].length != d) {
                throw new IllegalArgumentException("covariance must be square, got row " + i + " of length " + a[i].length);
            }
            for (int j = 0; j <= i; j++) {
                if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * (1 + Math.abs(a[i][j]))) {
                    throw new IllegalArgumentException("covariance is not symmetric at (" + i + ", " + j + ")");
                }
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("covariance is not positive definite: "
                                + Arrays.deepToString(a));
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }
}
