package io.streamebm.losses;

import io.streamebm.telemetry.LossDiagnostics;
import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.internal.HostArrays;
import io.streamebm.internal.Inputs;
import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.runtime.RandomSource;
import io.streamebm.samplers.Sampler;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Validation and small shared computations of the losses. */
final class LossSupport {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    /** State key of a loss's random source (six longs, see {@link RandomSource#state()}). */
    static final String KEY_RANDOM = "random";

    private LossSupport() {
    }

    /**
     * Checks the batch against the model and returns it in the model's data type, in C order and
     * not a view (a copy if needed; the caller's array is never modified). Called first by
     * every {@code apply}, so that a refused batch changes no state.
     */
    static INDArray checkData(String loss, EnergyFunction model, INDArray data) {
        Objects.requireNonNull(model, "model");
        Inputs.requireBatch(data, model.dimension(), loss + " data");
        DataType type = modelType(model, data.dataType());
        INDArray x = data.dataType() == type ? data : data.castTo(type);
        // The fused kernels and samplers read rows straight from the buffer: give them C order.
        return x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
    }

    /**
     * Checks a loss's probe rows ({@link ProbeEnergies}) as {@link #checkData} checks the batch;
     * null stays null. Called next to {@code checkData}, so that a refused probe changes no state.
     */
    static INDArray checkProbe(String loss, EnergyFunction model, INDArray probe) {
        return probe == null ? null : checkData(loss + " probe", model, probe);
    }

    /** The data type of the model's parameters, or {@code fallback} for a model without any. */
    static DataType modelType(EnergyFunction model, DataType fallback) {
        List<Tensor> ps = model.parameters();
        return ps.isEmpty() ? fallback : ps.get(0).dataType();
    }

    /** Refuses a model that is not the sampler's: the negatives would come from another density. */
    static void checkSampler(String loss, Sampler sampler, EnergyFunction model) {
        if (sampler.model() != model) {
            throw new IllegalArgumentException(loss + ": the sampler targets " + sampler.model()
                    + " but the loss was applied to " + model + "; the negatives must come from the model being trained");
        }
    }

    /**
     * The diagnostics of a loss that has no negatives and draws no samples (the score matching
     * losses): the mean energy of the first {@code n} rows, the data.
     */
    static LossDiagnostics dataOnly(double[] energies, int n) {
        return new LossDiagnostics(mean(energies, 0, n), Double.NaN, Double.NaN, Double.NaN, 0);
    }

    static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /**
     * The contrastive loss mean E(x⁺) − mean E(x⁻) + α(mean[E(x⁺)²] + mean[E(x⁻)²]) from one energy
     * pass over the stacked batch {@code [x⁺; x⁻]}: one forward and one backward through the model
     * instead of two, with the means folded into per-row weights (loss = Σ wᵢEᵢ + Σ uᵢEᵢ²). When
     * the model offers {@link FusedEnergyTerms} the parameter gradient comes from its kernel;
     * otherwise from the recorded graph. Probe rows, when given, ride along after the negatives
     * with weight zero: measured in the same pass, not trained on ({@link ProbeEnergies}).
     *
     * @param probe    rows to measure only ({@link #checkProbe checked}), or null
     * @param energies receives the energies of all n + m (+ probe) rows
     */
    static Tensor contrastive(EnergyFunction model, INDArray pos, INDArray neg, INDArray probe, double alpha,
            double[][] energies) {
        int n = (int) pos.rows();
        int m = (int) neg.rows();
        int p = probe == null ? 0 : (int) probe.rows();
        DataType type = pos.dataType();
        double[] w = new double[n + m + p];
        Arrays.fill(w, 0, n, 1.0 / n);
        Arrays.fill(w, n, n + m, -1.0 / m);
        double[] u = new double[n + m + p];
        Arrays.fill(u, 0, n, alpha / n);
        Arrays.fill(u, n, n + m, alpha / m);
        INDArray all = probe == null ? Nd4j.concat(0, pos, neg) : Nd4j.concat(0, pos, neg, probe);
        Optional<FusedEnergyTerms> fused = model.fusedEnergyTerms();
        if (fused.isPresent()) {
            FusedResult r = fused.get().energyTerms(all, n + m, (first, e, slopes) -> {
                double value = 0;
                for (int j = 0; j < e.length; j++) {
                    int i = first + j;
                    value += w[i] * e[j] + u[i] * e[j] * e[j];
                    slopes[j] = w[i] + 2 * u[i] * e[j];
                }
                return value;
            });
            energies[0] = r.energies();
            return r.toLoss();
        }
        Tensor e = model.energy(Tensor.constant(all));
        Tensor loss = e.mul(Tensor.constant(Nd4j.createFromArray(w).castTo(type))).sum();
        if (alpha != 0) {
            loss = loss.add(e.square().mul(Tensor.constant(Nd4j.createFromArray(u).castTo(type))).sum());
        }
        energies[0] = HostArrays.toDoubles(e.value());
        return loss;
    }

    /** A random source's state as a LONG array, for checkpoints. */
    static INDArray exportRandom(RandomSource random) {
        return Nd4j.createFromArray(random.state());
    }

    /** Reads a random-source state written by {@link #exportRandom}, validating it. */
    static long[] readRandom(String loss, Map<String, INDArray> state) {
        INDArray a = require(loss, state, KEY_RANDOM);
        if (a.length() != 6) {
            throw new IllegalArgumentException(loss + " state '" + KEY_RANDOM + "' has " + a.length()
                    + " elements, 6 expected");
        }
        long[] s = a.dup().castTo(DataType.LONG).toLongVector();
        // Validates (an all-zero state is refused) without touching the live source.
        RandomSource.fromState(s);
        return s;
    }

    static INDArray require(String loss, Map<String, INDArray> state, String key) {
        Objects.requireNonNull(state, "state");
        INDArray a = state.get(key);
        if (a == null) {
            throw new IllegalArgumentException(loss + " state lacks '" + key + "' (has " + state.keySet() + ")");
        }
        return a;
    }

    static void checkPositiveInt(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }

    static void checkNonNegative(String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and >= 0, got " + v);
        }
    }
}
