package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.runtime.Stateful;
import io.streamebm.samplers.Sampler;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Optional;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Persistent contrastive divergence (Tieleman 2008): the loss of {@link ContrastiveDivergenceLoss},
 * with negatives drawn from persistent chains that continue across calls instead of restarting at
 * the data.
 *
 * <p>The chains are one {@code [nPersistentChains, d]} matrix, created from N(0, I) noise on the
 * first call. Each call takes the next min(n, nPersistentChains) chains in round-robin order (a
 * contiguous block, so no gather of random rows), re-initialises each of them with probability
 * {@code reinitProbability} (default 0.05, the IGEBM/JEM practice), advances them k sampler steps
 * in place and uses them as the negatives.
 *
 * <p><b>Where chains restart.</b> The default {@link RestartSource#DATA} restarts a chain at a
 * random row of the current batch; {@link RestartSource#NOISE} restarts it from N(0, I). Measured
 * on a 2-D Gaussian (see TORCHEBM.md), noise restarts biased the recovered mean by 0.12–0.5
 * because young chains sit near the origin and drag the negatives, and with them the model, away
 * from the data; restarts from data carry no such bias at the optimum, where the data already
 * follow the model, and still keep chains fresh when a stream drifts. Hence DATA by default.
 * The price of DATA on multimodal data: chains that restart on the modes rarely cross the low
 * density between them at small step sizes, so the energy there is never pushed up and the model
 * may learn a ring where the data has eight separate modes. {@link RestartSource#UNIFORM} restarts
 * uniformly over the box the data has spanned: a small bias (as with NOISE, young chains sit where
 * the data is not), but valleys between modes are visited and raised. The streaming pipeline
 * measures the trade-off per dataset (bench/RESULTS.md) and chooses its own default.
 *
 * <p>Like CD, data and negatives go through the model in one stacked pass, with the energy's fused
 * gradient kernel when it offers {@link io.streamebm.energy.fused.FusedEnergyTerms}.
 *
 * <p>The diagnostics' chain-energy mean averages, over all chains, the energy each chain had when
 * it last moved (a cache filled from the energies this loss computes anyway), so it costs no extra
 * model evaluation. All randomness comes from the sampler's random source.
 *
 * <p>State keys: {@code "chains"} ({@code [nChains, d]}, present once initialised),
 * {@code "cursor"} (LONG scalar, −1 before initialisation), {@code "chainEnergies"} ({@code [nChains]}
 * DOUBLE, NaN for chains not yet drawn), {@code "dataBox"} (UNIFORM restarts only, see
 * {@link #KEY_DATA_BOX}) and {@code "random"}. Export, import and continue equals an
 * uninterrupted run bit for bit (given a sampler without hidden state of its own beyond its random
 * source).
 *
 * <p>About 400 lines because the chains are state: restarts (three sources), their checkpointed
 * export and import, and the copies made by the {@code with…} options live with the loss that owns them.
 */
public final class PersistentContrastiveDivergenceLoss extends BaseLoss implements Stateful, PersistentChains {

    /** Where re-initialised chains restart. */
    public enum RestartSource {
        /** At a uniformly drawn row of the current data batch (the default; see the class notes). */
        DATA,
        /** From standard normal noise N(0, I), as the chains start. */
        NOISE,
        /**
         * Uniformly in the box the data has spanned so far (per dimension, the running minimum and
         * maximum of every batch seen, widened by {@link #UNIFORM_MARGIN} of its width on each
         * side). Restarted chains then land between and around the modes as often as on them, so
         * the energy of regions the data never visits keeps being pushed up; see the class notes.
         */
        UNIFORM
    }

    /**
     * How far the {@link RestartSource#UNIFORM} box extends beyond the data's range on each side,
     * as a fraction of that range: enough to keep the rim of the data region in check, small
     * enough that few restarts are spent far away from it.
     */
    public static final double UNIFORM_MARGIN = 0.1;

    /** State key of the chains. */
    public static final String KEY_CHAINS = "chains";
    /** State key of the round-robin cursor. */
    public static final String KEY_CURSOR = "cursor";
    /**
     * State key of the data box of {@link RestartSource#UNIFORM}: {@code [2, d]} DOUBLE, the
     * running minimum (row 0) and maximum (row 1); absent before the first batch.
     */
    public static final String KEY_DATA_BOX = "dataBox";
    /** State key of the per-chain energy cache. */
    public static final String KEY_CHAIN_ENERGIES = "chainEnergies";

    private static final String NAME = "pcd";

    private final Sampler sampler;
    private final int nChains;
    private final int k;
    private double alpha = 0.001;
    private double reinitProbability = 0.05;
    private RestartSource restartSource = RestartSource.DATA;
    private INDArray chains;            // null until the first call
    private int cursor = -1;
    private final double[] chainEnergies;
    private double[] boxMin;            // running data range for UNIFORM restarts; null until data arrives
    private double[] boxMax;
    private INDArray lastNegatives;

    /**
     * @param sampler           advances the chains; its model must be the one passed to {@link #apply}
     * @param nPersistentChains number of persistent chains, at least 1
     * @param k                 sampler steps per call, at least 1
     */
    public PersistentContrastiveDivergenceLoss(Sampler sampler, int nPersistentChains, int k) {
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        LossSupport.checkPositiveInt("nPersistentChains", nPersistentChains);
        LossSupport.checkPositiveInt("k", k);
        this.nChains = nPersistentChains;
        this.k = k;
        this.chainEnergies = new double[nPersistentChains];
        Arrays.fill(chainEnergies, Double.NaN);
    }

    /**
     * The same loss with energy-regularisation weight α ≥ 0 (default 0.001). Like every {@code with…}
     * method here it returns a copy that shares the sampler and carries this loss's chains, and leaves
     * this loss unchanged.
     */
    public PersistentContrastiveDivergenceLoss withAlpha(double alpha) {
        LossSupport.checkNonNegative("alpha", alpha);
        return copy(alpha, reinitProbability, restartSource);
    }

    /** The same loss where a drawn chain restarts with probability p in [0, 1] (default 0.05). */
    public PersistentContrastiveDivergenceLoss withReinitProbability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("reinitProbability must be in [0, 1], got " + p);
        }
        return copy(alpha, p, restartSource);
    }

    /** The same loss with restarted chains beginning at {@code source} (default {@link RestartSource#DATA}). */
    public PersistentContrastiveDivergenceLoss withRestartSource(RestartSource source) {
        return copy(alpha, reinitProbability, Objects.requireNonNull(source, "source"));
    }

    private PersistentContrastiveDivergenceLoss copy(double alpha, double p, RestartSource source) {
        PersistentContrastiveDivergenceLoss copy = new PersistentContrastiveDivergenceLoss(sampler, nChains, k);
        copy.alpha = alpha;
        copy.reinitProbability = p;
        copy.restartSource = source;
        if (chains != null) {
            copy.importState(exportState());
        }
        return copy;
    }

    /** α. */
    public double alpha() {
        return alpha;
    }

    /** The re-initialisation probability. */
    public double reinitProbability() {
        return reinitProbability;
    }

    /** Where restarted chains begin. */
    public RestartSource restartSource() {
        return restartSource;
    }

    /** The number of persistent chains. */
    public int nPersistentChains() {
        return nChains;
    }

    /** k. */
    public int k() {
        return k;
    }

    /** The sampler. */
    public Sampler sampler() {
        return sampler;
    }

    /** A copy of all chains {@code [nChains, d]}, or null before the first call. */
    @Override
    public INDArray chains() {
        return chains == null ? null : chains.dup();
    }

    /** The negatives of the last call (the chains it advanced), or null before the first call. */
    public INDArray lastNegatives() {
        return lastNegatives;
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray x = LossSupport.checkData(NAME, model, data);
        LossSupport.checkSampler(NAME, sampler, model);
        INDArray probe = LossSupport.checkProbe(NAME, model, probeRows());
        long d = x.columns();
        if (chains != null && (chains.columns() != d || chains.dataType() != x.dataType())) {
            throw new IllegalArgumentException(NAME + ": the persistent chains have shape "
                    + Arrays.toString(chains.shape()) + " " + chains.dataType() + " but the data batch is "
                    + Arrays.toString(x.shape()) + " " + x.dataType());
        }
        RandomSource random = sampler.random();
        if (chains == null) {
            chains = random.gaussian(x.dataType(), nChains, d);
            cursor = 0;
        }
        int n = (int) x.rows();
        int m = Math.min(n, nChains);
        int from = cursor;
        int firstLen = Math.min(m, nChains - from);
        INDArray head = chains.get(NDArrayIndex.interval(from, from + firstLen), NDArrayIndex.all());
        INDArray tail = firstLen < m ? chains.get(NDArrayIndex.interval(0, m - firstLen), NDArrayIndex.all()) : null;
        INDArray neg = tail == null ? head.dup('c') : Nd4j.concat(0, head, tail);
        if (restartSource == RestartSource.UNIFORM) {
            widenBox(x);
        }
        restart(neg, x, random, reinitProbability);

        long t0 = System.nanoTime();
        sampler.advance(neg, k);
        long sampling = System.nanoTime() - t0;
        double acceptance = sampler.lastAcceptanceRate();

        head.assign(neg.get(NDArrayIndex.interval(0, firstLen), NDArrayIndex.all()));
        if (tail != null) {
            tail.assign(neg.get(NDArrayIndex.interval(firstLen, m), NDArrayIndex.all()));
        }
        cursor = (from + m) % nChains;

        double[][] e = new double[1][];
        Tensor loss = LossSupport.contrastive(model, x, neg, probe, alpha, e);
        for (int i = 0; i < m; i++) {
            chainEnergies[(from + i) % nChains] = e[0][n + i];
        }
        lastNegatives = neg;
        record(new LossDiagnostics(LossSupport.mean(e[0], 0, n), LossSupport.mean(e[0], n, n + m),
                acceptance, chainEnergyMean(), sampling), e[0], n, n + m);
        return loss;
    }

    /** Widens the running data box by {@code x}; one host copy of the batch, d = 2 costs ~1 µs. */
    private void widenBox(INDArray x) {
        int d = (int) x.columns();
        float[] v = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
        if (boxMin == null) {
            boxMin = new double[d];
            boxMax = new double[d];
            Arrays.fill(boxMin, Double.POSITIVE_INFINITY);
            Arrays.fill(boxMax, Double.NEGATIVE_INFINITY);
        }
        for (int i = 0; i < v.length; i++) {
            int j = i % d;
            boxMin[j] = Math.min(boxMin[j], v[i]);
            boxMax[j] = Math.max(boxMax[j], v[i]);
        }
    }

    /**
     * The box of {@link RestartSource#UNIFORM} restarts, {@code [2, d]} (minimum row, maximum
     * row), margin included; null before the first call.
     */
    public double[][] uniformRestartBox() {
        if (boxMin == null) {
            return null;
        }
        int d = boxMin.length;
        double[][] out = new double[2][d];
        for (int j = 0; j < d; j++) {
            // A constant dimension still gets a box of width 2·margin, not a point.
            double w = Math.max(boxMax[j] - boxMin[j], 1.0);
            out[0][j] = boxMin[j] - UNIFORM_MARGIN * w;
            out[1][j] = boxMax[j] + UNIFORM_MARGIN * w;
        }
        return out;
    }

    /**
     * Restarts every chain from the {@link #restartSource()}: DATA at rows of {@code data}, UNIFORM
     * in the data box (widened by {@code data} first, so that it exists even for chains restored
     * from a checkpoint without one), NOISE from N(0, I). Draws from the sampler's random source,
     * so a replay from the same state restarts them the same way.
     */
    @Override
    public void restartChains(INDArray data) {
        if (chains == null) {
            return;
        }
        if (restartSource == RestartSource.UNIFORM) {
            widenBox(data);
        }
        restart(chains, data, sampler.random(), 1);
    }

    /** Re-initialises each row of {@code neg} with probability {@code probability}. */
    private void restart(INDArray neg, INDArray data, RandomSource random, double probability) {
        if (probability == 0) {
            return;
        }
        int m = (int) neg.rows();
        int d = (int) neg.columns();
        int n = (int) data.rows();
        double[][] box = restartSource == RestartSource.UNIFORM ? uniformRestartBox() : null;
        for (int i = 0; i < m; i++) {
            if (random.nextDouble() >= probability) {
                continue;
            }
            if (restartSource == RestartSource.DATA) {
                int r = random.nextInt(n);
                for (int j = 0; j < d; j++) {
                    neg.putScalar(i, j, data.getDouble(r, j));
                }
            } else if (restartSource == RestartSource.UNIFORM) {
                for (int j = 0; j < d; j++) {
                    neg.putScalar(i, j, box[0][j] + (box[1][j] - box[0][j]) * random.nextDouble());
                }
            } else {
                for (int j = 0; j < d; j++) {
                    neg.putScalar(i, j, random.nextGaussian());
                }
            }
        }
    }

    private double chainEnergyMean() {
        double s = 0;
        int c = 0;
        for (double v : chainEnergies) {
            if (!Double.isNaN(v)) {
                s += v;
                c++;
            }
        }
        return c == 0 ? Double.NaN : s / c;
    }

    /** The data's energies, measured with the negatives' in one pass. */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return offerDataEnergies();
    }

    /** The probe rows ride along in the one stacked pass of data and negatives. */
    @Override
    public Optional<ProbeEnergies> probeEnergies() {
        return offerProbeEnergies();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        if (chains != null) {
            out.put(KEY_CHAINS, chains.dup('c'));
        }
        out.put(KEY_CURSOR, Nd4j.scalar(DataType.LONG, cursor));
        out.put(KEY_CHAIN_ENERGIES, Nd4j.createFromArray(chainEnergies.clone()));
        if (boxMin != null) {
            out.put(KEY_DATA_BOX, Nd4j.createFromArray(new double[][] {boxMin.clone(), boxMax.clone()}));
        }
        out.put(LossSupport.KEY_RANDOM, LossSupport.exportRandom(sampler.random()));
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        // Validate everything first: a state that does not fit leaves this loss unchanged.
        long c = LossSupport.require(NAME, state, KEY_CURSOR).getLong(0);
        INDArray energies = LossSupport.require(NAME, state, KEY_CHAIN_ENERGIES);
        long[] random = LossSupport.readRandom(NAME, state);
        if (energies.length() != nChains) {
            throw new IllegalArgumentException(NAME + " state '" + KEY_CHAIN_ENERGIES + "' has " + energies.length()
                    + " elements but this loss has " + nChains + " chains");
        }
        INDArray newChains = null;
        if (c >= 0) {
            if (c >= nChains) {
                throw new IllegalArgumentException(NAME + " state '" + KEY_CURSOR + "' = " + c + " is outside [0, "
                        + nChains + ")");
            }
            INDArray ch = LossSupport.require(NAME, state, KEY_CHAINS);
            if (ch.rank() != 2 || ch.rows() != nChains) {
                throw new IllegalArgumentException(NAME + " state '" + KEY_CHAINS + "' has shape "
                        + Arrays.toString(ch.shape()) + " but this loss has " + nChains + " chains");
            }
            if (ch.dataType() != DataType.FLOAT && ch.dataType() != DataType.DOUBLE) {
                throw new IllegalArgumentException(NAME + " state '" + KEY_CHAINS + "' must be FLOAT or DOUBLE, got "
                        + ch.dataType());
            }
            newChains = ch.dup('c');
        } else if (c != -1) {
            throw new IllegalArgumentException(NAME + " state '" + KEY_CURSOR + "' = " + c + " is invalid");
        }
        // Optional: checkpoints written before UNIFORM restarts existed have no box; the next
        // batch starts a new one.
        INDArray box = state.get(KEY_DATA_BOX);
        double[][] newBox = null;
        if (box != null) {
            if (box.rank() != 2 || box.rows() != 2) {
                throw new IllegalArgumentException(NAME + " state '" + KEY_DATA_BOX + "' has shape "
                        + Arrays.toString(box.shape()) + ", expected [2, d]");
            }
            newBox = box.castTo(DataType.DOUBLE).toDoubleMatrix();
        }
        double[] e = energies.dup().castTo(DataType.DOUBLE).toDoubleVector();
        boxMin = newBox == null ? null : newBox[0];
        boxMax = newBox == null ? null : newBox[1];
        chains = newChains;
        cursor = (int) c;
        System.arraycopy(e, 0, chainEnergies, 0, nChains);
        sampler.random().restore(random);
    }
}
