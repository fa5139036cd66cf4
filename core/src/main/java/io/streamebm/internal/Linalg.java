package io.streamebm.internal;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Small dense linear algebra in double precision on plain Java arrays: Cholesky factors,
 * inverses and log-determinants of covariance matrices. Covariances here are at most a few hundred
 * wide and factored once per model update, so exact double arithmetic matters more than speed, and
 * it avoids depending on ND4J's LAPACK bindings for float32 input.
 */
public final class Linalg {

    private Linalg() {
    }

    /**
     * Reads a square, finite, symmetric matrix, refusing anything else with a message naming it.
     *
     * @param what names the argument in messages, such as "covariance"
     */
    public static double[][] symmetricMatrix(INDArray m, String what) {
        if (m == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (m.rank() != 2 || m.size(0) != m.size(1)) {
            throw new IllegalArgumentException(what + " must be a square matrix [d, d], got shape "
                    + Arrays.toString(m.shape()));
        }
        int d = (int) m.size(0);
        double[][] a = toDouble(m);
        double scale = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(a[i][j])) {
                    throw new IllegalArgumentException(what + " contains a non-finite value (" + a[i][j] + ") at ["
                            + i + ", " + j + "]");
                }
                scale = Math.max(scale, Math.abs(a[i][j]));
            }
        }
        double tol = 1e-5 * Math.max(scale, 1e-30);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(a[i][j] - a[j][i]) > tol) {
                    throw new IllegalArgumentException(what + " is not symmetric: [" + i + ", " + j + "] = " + a[i][j]
                            + " but [" + j + ", " + i + "] = " + a[j][i]);
                }
                double avg = 0.5 * (a[i][j] + a[j][i]);
                a[i][j] = avg;
                a[j][i] = avg;
            }
        }
        return a;
    }

    /** The elements of a rank-2 array as double rows. */
    public static double[][] toDouble(INDArray m) {
        int r = (int) m.size(0);
        int c = (int) m.size(1);
        double[][] out = new double[r][c];
        double[] flat = m.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    /** A new {@code [r, c]} array of the given type holding {@code a}. */
    public static INDArray toArray(double[][] a, DataType type) {
        return Nd4j.createFromArray(a).castTo(type);
    }

    /**
     * The lower-triangular L with A = L Lᵀ.
     *
     * @throws IllegalArgumentException if A is not positive definite, saying at which pivot
     */
    public static double[][] cholesky(double[][] a, String what) {
        int d = a.length;
        double[][] l = new double[d][d];
        for (int j = 0; j < d; j++) {
            double s = a[j][j];
            for (int k = 0; k < j; k++) {
                s -= l[j][k] * l[j][k];
            }
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException(what + " is not positive definite (Cholesky pivot " + j
                        + " is " + s + "; every eigenvalue must be > 0)");
            }
            double ljj = Math.sqrt(s);
            l[j][j] = ljj;
            for (int i = j + 1; i < d; i++) {
                double t = a[i][j];
                for (int k = 0; k < j; k++) {
                    t -= l[i][k] * l[j][k];
                }
                l[i][j] = t / ljj;
            }
        }
        return l;
    }

    /** The inverse of a lower-triangular matrix with a non-zero diagonal. */
    public static double[][] invertLower(double[][] l) {
        int d = l.length;
        double[][] inv = new double[d][d];
        for (int j = 0; j < d; j++) {
            inv[j][j] = 1.0 / l[j][j];
            for (int i = j + 1; i < d; i++) {
                double s = 0;
                for (int k = j; k < i; k++) {
                    s -= l[i][k] * inv[k][j];
                }
                inv[i][j] = s / l[i][i];
            }
        }
        return inv;
    }

    /** A Bᵀ for square matrices. */
    public static double[][] multiplyTransposed(double[][] a, double[][] b) {
        int d = a.length;
        double[][] out = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += a[i][k] * b[j][k];
                }
                out[i][j] = s;
            }
        }
        return out;
    }

    /** Aᵀ B for square matrices. */
    public static double[][] transposeMultiply(double[][] a, double[][] b) {
        int d = a.length;
        double[][] out = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += a[k][i] * b[k][j];
                }
                out[i][j] = s;
            }
        }
        return out;
    }

    /** The inverse of a symmetric positive-definite matrix, via its Cholesky factor. */
    public static double[][] inverseSpd(double[][] a, String what) {
        double[][] linv = invertLower(cholesky(a, what));
        // A⁻¹ = L⁻ᵀ L⁻¹
        return transposeMultiply(linv, linv);
    }

    /** log det of a matrix from its Cholesky factor L: 2 Σ log Lᵢᵢ. */
    public static double logDetFromCholesky(double[][] l) {
        double s = 0;
        for (int i = 0; i < l.length; i++) {
            s += Math.log(l[i][i]);
        }
        return 2 * s;
    }
}
