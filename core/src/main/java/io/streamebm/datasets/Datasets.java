package io.streamebm.datasets;

import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.runtime.RandomSource;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The 2-D toy datasets of TorchEBM, each as an endless seeded {@link DatasetStream} and as a finite
 * seeded {@code [n, 2]} FLOAT array ({@link #generate}). Defaults follow TorchEBM:
 * <ul>
 *   <li>{@code gaussian-mixture}: 8 components evenly on a circle of radius 1, std 0.05;</li>
 *   <li>{@code eight-gaussians}: the 4 axis and 4 diagonal unit directions times scale 2, std 0.02;</li>
 *   <li>{@code two-moons}: the interleaved half circles of scikit-learn, noise 0.05;</li>
 *   <li>{@code swiss-roll}: t ∈ [1.5π, 4.5π] mapped to (t cos t, t sin t)/5, noise 0.05;</li>
 *   <li>{@code circle}: radius 1, noise 0.05;</li>
 *   <li>{@code checkerboard}: a 4×4 board over [−4, 4]², uniform on the 8 cells with even i + j;</li>
 *   <li>{@code pinwheel}: 5 spiral arms (radial std 0.3, tangential std 0.1, rate 0.25);</li>
 *   <li>{@code grid}: 10 × 10 points evenly over [−4, 4]², noise 0.01.</li>
 * </ul>
 * Components are chosen uniformly at random, and all randomness comes from one {@link RandomSource}
 * per stream seeded with the given seed.
 */
public final class Datasets {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    /** The names {@link #stream(String, long)} accepts. */
    public static final List<String> NAMES = List.of("gaussian-mixture", "eight-gaussians", "two-moons",
            "swiss-roll", "circle", "checkerboard", "pinwheel", "grid");

    private Datasets() {
    }

    /**
     * A dataset by name with its default parameters; names are case-insensitive and may use '_'
     * for '-' (so "EIGHT_GAUSSIANS" works).
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static DatasetStream stream(String name, long seed) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        switch (key) {
            case "gaussian-mixture":
                return gaussianMixture(8, 1.0, 0.05, seed);
            case "eight-gaussians":
            case "8gaussians":
                return eightGaussians(2.0, 0.02, seed);
            case "two-moons":
            case "moons":
                return twoMoons(0.05, seed);
            case "swiss-roll":
                return swissRoll(0.05, seed);
            case "circle":
            case "circles":
                return circle(1.0, 0.05, seed);
            case "checkerboard":
                return checkerboard(4.0, seed);
            case "pinwheel":
                return pinwheel(5, seed);
            case "grid":
                return grid(10, 4.0, 0.01, seed);
            default:
                throw new IllegalArgumentException("unknown dataset '" + name + "'; known: " + NAMES);
        }
    }

    /** {@code n} samples {@code [n, 2]} of a named dataset. */
    public static INDArray generate(String name, int n, long seed) {
        return stream(name, seed).nextBatch(n);
    }

    private abstract static class Stream2 implements DatasetStream {
        final RandomSource random;

        Stream2(long seed) {
            this.random = new RandomSource(seed);
        }

        @Override
        public final int dimension() {
            return 2;
        }

        @Override
        public final float[] next() {
            float[] out = new float[2];
            fill(out);
            return out;
        }

        abstract void fill(float[] out);
    }

    private static double requireNonNegative(double v, String what) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and >= 0, got " + v);
        }
        return v;
    }

    private static double requirePositive(double v, String what) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + v);
        }
        return v;
    }

    /** {@code components} Gaussians of std {@code std} evenly on a circle of {@code radius}. */
    public static DatasetStream gaussianMixture(int components, double radius, double std, long seed) {
        if (components < 1) {
            throw new IllegalArgumentException("components must be >= 1, got " + components);
        }
        requirePositive(radius, "radius");
        requireNonNegative(std, "std");
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                double a = 2 * Math.PI * random.nextInt(components) / components;
                out[0] = (float) (radius * Math.cos(a) + std * random.nextGaussian());
                out[1] = (float) (radius * Math.sin(a) + std * random.nextGaussian());
            }
        };
    }

    /** Eight Gaussians at {@code scale}·(the 4 axis and 4 diagonal unit vectors), std {@code std}. */
    public static DatasetStream eightGaussians(double scale, double std, long seed) {
        requirePositive(scale, "scale");
        requireNonNegative(std, "std");
        double r = 1 / Math.sqrt(2);
        double[][] centers = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {r, r}, {r, -r}, {-r, r}, {-r, -r}};
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                double[] c = centers[random.nextInt(8)];
                out[0] = (float) (scale * c[0] + std * random.nextGaussian());
                out[1] = (float) (scale * c[1] + std * random.nextGaussian());
            }
        };
    }

    /** scikit-learn's two moons: (cos t, sin t) and (1 − cos t, 0.5 − sin t), t ∈ [0, π], plus noise. */
    public static DatasetStream twoMoons(double noise, long seed) {
        requireNonNegative(noise, "noise");
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                double t = Math.PI * random.nextDouble();
                boolean upper = random.nextInt(2) == 0;
                double x = upper ? Math.cos(t) : 1 - Math.cos(t);
                double y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
                out[0] = (float) (x + noise * random.nextGaussian());
                out[1] = (float) (y + noise * random.nextGaussian());
            }
        };
    }

    /** A 2-D swiss roll: t uniform in [1.5π, 4.5π], (t cos t, t sin t)/5 plus noise. */
    public static DatasetStream swissRoll(double noise, long seed) {
        requireNonNegative(noise, "noise");
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                double t = 1.5 * Math.PI * (1 + 2 * random.nextDouble());
                out[0] = (float) (t * Math.cos(t) / 5 + noise * random.nextGaussian());
                out[1] = (float) (t * Math.sin(t) / 5 + noise * random.nextGaussian());
            }
        };
    }

    /** Points uniform in angle on a circle of {@code radius}, plus noise. */
    public static DatasetStream circle(double radius, double noise, long seed) {
        requirePositive(radius, "radius");
        requireNonNegative(noise, "noise");
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                double a = 2 * Math.PI * random.nextDouble();
                out[0] = (float) (radius * Math.cos(a) + noise * random.nextGaussian());
                out[1] = (float) (radius * Math.sin(a) + noise * random.nextGaussian());
            }
        };
    }

    /**
     * A 4 × 4 checkerboard over [−range, range]², uniform on the cells (i, j) with i + j even
     * (cells of side range/2).
     */
    public static DatasetStream checkerboard(double range, long seed) {
        requirePositive(range, "range");
        double side = range / 2;
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                int i = random.nextInt(4);
                int j = 2 * random.nextInt(2) + (i % 2);
                out[0] = (float) (-range + side * (i + random.nextDouble()));
                out[1] = (float) (-range + side * (j + random.nextDouble()));
            }
        };
    }

    /** Pinwheel with {@code arms} spiral arms (radial std 0.3, tangential std 0.1, rate 0.25). */
    public static DatasetStream pinwheel(int arms, long seed) {
        return pinwheel(arms, 0.3, 0.1, 0.25, seed);
    }

    /**
     * The pinwheel of Johnson et al. (2016): arm k's points are (1 + radialStd·ξ₀, tangentialStd·ξ₁)
     * rotated by 2πk/arms + rate·exp(1 + radialStd·ξ₀).
     */
    public static DatasetStream pinwheel(int arms, double radialStd, double tangentialStd, double rate, long seed) {
        if (arms < 1) {
            throw new IllegalArgumentException("arms must be >= 1, got " + arms);
        }
        requireNonNegative(radialStd, "radialStd");
        requireNonNegative(tangentialStd, "tangentialStd");
        requireNonNegative(rate, "rate");
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                int k = random.nextInt(arms);
                double f0 = 1 + radialStd * random.nextGaussian();
                double f1 = tangentialStd * random.nextGaussian();
                double a = 2 * Math.PI * k / arms + rate * Math.exp(f0);
                double c = Math.cos(a);
                double s = Math.sin(a);
                out[0] = (float) (f0 * c - f1 * s);
                out[1] = (float) (f0 * s + f1 * c);
            }
        };
    }

    /** {@code perDim} × {@code perDim} points evenly over [−range, range]², each drawn uniformly, plus noise. */
    public static DatasetStream grid(int perDim, double range, double noise, long seed) {
        if (perDim < 2) {
            throw new IllegalArgumentException("perDim must be >= 2, got " + perDim);
        }
        requirePositive(range, "range");
        requireNonNegative(noise, "noise");
        double spacing = 2 * range / (perDim - 1);
        return new Stream2(seed) {
            @Override
            void fill(float[] out) {
                int i = random.nextInt(perDim);
                int j = random.nextInt(perDim);
                out[0] = (float) (-range + spacing * i + noise * random.nextGaussian());
                out[1] = (float) (-range + spacing * j + noise * random.nextGaussian());
            }
        };
    }
}
