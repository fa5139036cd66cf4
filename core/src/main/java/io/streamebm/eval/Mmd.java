package io.streamebm.eval;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Maximum mean discrepancy between two samples with the Gaussian (RBF) kernel
 * k(a, b) = exp(−‖a − b‖² / (2h²)), the bandwidth h set by the median heuristic: the median of
 * the pairwise distances in the pooled sample. {@link #mmd2} is the unbiased estimate of MMD²
 * (Gretton et al. 2012), so it is near 0 (and may be slightly negative) when both samples come
 * from the same distribution. Computed in Java doubles: O((n + m)²·d), meant for evaluation
 * samples of a few thousand points.
 */
public final class Mmd {

    private Mmd() {
    }

    /** Unbiased MMD² between {@code x [n, d]} and {@code y [m, d]} with the median bandwidth. */
    public static double mmd2(INDArray x, INDArray y) {
        double[][] a = rows(x, "x");
        double[][] b = rows(y, "y");
        return mmd2(a, b, medianBandwidth(a, b));
    }

    /** Unbiased MMD² with a given bandwidth h &gt; 0. */
    public static double mmd2(INDArray x, INDArray y, double bandwidth) {
        return mmd2(rows(x, "x"), rows(y, "y"), bandwidth);
    }

    /** The median of all pairwise distances in the pooled sample of {@code x} and {@code y}. */
    public static double medianBandwidth(INDArray x, INDArray y) {
        return medianBandwidth(rows(x, "x"), rows(y, "y"));
    }

    /**
     * Unbiased MMD² between row arrays {@code a [n][d]} and {@code b [m][d]} with bandwidth h; the
     * same computation without ND4J conversions, for callers that already hold host rows.
     */
    public static double mmd2(double[][] a, double[][] b, double h) {
        if (!(h > 0) || Double.isInfinite(h)) {
            throw new IllegalArgumentException("bandwidth must be finite and > 0, got " + h);
        }
        double gamma = 1 / (2 * h * h);
        int n = a.length;
        int m = b.length;
        double kxx = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                kxx += Math.exp(-gamma * sq(a[i], a[j]));
            }
        }
        double kyy = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                kyy += Math.exp(-gamma * sq(b[i], b[j]));
            }
        }
        double kxy = 0;
        for (double[] ai : a) {
            for (double[] bj : b) {
                kxy += Math.exp(-gamma * sq(ai, bj));
            }
        }
        return 2 * kxx / (n * (n - 1.0)) + 2 * kyy / (m * (m - 1.0)) - 2 * kxy / ((double) n * m);
    }

    /** The median of all pairwise distances in the pooled rows of {@code a} and {@code b}. */
    public static double medianBandwidth(double[][] a, double[][] b) {
        double[][] all = new double[a.length + b.length][];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        int p = all.length;
        double[] d = new double[p * (p - 1) / 2];
        int k = 0;
        for (int i = 0; i < p; i++) {
            for (int j = i + 1; j < p; j++) {
                d[k++] = Math.sqrt(sq(all[i], all[j]));
            }
        }
        Arrays.sort(d);
        double med = d.length % 2 == 1 ? d[d.length / 2] : 0.5 * (d[d.length / 2 - 1] + d[d.length / 2]);
        if (!(med > 0)) {
            throw new IllegalArgumentException("the median pairwise distance is 0: the samples are (nearly) constant");
        }
        return med;
    }

    private static double sq(double[] u, double[] v) {
        double s = 0;
        for (int k = 0; k < u.length; k++) {
            double t = u[k] - v[k];
            s += t * t;
        }
        return s;
    }

    static double[][] rows(INDArray x, String what) {
        Objects.requireNonNull(x, what);
        if (x.rank() != 2 || x.rows() < 2) {
            throw new IllegalArgumentException(what + " must be [n, d] with n >= 2, got " + Arrays.toString(x.shape()));
        }
        double[][] r = x.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (double[] row : r) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException(what + " contains a non-finite value");
                }
            }
        }
        return r;
    }
}
