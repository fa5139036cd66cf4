package io.streamebm.eval;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.internal.Nd4jRuntime;
import java.util.Objects;
import java.util.function.DoubleBinaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A density on a 2-D box, normalised numerically on a regular grid: the way to compare an EBM,
 * whose normaliser is unknown, with a reference density.
 *
 * <p>The box [xMin, xMax] × [yMin, yMax] is cut into {@code resolution × resolution} cells and the
 * log-density is evaluated at the cell centres; normalising by the log-sum-exp over the cells
 * (stable even for energies in the thousands) gives each cell's probability mass. Mass outside the
 * box is ignored, so choose a box that covers the data. Cell (i, j) has centre
 * (x_i, y_j); arrays are indexed {@code [i][j]}.
 */
public final class GridDensity {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    private final double xMin;
    private final double xMax;
    private final double yMin;
    private final double yMax;
    private final int resolution;
    private final double[][] mass;

    private GridDensity(double xMin, double xMax, double yMin, double yMax, int resolution, double[][] logDensity) {
        this.xMin = xMin;
        this.xMax = xMax;
        this.yMin = yMin;
        this.yMax = yMax;
        this.resolution = resolution;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] row : logDensity) {
            for (double v : row) {
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException("the log-density is NaN somewhere on the grid");
                }
                max = Math.max(max, v);
            }
        }
        if (!Double.isFinite(max)) {
            throw new IllegalArgumentException("the log-density has no finite maximum on the grid (max " + max + ")");
        }
        double sum = 0;
        mass = new double[resolution][resolution];
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                mass[i][j] = Math.exp(logDensity[i][j] - max);
                sum += mass[i][j];
            }
        }
        for (double[] row : mass) {
            for (int j = 0; j < resolution; j++) {
                row[j] /= sum;
            }
        }
    }

    private static void checkBox(double xMin, double xMax, double yMin, double yMax, int resolution) {
        if (!(xMin < xMax) || !(yMin < yMax) || !Double.isFinite(xMax - xMin) || !Double.isFinite(yMax - yMin)) {
            throw new IllegalArgumentException("the box needs finite xMin < xMax and yMin < yMax, got [" + xMin + ", "
                    + xMax + "] x [" + yMin + ", " + yMax + "]");
        }
        if (resolution < 2) {
            throw new IllegalArgumentException("resolution must be >= 2, got " + resolution);
        }
    }

    /**
     * The density p ∝ exp(−E) of a 2-D energy on the grid, from one batched evaluation of the
     * {@code resolution²} cell centres (no autograd graph).
     */
    public static GridDensity ofEnergy(EnergyFunction model, double xMin, double xMax, double yMin, double yMax,
            int resolution) {
        Objects.requireNonNull(model, "model");
        checkBox(xMin, xMax, yMin, yMax, resolution);
        if (model.dimension() != 2 && model.dimension() != -1) {
            throw new IllegalArgumentException("a grid density needs a 2-D energy, got dimension " + model.dimension());
        }
        DataType type = model.parameters().isEmpty() ? DataType.FLOAT : model.parameters().get(0).dataType();
        double[] pts = new double[2 * resolution * resolution];
        int k = 0;
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                pts[k++] = center(xMin, xMax, resolution, i);
                pts[k++] = center(yMin, yMax, resolution, j);
            }
        }
        INDArray x = Nd4j.createFromArray(pts).reshape(resolution * resolution, 2).castTo(type);
        double[] e = model.energyValues(x).castTo(DataType.DOUBLE).toDoubleVector();
        double[][] logp = new double[resolution][resolution];
        k = 0;
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                logp[i][j] = -e[k++];
            }
        }
        return new GridDensity(xMin, xMax, yMin, yMax, resolution, logp);
    }

    /** A reference density on the grid from its (possibly unnormalised) log-density log p(x, y). */
    public static GridDensity ofLogDensity(DoubleBinaryOperator logDensity, double xMin, double xMax, double yMin,
            double yMax, int resolution) {
        Objects.requireNonNull(logDensity, "logDensity");
        checkBox(xMin, xMax, yMin, yMax, resolution);
        double[][] logp = new double[resolution][resolution];
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                logp[i][j] = logDensity.applyAsDouble(center(xMin, xMax, resolution, i),
                        center(yMin, yMax, resolution, j));
            }
        }
        return new GridDensity(xMin, xMax, yMin, yMax, resolution, logp);
    }

    private static double center(double lo, double hi, int n, int i) {
        return lo + (i + 0.5) * (hi - lo) / n;
    }

    /** Cells per axis. */
    public int resolution() {
        return resolution;
    }

    /** The area of one cell. */
    public double cellArea() {
        return (xMax - xMin) / resolution * (yMax - yMin) / resolution;
    }

    /** x of the centre of cells {@code [i][*]}. */
    public double x(int i) {
        return center(xMin, xMax, resolution, i);
    }

    /** y of the centre of cells {@code [*][j]}. */
    public double y(int j) {
        return center(yMin, yMax, resolution, j);
    }

    /** Probability mass per cell, summing to 1 (a copy). */
    public double[][] probabilities() {
        double[][] out = new double[resolution][];
        for (int i = 0; i < resolution; i++) {
            out[i] = mass[i].clone();
        }
        return out;
    }

    /** The normalised density per cell (mass / cell area), integrating to 1 over the box. */
    public double[][] density() {
        double a = cellArea();
        double[][] out = probabilities();
        for (double[] row : out) {
            for (int j = 0; j < row.length; j++) {
                row[j] /= a;
            }
        }
        return out;
    }

    private void checkSameGrid(GridDensity o) {
        if (o.resolution != resolution || o.xMin != xMin || o.xMax != xMax || o.yMin != yMin || o.yMax != yMax) {
            throw new IllegalArgumentException("the two densities are on different grids");
        }
    }

    /** Total variation distance ½ Σ |p − q| over the cells, in [0, 1]. */
    public double totalVariation(GridDensity other) {
        checkSameGrid(other);
        double s = 0;
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                s += Math.abs(mass[i][j] - other.mass[i][j]);
            }
        }
        return 0.5 * s;
    }

    /**
     * KL(this ‖ other) = Σ p log(p / q) over the cells, in nats; +∞ when {@code other} puts no mass
     * (below double precision) where this density has some.
     */
    public double klDivergence(GridDensity other) {
        checkSameGrid(other);
        double s = 0;
        for (int i = 0; i < resolution; i++) {
            for (int j = 0; j < resolution; j++) {
                double p = mass[i][j];
                if (p == 0) {
                    continue;
                }
                double q = other.mass[i][j];
                if (q == 0) {
                    return Double.POSITIVE_INFINITY;
                }
                s += p * Math.log(p / q);
            }
        }
        return Math.max(0, s);
    }
}
