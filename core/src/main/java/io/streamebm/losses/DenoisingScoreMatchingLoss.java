package io.streamebm.losses;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.internal.HostArrays;
import io.streamebm.runtime.RandomSource;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Denoising score matching (Vincent 2011), with the sign that puts low energy on the data. With
 * x̃ = x + σξ, ξ ~ N(0, I), the score of the noising kernel is −(x̃ − x)/σ² and the model's score
 * is −∇E(x̃), so
 * <pre>
 *   loss = mean over the batch of ½‖∇ₓE(x̃) − (x̃ − x)/σ²‖²  =  ½‖∇ₓE(x̃) − ξ/σ‖²
 * </pre>
 * At the optimum ∇E(x̃) points away from the data, so energy rises away from it. (TorchEBM's
 * DenoisingScoreMatching regresses the opposite sign and ends with high energy on the data.) The
 * optimum is the score of the data smoothed by N(0, σ²I): choose σ small against the data's
 * scale.
 *
 * <p>For an energy that offers {@link FusedInputGradientTerms} (such as the MLP) the loss and its
 * parameter gradient (a double backward through the input gradient) come from its fused kernel
 * instead of a recorded graph.
 *
 * <p>Diagnostics: energyPositive is the mean energy of the noised batch x̃ (the energies this loss
 * computes; no extra pass on x). State key {@code "random"}.
 */
public final class DenoisingScoreMatchingLoss extends RandomizedLoss {

    private static final String NAME = "dsm";

    private final double sigma;
    private final RandomSource random;

    /** DSM with noise level {@code sigma}, seeded with 0. */
    public DenoisingScoreMatchingLoss(double sigma) {
        this(sigma, new RandomSource(0));
    }

    /**
     * @param sigma  the noise standard deviation, &gt; 0
     * @param random the source of the noise
     */
    public DenoisingScoreMatchingLoss(double sigma, RandomSource random) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
        }
        this.sigma = sigma;
        this.random = Objects.requireNonNull(random, "random");
    }

    /** σ. */
    public double sigma() {
        return sigma;
    }

    /** The random source of the noise. */
    @Override
    public RandomSource random() {
        return random;
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray xv = LossSupport.checkData(NAME, model, data);
        long n = xv.rows();
        INDArray xi = random.gaussian(xv.dataType(), n, xv.columns());
        INDArray noisy = xi.mul(sigma).addi(xv);
        Optional<FusedInputGradientTerms> fused = model.fusedInputGradientTerms();
        if (fused.isPresent()) {
            // Fused: ∇ₓE by the kernel, then the double backward of ½Σ‖∇E − ξ/σ‖²/n.
            double[] target = HostArrays.toDoubles(xi);
            int d = (int) xv.columns();
            FusedResult result = fused.get().inputGradientTerms(noisy, (first, g, slopes) -> {
                double value = 0;
                for (int j = 0; j < g.length; j++) {
                    double res = g[j] - target[first * d + j] / sigma;
                    value += res * res;
                    slopes[j] = res / n;
                }
                return 0.5 * value / n;
            });
            record(LossSupport.dataOnly(result.energies(), (int) n));
            return result.toLoss();
        }
        Tensor x = Tensor.variable(noisy);
        Tensor e = model.energy(x);
        Tensor g = Autograd.grad(e, x, true);
        Tensor r = g.sub(Tensor.constant(xi.div(sigma)));
        Tensor loss = r.square().sum().mul(0.5 / n);
        record(LossSupport.dataOnly(HostArrays.toDoubles(e.value()), (int) n));
        return loss;
    }

    @Override
    public String name() {
        return NAME;
    }
}
