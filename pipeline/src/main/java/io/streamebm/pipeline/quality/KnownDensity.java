package io.streamebm.pipeline.quality;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.datasets.DatasetStream;
import io.streamebm.datasets.Datasets;
import io.streamebm.eval.GridDensity;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongFunction;

/**
 * A 2-D dataset whose true density is known on a grid, so that a learned energy can be scored by
 * the total variation (TV) between its grid density and the truth: the quality figure of the demo
 * and of {@code LearningQualityHarness}.
 *
 * <p>The truth is exact where the density has a closed form (eight Gaussians, checkerboard), a
 * 2,000-point quadrature over the curve parameter for the two moons (a Gaussian-blurred curve),
 * and for the pinwheel a fine kernel density estimate: a histogram of 4 M samples on a grid five
 * times finer, blurred with a Gaussian of bandwidth 0.03 and read at the cell centres.
 *
 * @param name       the dataset name as {@link Datasets} spells it
 * @param stream     the data stream for a seed (the parameters the truth describes)
 * @param xMin       left edge of the grid box (the box holds all but a negligible part of the mass)
 * @param xMax       right edge of the grid box
 * @param yMin       bottom edge of the grid box
 * @param yMax       top edge of the grid box
 * @param resolution cells per axis
 * @param truth      the true density on that grid
 */
public record KnownDensity(String name, LongFunction<DatasetStream> stream, double xMin, double xMax, double yMin,
        double yMax, int resolution, GridDensity truth) {

    /** The eight-Gaussians standard deviation used here (Datasets' TorchEBM default is 0.02). */
    public static final double EIGHT_GAUSSIANS_STD = 0.1;

    /** The datasets {@link #of} knows. */
    public static final List<String> NAMES = List.of("eight-gaussians", "checkerboard", "two-moons", "pinwheel");

    private static final int RESOLUTION = 120;

    /** The grid density of {@code model} on this dataset's grid. */
    public GridDensity densityOf(EnergyFunction model) {
        return GridDensity.ofEnergy(model, xMin, xMax, yMin, yMax, resolution);
    }

    /** TV between the density of {@code model} and the truth, in [0, 1]. */
    public double totalVariation(EnergyFunction model) {
        return densityOf(model).totalVariation(truth);
    }

    /** The known density of a dataset, if it is one of {@link #NAMES}. */
    public static Optional<KnownDensity> of(String dataset) {
        switch (dataset.toLowerCase(Locale.ROOT)) {
            case "eight-gaussians":
                return Optional.of(eightGaussians(EIGHT_GAUSSIANS_STD));
            case "checkerboard":
                return Optional.of(checkerboard());
            case "two-moons":
                return Optional.of(twoMoons());
            case "pinwheel":
                return Optional.of(pinwheel());
            default:
                return Optional.empty();
        }
    }

    /** Eight Gaussians of std {@code std} at radius 2 (closed form), on [−3, 3]². */
    public static KnownDensity eightGaussians(double std) {
        double r = 1 / Math.sqrt(2);
        double[][] c = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {r, r}, {r, -r}, {-r, r}, {-r, -r}};
        double lim = 2 + Math.max(1, 6 * std);
        DoubleBinaryOperator logp = (x, y) -> {
            double s = 0;
            for (double[] m : c) {
                double dx = x - 2 * m[0];
                double dy = y - 2 * m[1];
                s += Math.exp(-(dx * dx + dy * dy) / (2 * std * std));
            }
            return Math.log(s);
        };
        return new KnownDensity("eight-gaussians", seed -> Datasets.eightGaussians(2.0, std, seed), -lim, lim, -lim,
                lim, RESOLUTION, GridDensity.ofLogDensity(logp, -lim, lim, -lim, lim, RESOLUTION));
    }

    /** The 4 × 4 checkerboard over [−4, 4]² (closed form: uniform on its 8 cells), on [−4.5, 4.5]². */
    public static KnownDensity checkerboard() {
        double lim = 4.5;
        DoubleBinaryOperator logp = (x, y) -> {
            if (x < -4 || x >= 4 || y < -4 || y >= 4) {
                return Double.NEGATIVE_INFINITY;
            }
            int i = (int) Math.floor((x + 4) / 2);
            int j = (int) Math.floor((y + 4) / 2);
            return (i + j) % 2 == 0 ? 0 : Double.NEGATIVE_INFINITY;
        };
        return new KnownDensity("checkerboard", seed -> Datasets.checkerboard(4.0, seed), -lim, lim, -lim, lim,
                RESOLUTION, GridDensity.ofLogDensity(logp, -lim, lim, -lim, lim, RESOLUTION));
    }

    /** The two moons with noise 0.05 (quadrature over t), on [−1.5, 2.5] × [−1, 1.5]. */
    public static KnownDensity twoMoons() {
        double noise = 0.05;
        int nt = 2000;
        double[] ux = new double[2 * nt];
        double[] uy = new double[2 * nt];
        for (int k = 0; k < nt; k++) {
            double t = Math.PI * (k + 0.5) / nt;
            ux[k] = Math.cos(t);
            uy[k] = Math.sin(t);
            ux[nt + k] = 1 - Math.cos(t);
            uy[nt + k] = 0.5 - Math.sin(t);
        }
        DoubleBinaryOperator logp = (x, y) -> {
            double s = 0;
            for (int k = 0; k < ux.length; k++) {
                double dx = x - ux[k];
                double dy = y - uy[k];
                s += Math.exp(-(dx * dx + dy * dy) / (2 * noise * noise));
            }
            return Math.log(s);
        };
        return new KnownDensity("two-moons", seed -> Datasets.twoMoons(noise, seed), -1.5, 2.5, -1.0, 1.5, RESOLUTION,
                GridDensity.ofLogDensity(logp, -1.5, 2.5, -1.0, 1.5, RESOLUTION));
    }

    /** The five-armed pinwheel (fine KDE of 4 M samples, seed 12345), on [−2.5, 2.5]². */
    public static KnownDensity pinwheel() {
        double lim = 2.5;
        return new KnownDensity("pinwheel", seed -> Datasets.pinwheel(5, seed), -lim, lim, -lim, lim, RESOLUTION,
                kde(Datasets.pinwheel(5, 12345), 4_000_000, 0.03, -lim, lim, -lim, lim, RESOLUTION));
    }

    /**
     * A kernel density estimate at the cell centres of a {@code resolution²} grid: {@code n}
     * samples binned on a grid five times finer, blurred by a separable Gaussian of
     * {@code bandwidth}, read at the fine cells holding the coarse centres. Binning moves each
     * sample by at most half a fine cell, small against the bandwidth.
     */
    static GridDensity kde(DatasetStream data, int n, double bandwidth, double xMin, double xMax, double yMin,
            double yMax, int resolution) {
        int f = 5;
        int fr = resolution * f;
        double cx = (xMax - xMin) / fr;
        double cy = (yMax - yMin) / fr;
        double[][] h = new double[fr][fr];
        for (int s = 0; s < n; s++) {
            float[] p = data.next();
            int i = (int) Math.floor((p[0] - xMin) / cx);
            int j = (int) Math.floor((p[1] - yMin) / cy);
            if (i >= 0 && i < fr && j >= 0 && j < fr) {
                h[i][j]++;
            }
        }
        double[][] fine = blur(blur(h, bandwidth / cx, true), bandwidth / cy, false);
        return GridDensity.ofLogDensity((x, y) -> {
            int i = (int) Math.floor((x - xMin) / cx);
            int j = (int) Math.floor((y - yMin) / cy);
            double v = fine[Math.min(fr - 1, i)][Math.min(fr - 1, j)];
            return v > 0 ? Math.log(v) : Double.NEGATIVE_INFINITY;
        }, xMin, xMax, yMin, yMax, resolution);
    }

    private static double[][] blur(double[][] a, double sigmaCells, boolean alongFirst) {
        int r = (int) Math.ceil(4 * sigmaCells);
        double[] w = new double[2 * r + 1];
        for (int k = -r; k <= r; k++) {
            w[k + r] = Math.exp(-0.5 * k * k / (sigmaCells * sigmaCells));
        }
        int n = a.length;
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = -r; k <= r; k++) {
                    int ii = alongFirst ? i + k : i;
                    int jj = alongFirst ? j : j + k;
                    if (ii >= 0 && ii < n && jj >= 0 && jj < n) {
                        s += w[k + r] * a[ii][jj];
                    }
                }
                out[i][j] = s;
            }
        }
        return out;
    }
}
