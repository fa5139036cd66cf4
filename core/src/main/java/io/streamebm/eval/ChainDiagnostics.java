package io.streamebm.eval;

import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MCMC convergence diagnostics for a scalar quantity traced over several chains, as in Stan and
 * ArviZ (Vehtari et al. 2021, without the rank normalisation): the effective sample size with
 * Geyer's initial monotone sequence, and the split R-hat. Draws are {@code double[chain][draw]}.
 */
public final class ChainDiagnostics {

    private ChainDiagnostics() {
    }

    /**
     * Draws of coordinate {@code dim} from a trace of chain matrices ({@code [chains, d]}, one per
     * recorded step), as {@code [chain][draw]}.
     */
    public static double[][] coordinate(List<INDArray> trace, int dim) {
        Objects.requireNonNull(trace, "trace");
        if (trace.isEmpty()) {
            throw new IllegalArgumentException("the trace is empty");
        }
        int m = (int) trace.get(0).rows();
        double[][] out = new double[m][trace.size()];
        for (int t = 0; t < trace.size(); t++) {
            double[] col = trace.get(t).getColumn(dim).castTo(DataType.DOUBLE).toDoubleVector();
            for (int c = 0; c < m; c++) {
                out[c][t] = col[c];
            }
        }
        return out;
    }

    /**
     * Effective sample size of all draws together: m·n / τ, where τ = 1 + 2Σρ_t is the integrated
     * autocorrelation time from the multi-chain autocorrelation estimate, truncated by Geyer's
     * initial positive and monotone sequence. Needs at least 4 draws per chain.
     */
    public static double effectiveSampleSize(double[][] draws) {
        check(draws, 4);
        int m = draws.length;
        int n = draws[0].length;
        double[] means = new double[m];
        double[] vars = new double[m];
        for (int c = 0; c < m; c++) {
            means[c] = mean(draws[c]);
            vars[c] = variance(draws[c], means[c]);
        }
        double w = mean(vars);
        double varPlus = (n - 1.0) / n * w + (m > 1 ? variance(means, mean(means)) : 0);
        if (!(varPlus > 0)) {
            return m * (double) n;
        }
        double[] rho = new double[n];
        rho[0] = 1;
        // Autocovariances with the biased (1/n) estimator, computed lag by lag until Geyer stops.
        double[][] centred = new double[m][n];
        for (int c = 0; c < m; c++) {
            for (int i = 0; i < n; i++) {
                centred[c][i] = draws[c][i] - means[c];
            }
        }
        double tau = -1;
        double prevPair = Double.POSITIVE_INFINITY;
        for (int t = 0; t + 1 < n; t += 2) {
            double r0 = t == 0 ? 1 : rhoAt(centred, t, w, varPlus);
            double r1 = rhoAt(centred, t + 1, w, varPlus);
            double pair = r0 + r1;
            if (pair < 0) {
                break;
            }
            pair = Math.min(pair, prevPair);  // initial monotone sequence
            prevPair = pair;
            tau += 2 * pair;
        }
        tau = Math.max(tau, 1.0 / Math.log10(m * (double) n));
        return m * (double) n / tau;
    }

    private static double rhoAt(double[][] centred, int lag, double w, double varPlus) {
        int m = centred.length;
        int n = centred[0].length;
        double acov = 0;
        for (double[] c : centred) {
            double s = 0;
            for (int i = 0; i + lag < n; i++) {
                s += c[i] * c[i + lag];
            }
            acov += s / n;
        }
        acov /= m;
        // Within-chain variance with the 1/n estimator, to match the autocovariances.
        double wBiased = w * (n - 1.0) / n;
        return 1 - (wBiased - acov) / varPlus;
    }

    /**
     * Split R-hat: every chain is cut in two halves, and R̂ = √(var⁺ / W) over the 2m half-chains,
     * where W is the mean within-chain variance and var⁺ = (n−1)/n·W + B/n. Near 1 when the chains
     * agree; above 1.01–1.1 signals chains that have not mixed. Needs at least 4 draws per chain.
     */
    public static double splitRHat(double[][] draws) {
        check(draws, 4);
        int m = draws.length;
        int half = draws[0].length / 2;
        int offset = draws[0].length - 2 * half;  // with an odd count, drop the first draw
        double[] means = new double[2 * m];
        double[] vars = new double[2 * m];
        for (int c = 0; c < m; c++) {
            for (int h = 0; h < 2; h++) {
                double[] part = new double[half];
                System.arraycopy(draws[c], offset + h * half, part, 0, half);
                means[2 * c + h] = mean(part);
                vars[2 * c + h] = variance(part, means[2 * c + h]);
            }
        }
        double w = mean(vars);
        double b = variance(means, mean(means)); // B/n
        double varPlus = (half - 1.0) / half * w + b;
        if (w == 0) {
            return b == 0 ? 1.0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(varPlus / w);
    }

    private static void check(double[][] draws, int minDraws) {
        Objects.requireNonNull(draws, "draws");
        if (draws.length == 0) {
            throw new IllegalArgumentException("no chains");
        }
        int n = draws[0].length;
        if (n < minDraws) {
            throw new IllegalArgumentException("need at least " + minDraws + " draws per chain, got " + n);
        }
        for (double[] c : draws) {
            if (c.length != n) {
                throw new IllegalArgumentException("all chains need the same number of draws");
            }
            for (double v : c) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("the draws contain a non-finite value");
                }
            }
        }
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Unbiased sample variance (0 for a single value). */
    private static double variance(double[] v, double mean) {
        if (v.length < 2) {
            return 0;
        }
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return s / (v.length - 1);
    }
}
