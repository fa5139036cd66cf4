package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.samplers.Sampler;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Optional;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Contrastive divergence CD-k (Hinton 2002): negatives are k sampler steps started from the data
 * batch, and
 * <pre>
 *   loss = mean E(x⁺) − mean E(x⁻) + α · (mean[E(x⁺)²] + mean[E(x⁻)²])
 * </pre>
 * with the negatives x⁻ treated as constants for the gradient. The energy regulariser (α = 0.001
 * by default, as TorchEBM; IGEBM used 1) keeps energies from drifting, which CD alone does not
 * control because only differences of energies enter its gradient. Optional Gaussian noise of
 * standard deviation {@code dataNoise} is added to the data, which then serve both as positives
 * and as the chains' starts (off by default).
 *
 * <p>The negatives come from the sampler's own {@link EnergyFunction#gradient} (a fused kernel
 * where the model has one), so no autograd graph is built while sampling. All randomness comes
 * from the sampler's {@link Sampler#random()}; {@link #exportState()} stores it under
 * {@code "random"}. Data and negatives go through the model in one stacked pass; for an energy
 * that offers {@link io.streamebm.energy.fused.FusedEnergyTerms} (such as the MLP) the parameter gradient
 * comes from its fused kernel rather than a recorded graph, with the same value and gradient.
 */
public final class ContrastiveDivergenceLoss extends RandomizedLoss {

    private static final String NAME = "cd";

    private final Sampler sampler;
    private final int k;
    private double alpha = 0.001;
    private double dataNoise;
    private INDArray lastNegatives;

    /**
     * @param sampler draws the negatives; its model must be the one passed to {@link #apply}
     * @param k       sampler steps per call, at least 1
     */
    public ContrastiveDivergenceLoss(Sampler sampler, int k) {
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        LossSupport.checkPositiveInt("k", k);
        this.k = k;
    }

    /**
     * The same loss with energy-regularisation weight α ≥ 0 (0 switches it off), as a copy that shares
     * the sampler; this loss is unchanged.
     */
    public ContrastiveDivergenceLoss withAlpha(double alpha) {
        LossSupport.checkNonNegative("alpha", alpha);
        return copy(alpha, dataNoise);
    }

    /** The same loss adding Gaussian noise of standard deviation {@code std} to the data (0: none), as a copy. */
    public ContrastiveDivergenceLoss withDataNoise(double std) {
        LossSupport.checkNonNegative("dataNoise", std);
        return copy(alpha, std);
    }

    private ContrastiveDivergenceLoss copy(double alpha, double dataNoise) {
        ContrastiveDivergenceLoss copy = new ContrastiveDivergenceLoss(sampler, k);
        copy.alpha = alpha;
        copy.dataNoise = dataNoise;
        return copy;
    }

    /** α. */
    public double alpha() {
        return alpha;
    }

    /** The data-noise standard deviation. */
    public double dataNoise() {
        return dataNoise;
    }

    /** k. */
    public int k() {
        return k;
    }

    /** The sampler. */
    public Sampler sampler() {
        return sampler;
    }

    /** The negatives of the last call, {@code [n, d]}, or null before the first call. */
    public INDArray lastNegatives() {
        return lastNegatives;
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray x = LossSupport.checkData(NAME, model, data);
        LossSupport.checkSampler(NAME, sampler, model);
        INDArray probe = LossSupport.checkProbe(NAME, model, probeRows());
        if (dataNoise > 0) {
            x = x.add(sampler.random().gaussian(x.dataType(), x.rows(), x.columns()).muli(dataNoise));
        }
        long t0 = System.nanoTime();
        INDArray neg = sampler.sample(x, k);
        long sampling = System.nanoTime() - t0;
        double acceptance = sampler.lastAcceptanceRate();
        double[][] e = new double[1][];
        Tensor loss = LossSupport.contrastive(model, x, neg, probe, alpha, e);
        int n = (int) x.rows();
        int m = (int) neg.rows();
        lastNegatives = neg;
        record(new LossDiagnostics(LossSupport.mean(e[0], 0, n), LossSupport.mean(e[0], n, n + m),
                acceptance, Double.NaN, sampling), e[0], n, n + m);
        return loss;
    }

    /** The data's energies, unless data noise perturbs the rows this loss measures. */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return dataNoise == 0 ? offerDataEnergies() : Optional.empty();
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

    /** The random source the negatives draw from (the sampler's). */
    @Override
    public RandomSource random() {
        return sampler.random();
    }
}
