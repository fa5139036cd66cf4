package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.internal.HostArrays;
import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.fused.RowBlocks;
import io.streamebm.runtime.Stateful;
import io.streamebm.distributions.Distribution;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Noise-contrastive estimation (Gutmann and Hyvärinen 2010): logistic regression between the data
 * and ν noise samples per data point from a known density q, with the log-normaliser c = log Z
 * learned as a parameter. With G(u) = −E(u) − c − log q(u) and h = σ(G − log ν),
 * <pre>
 *   loss = −[ mean_data log h(x) + ν · mean_noise log(1 − h(y)) ]
 * </pre>
 * At the optimum the model is normalised: exp(−E − c) is the data density, so c converges to the
 * true log Z. The noise should cover the data (a too-narrow q leaves regions unconstrained).
 *
 * <p>c is a scalar {@link Tensor#parameter} exposed through {@link #parameters()}: give it to the
 * optimizer together with the model's parameters (see
 * {@code io.streamebm.optim.TrainingStep#trainableParameters}); its value is
 * {@link #logNormalizer()}. Data and noise go through the model in one batched pass; for an
 * energy that offers {@link FusedEnergyTerms} the parameter gradient comes from its fused kernel.
 *
 * <p>Noise: each call draws one seed per block of rows from the loss's source (the blocks of
 * {@link RowBlocks}, which split a large batch in two by row count alone) and samples each
 * block's noise from its own seeded stream, on the block's thread. So noise is drawn in parallel,
 * and a seed gives the same noise on any machine and along either path. The noise distribution
 * must allow concurrent calls; the library's distributions are immutable.
 *
 * <p>Diagnostics: energyNegative is the mean energy of the noise samples. State keys:
 * {@code "logNormalizer"} (scalar) and {@code "random"} (the noise's source).
 */
public final class NoiseContrastiveEstimationLoss extends BaseLoss implements Stateful {

    /** State key of the learned log-normaliser c. */
    public static final String KEY_LOG_NORMALIZER = "logNormalizer";

    private static final String NAME = "nce";

    private final Distribution noise;
    private final int nu;
    private final RandomSource random;
    private final Tensor c;

    /** NCE with c = 0 in float32 and noise drawn from a source seeded with 0. */
    public NoiseContrastiveEstimationLoss(Distribution noiseDistribution, int noiseSamplesPerData) {
        this(noiseDistribution, noiseSamplesPerData, new RandomSource(0), DataType.FLOAT);
    }

    /**
     * @param noiseDistribution   q, sampled and evaluated exactly
     * @param noiseSamplesPerData ν ≥ 1
     * @param random              the source of the noise samples
     * @param type                data type of c (FLOAT or DOUBLE); use the model's
     */
    public NoiseContrastiveEstimationLoss(Distribution noiseDistribution, int noiseSamplesPerData,
            RandomSource random, DataType type) {
        this.noise = Objects.requireNonNull(noiseDistribution, "noiseDistribution");
        LossSupport.checkPositiveInt("noiseSamplesPerData", noiseSamplesPerData);
        this.nu = noiseSamplesPerData;
        this.random = Objects.requireNonNull(random, "random");
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("type must be FLOAT or DOUBLE, got " + type);
        }
        this.c = Tensor.parameter(Nd4j.scalar(type, 0.0));
    }

    /** The learned log-normaliser c as a trainable scalar tensor. */
    public Tensor logNormalizerParameter() {
        return c;
    }

    /** The current value of c, the estimate of log Z. */
    public double logNormalizer() {
        return c.value().getDouble(0);
    }

    /** Sets c (for instance to warm-start it) in place. */
    public void setLogNormalizer(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("log-normaliser must be finite, got " + value);
        }
        c.value().assign(value);
    }

    /** The noise distribution q. */
    public Distribution noiseDistribution() {
        return noise;
    }

    /** ν. */
    public int noiseSamplesPerData() {
        return nu;
    }

    /** The random source of the noise. */
    public RandomSource random() {
        return random;
    }

    @Override
    public List<Tensor> parameters() {
        return List.of(c);
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray x = LossSupport.checkData(NAME, model, data);
        int n = (int) x.rows();
        int d = (int) x.columns();
        if (noise.dimension() > 0 && noise.dimension() != d) {
            throw new IllegalArgumentException(NAME + ": the noise distribution has dimension " + noise.dimension()
                    + " but the data has " + d);
        }
        DataType type = x.dataType();
        // s·z with s = +1 for data and −1 for noise, z = −E − c − log q − log ν:
        // loss = −(1/n) Σ log σ(s·z), which is the NCE objective above written once for all rows.
        int rows = n + n * nu;
        int[] bounds = RowBlocks.bounds(rows);
        long[] seeds = new long[bounds.length - 1];
        for (int b = 0; b < seeds.length; b++) {
            seeds[b] = random.nextLong();
        }
        double[] lq = new double[rows];
        long[] samplingNanos = new long[seeds.length];
        RowBlocks.Rows input = (block, from, to) -> blockRows(x, type, seeds[block], from, to, lq,
                samplingNanos, block);
        Optional<FusedEnergyTerms> fused = c.dataType() == type ? model.fusedEnergyTerms() : Optional.empty();
        Tensor loss;
        double[] ev;
        if (fused.isPresent()) {
            double cv = c.value().getDouble(0);
            double logNu = Math.log(nu);
            double[] slopeOfRow = new double[rows];
            FusedResult r = fused.get().energyTerms(rows, input, (first, e, slopes) -> {
                double value = 0;
                for (int j = 0; j < e.length; j++) {
                    int i = first + j;
                    double s = i < n ? 1 : -1;
                    double sz = s * (-e[j] - cv - lq[i] - logNu);
                    // With q = exp(−|sz|): log σ(sz) = min(sz, 0) − log(1 + q), stable for any sz,
                    // and σ(−sz) = q/(1 + q) or 1/(1 + q); one exponential serves both.
                    double q = Math.exp(-Math.abs(sz));
                    value -= (Math.min(sz, 0) - Math.log1p(q)) / n;
                    double dz = -s * (sz >= 0 ? q : 1) / (1 + q) / n;   // d(loss)/dz_i
                    slopes[j] = -dz;
                    slopeOfRow[i] = slopes[j];
                }
                return value;
            });
            ev = r.energies();
            // c enters z exactly as E does (z = −E − c − …), so ∂loss/∂c = Σᵢ ∂loss/∂Eᵢ.
            double dc = 0;
            for (double slope : slopeOfRow) {
                dc += slope;
            }
            loss = r.withGradient(KEY_LOG_NORMALIZER, c, Nd4j.scalar(type, dc)).toLoss();
        } else {
            INDArray[] blocks = new INDArray[seeds.length];
            for (int b = 0; b < blocks.length; b++) {
                blocks[b] = input.rows(b, bounds[b], bounds[b + 1]);
            }
            INDArray all = blocks.length == 1 ? blocks[0] : Nd4j.concat(0, blocks);
            double[] sign = new double[rows];
            Arrays.fill(sign, 0, n, 1.0);
            Arrays.fill(sign, n, rows, -1.0);
            INDArray signs = Nd4j.createFromArray(sign).castTo(type);
            Tensor e = model.energy(Tensor.constant(all));
            Tensor cc = c.dataType() == type ? c : c.castTo(type);
            INDArray offset = Nd4j.createFromArray(lq).addi(Math.log(nu)).castTo(type);
            Tensor z = e.neg().sub(cc).sub(Tensor.constant(offset));
            loss = z.mul(Tensor.constant(signs)).logSigmoid().sum().mul(-1.0 / n);
            ev = HostArrays.toDoubles(e.value());
        }
        long sampling = 0;
        for (long t : samplingNanos) {
            sampling += t;
        }
        record(new LossDiagnostics(LossSupport.mean(ev, 0, n), LossSupport.mean(ev, n, ev.length), Double.NaN,
                Double.NaN, sampling), ev, n);
        return loss;
    }

    /**
     * Rows {@code [from, to)} of the stacked batch [data; noise]: the data rows that fall in the
     * range, then this block's noise, drawn from a source seeded with {@code seed}. Writes log q of
     * the block's rows into {@code lq} and the sampling time into {@code nanos[block]}. Runs on the
     * block's thread, so it touches nothing shared but its own slots.
     */
    private INDArray blockRows(INDArray x, DataType type, long seed, int from, int to, double[] lq, long[] nanos,
            int block) {
        int n = (int) x.rows();
        int noiseFrom = Math.max(from, n);
        INDArray y = null;
        if (to > noiseFrom) {
            long t0 = System.nanoTime();
            y = noise.sample(new RandomSource(seed), to - noiseFrom, (int) x.columns());
            if (y.dataType() != type) {
                y = y.castTo(type);
            }
            nanos[block] = System.nanoTime() - t0;
        }
        INDArray dataRows = from < n ? x.get(NDArrayIndex.interval(from, Math.min(to, n)), NDArrayIndex.all()) : null;
        INDArray rows = y == null ? dataRows : dataRows == null ? y : Nd4j.concat(0, dataRows, y);
        double[] logq = HostArrays.toDoubles(noise.logProb(rows));
        System.arraycopy(logq, 0, lq, from, to - from);
        return rows;
    }

    /** The data's energies, the first rows of the pass that also measures the noise. */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return offerDataEnergies();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(KEY_LOG_NORMALIZER, c.value().dup());
        out.put(LossSupport.KEY_RANDOM, LossSupport.exportRandom(random));
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        INDArray v = LossSupport.require(NAME, state, KEY_LOG_NORMALIZER);
        long[] r = LossSupport.readRandom(NAME, state);
        if (v.length() != 1 || !Double.isFinite(v.getDouble(0))) {
            throw new IllegalArgumentException(NAME + " state '" + KEY_LOG_NORMALIZER + "' must be one finite value");
        }
        c.value().assign(v.getDouble(0));
        random.restore(r);
    }
}
