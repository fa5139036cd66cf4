package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.internal.HostArrays;
import io.streamebm.energy.NormalizedEnergy;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact maximum likelihood for energies whose normaliser is known in closed form
 * ({@link NormalizedEnergy}): the negative log-likelihood per data point,
 * <pre>
 *   loss = mean E(x) + log Z(θ).
 * </pre>
 * Any other energy is refused: without log Z the mean energy alone has no minimum (it is lowered
 * by pushing all energies down), so silently training it would diverge. Use a contrastive, score
 * matching or NCE loss for such energies.
 */
public final class MaximumLikelihoodLoss extends BaseLoss {

    private static final String NAME = "mle";

    /** The MLE loss; it has no configuration. */
    public MaximumLikelihoodLoss() {
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        if (!(model instanceof NormalizedEnergy)) {
            throw new IllegalArgumentException("MaximumLikelihoodLoss needs an energy with a known normaliser "
                    + "(io.streamebm.energy.NormalizedEnergy with logPartition()), but "
                    + (model == null ? "null" : model.getClass().getName())
                    + " has none: without log Z the likelihood cannot be evaluated. Train it with "
                    + "ContrastiveDivergenceLoss, PersistentContrastiveDivergenceLoss, ScoreMatchingLoss, "
                    + "DenoisingScoreMatchingLoss or NoiseContrastiveEstimationLoss instead");
        }
        INDArray x = LossSupport.checkData(NAME, model, data);
        Tensor e = model.energy(Tensor.constant(x));
        Tensor loss = e.mean().add(((NormalizedEnergy) model).logPartition());
        double[] ev = HostArrays.toDoubles(e.value());
        record(new LossDiagnostics(LossSupport.mean(ev, 0, ev.length), Double.NaN, Double.NaN, Double.NaN, 0), ev, ev.length);
        return loss;
    }

    /** The data's energies, the mean of which is the loss. */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return offerDataEnergies();
    }

    @Override
    public String name() {
        return NAME;
    }
}
