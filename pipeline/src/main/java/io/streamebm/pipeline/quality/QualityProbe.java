package io.streamebm.pipeline.quality;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.eval.Mmd;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.samplers.Sampler;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures, on any stream and in any dimension, how close the model's samples are to the data:
 * every {@code everySteps} updates, the maximum mean discrepancy (MMD; the average of Gaussian
 * kernels of bandwidths h, h/2, h/4 and h/8, h the median pairwise distance) between the last
 * {@code window} input records and {@code window} model samples.
 *
 * <p>Model samples are the persistent chains when the loss keeps some (PCD: they cost nothing
 * extra), otherwise the probe's own {@code window} persistent Langevin chains, started uniformly
 * in the box of the recent data and advanced {@link #PROBE_STEPS} steps per measurement with their
 * own random source, so probing never changes the training run. When the stream is a known 2-D
 * dataset ({@link KnownDensity}), each measurement also carries the grid total variation to the
 * true density.
 *
 * <p>Every measurement goes to one {@link Listener}: the single place that receives each new value
 * (progress lines, plots, and the {@code ebm_model_mmd} gauge). It runs on the trainer thread and
 * never touches the model's parameters. Its cost is measured in bench/RESULTS.md.
 */
public final class QualityProbe {

    /** Langevin steps the probe's own chains advance per measurement (losses without chains). */
    public static final int PROBE_STEPS = 20;

    /** Rows of each sample that the median bandwidth is taken over: O(n²) sorting stays small. */
    private static final int BANDWIDTH_ROWS = 128;

    /**
     * One measurement.
     *
     * @param step  the trainer step it was taken after
     * @param mmd   MMD between recent data and model samples (√ of the unbiased multi-scale MMD², clipped at 0)
     * @param tv    grid total variation to the known true density, NaN when the stream has none
     * @param nanos what the measurement cost on the trainer thread
     */
    public record Measurement(long step, double mmd, double tv, long nanos) {
    }

    /** Receives every measurement, on the trainer thread. */
    @FunctionalInterface
    public interface Listener {
        /** A new measurement of the model's quality. */
        void onModelQuality(Measurement m);
    }

    private final int everySteps;
    private final int window;
    private final int dim;
    private final EnergyFunction model;
    private final Supplier<Optional<INDArray>> persistentChains;
    private final KnownDensity known;
    private final Listener listener;
    private final double stepSize;
    private final RandomSource random;
    private final float[] recent;
    private long seen;
    private long updates;           // counted here, so the schedule does not depend on resumed step numbers
    private INDArray probeChains;
    private Sampler probeSampler;

    /**
     * @param everySteps       updates between measurements, at least 1
     * @param window           recent records and model samples compared, at least 2
     * @param model            the model being trained (read only)
     * @param persistentChains the loss's persistent chains if it has some (a copy, or a view the probe only reads)
     * @param stepSize         Langevin step of the probe's own chains
     * @param known            the stream's known density, or null
     * @param seed             seed of the probe's own randomness
     * @param listener         receives each measurement
     */
    public QualityProbe(int everySteps, int window, EnergyFunction model, Supplier<Optional<INDArray>> persistentChains,
            double stepSize, KnownDensity known, long seed, Listener listener) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("everySteps must be >= 1, got " + everySteps);
        }
        if (window < 2) {
            throw new IllegalArgumentException("window must be >= 2, got " + window);
        }
        this.everySteps = everySteps;
        this.window = window;
        this.model = Objects.requireNonNull(model, "model");
        this.dim = model.dimension();
        if (dim < 1) {
            throw new IllegalArgumentException("the probe needs a model of fixed dimension, got " + dim);
        }
        this.persistentChains = Objects.requireNonNull(persistentChains, "persistentChains");
        this.stepSize = stepSize;
        this.known = dim == 2 ? known : null;
        this.random = new RandomSource(seed);
        this.listener = Objects.requireNonNull(listener, "listener");
        this.recent = new float[window * dim];
    }

    /** Records the input of one update and measures when one is due. Call after each update. */
    public void afterUpdate(long step, INDArray batch) {
        remember(batch);
        updates++;
        if (updates % everySteps == 0 && seen >= window) {
            listener.onModelQuality(measure(step));
        }
    }

    private void remember(INDArray batch) {
        // The ring keeps the last `window` rows; for a batch longer than the window only its tail matters.
        float[] v = batch.castTo(DataType.FLOAT).dup('c').data().asFloat();
        int rows = v.length / dim;
        int from = Math.max(0, rows - window);
        for (int r = from; r < rows; r++) {
            int slot = (int) (seen++ % window);
            System.arraycopy(v, r * dim, recent, slot * dim, dim);
        }
    }

    /** Measures now, whatever the schedule (needs at least {@code window} records seen). */
    public Measurement measure(long step) {
        long t0 = System.nanoTime();
        double[][] data = rows(recent, window);
        INDArray samples = modelSamples(data);
        double[][] drawn = rows(samples.castTo(DataType.FLOAT).dup('c').data().asFloat(), (int) samples.rows());
        for (double[] row : drawn) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    // Diverged chains: as far from the data as it gets (the guard will roll back).
                    return new Measurement(step, Double.POSITIVE_INFINITY, Double.NaN, System.nanoTime() - t0);
                }
            }
        }
        double h = Mmd.medianBandwidth(head(data), head(drawn));
        double mmd2 = multiScaleMmd2(data, drawn, h);
        double tv = known == null ? Double.NaN : known.totalVariation(model);
        return new Measurement(step, Math.sqrt(Math.max(0, mmd2)), tv, System.nanoTime() - t0);
    }

    /**
     * Unbiased MMD² with the sum of four Gaussian kernels of bandwidths h, h/2, h/4 and h/8. The
     * median bandwidth alone is as wide as the whole data cloud on multimodal data, where it
     * cannot tell eight modes from a ring (measured: MMD 0 with the ring, grid TV 0.7); the
     * narrower kernels can. Each extra kernel is a power of the first, so it costs no extra exp.
     */
    static double multiScaleMmd2(double[][] a, double[][] b, double h) {
        double gamma = 1 / (2 * h * h);
        int n = a.length;
        int m = b.length;
        double kaa = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                kaa += kernels(gamma, a[i], a[j]);
            }
        }
        double kbb = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                kbb += kernels(gamma, b[i], b[j]);
            }
        }
        double kab = 0;
        for (double[] ai : a) {
            for (double[] bj : b) {
                kab += kernels(gamma, ai, bj);
            }
        }
        return (2 * kaa / (n * (n - 1.0)) + 2 * kbb / (m * (m - 1.0)) - 2 * kab / ((double) n * m)) / 4;
    }

    private static double kernels(double gamma, double[] u, double[] v) {
        double d2 = 0;
        for (int k = 0; k < u.length; k++) {
            double t = u[k] - v[k];
            d2 += t * t;
        }
        double e1 = Math.exp(-gamma * d2);   // bandwidth h
        double e2 = e1 * e1;
        double e4 = e2 * e2;                 // h/2: exp(-4γd²)
        double e16 = e4 * e4;
        e16 *= e16;                          // h/4: exp(-16γd²)
        double e64 = e16 * e16;
        e64 *= e64;                          // h/8: exp(-64γd²)
        return e1 + e4 + e16 + e64;
    }

    private double[][] rows(float[] flat, int n) {
        double[][] out = new double[n][dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                out[i][j] = flat[i * dim + j];
            }
        }
        return out;
    }

    private INDArray modelSamples(double[][] data) {
        Optional<INDArray> chains = persistentChains.get();
        if (chains.isPresent() && chains.get().rows() >= 2) {
            INDArray c = chains.get();
            long n = c.rows();
            if (n <= window) {
                return c.castTo(DataType.FLOAT);
            }
            // Evenly spaced rows: chains are visited round-robin, so these span every age.
            float[] all = c.castTo(DataType.FLOAT).dup('c').data().asFloat();
            float[] out = new float[window * dim];
            for (int i = 0; i < window; i++) {
                long r = i * n / window;
                System.arraycopy(all, (int) (r * dim), out, i * dim, dim);
            }
            return Nd4j.create(out, new long[] {window, dim}, DataType.FLOAT);
        }
        if (probeChains == null) {
            probeChains = uniformInBox(data);
            probeSampler = new LangevinDynamics(model, stepSize).withRandom(random);
        }
        probeSampler.advance(probeChains, PROBE_STEPS);
        return probeChains;
    }

    private INDArray uniformInBox(double[][] data) {
        double[] lo = data[0].clone();
        double[] hi = data[0].clone();
        for (double[] row : data) {
            for (int j = 0; j < dim; j++) {
                lo[j] = Math.min(lo[j], row[j]);
                hi[j] = Math.max(hi[j], row[j]);
            }
        }
        float[] out = new float[window * dim];
        for (int i = 0; i < window; i++) {
            for (int j = 0; j < dim; j++) {
                out[i * dim + j] = (float) (lo[j] + (hi[j] - lo[j]) * random.nextDouble());
            }
        }
        return Nd4j.create(out, new long[] {window, dim}, model.parameters().isEmpty() ? DataType.FLOAT
                : model.parameters().get(0).dataType());
    }

    private static double[][] head(double[][] x) {
        return x.length <= BANDWIDTH_ROWS ? x : java.util.Arrays.copyOf(x, BANDWIDTH_ROWS);
    }
}
