package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.FiniteDifferences;
import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.runtime.Stateful;
import io.streamebm.distributions.Normal;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.samplers.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameter gradient of every loss (what {@code backward()} leaves in {@code grad()}) against
 * central finite differences of {@code apply(...).item()}, in float64 on a small MLP (and a
 * Gaussian for MLE), with the loss's randomness fixed: its random state is re-imported before
 * every evaluation, and contrastive losses get a sampler that returns fixed negatives (CD treats
 * negatives as constants, so their dependence on θ must not enter the finite differences).
 */
class LossGradientCheckTest {

    /** A sampler stub whose "samples" are fixed rows: the negatives do not depend on θ. */
    static final class FixedSampler implements Sampler {
        private final EnergyFunction model;
        private final INDArray negatives;
        private final RandomSource random = new RandomSource(77);

        FixedSampler(EnergyFunction model, INDArray negatives) {
            this.model = model;
            this.negatives = negatives;
        }

        @Override
        public EnergyFunction model() {
            return model;
        }

        @Override
        public RandomSource random() {
            return random;
        }

        @Override
        public INDArray sample(INDArray x0, int nSteps) {
            return negatives.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, x0.rows()),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        }

        @Override
        public INDArray sample(int nChains, int dim, int nSteps) {
            return sample(Nd4j.zeros(DataType.DOUBLE, nChains, dim), nSteps);
        }

        @Override
        public void advance(INDArray chains, int nSteps) {
            chains.assign(sample(chains, nSteps));
        }

        @Override
        public double lastAcceptanceRate() {
            return Double.NaN;
        }
    }

    static EnergyFunction modelFor(String name) {
        if (name.equals("mle")) {
            return new GaussianEnergy(Nd4j.createFromArray(0.3, -0.2),
                    Nd4j.createFromArray(new double[][] {{1.5, 0.3}, {0.3, 0.8}}));
        }
        return MlpEnergy.builder().inputDim(2).hidden(6, 6).activation(Activation.SILU).seed(3)
                .dataType(DataType.DOUBLE).build();
    }

    static Loss lossFor(String name, EnergyFunction model) {
        INDArray negatives = new RandomSource(8).gaussian(DataType.DOUBLE, 16, 2).muli(1.3);
        switch (name) {
            case "cd":
                return new ContrastiveDivergenceLoss(new FixedSampler(model, negatives), 3).withAlpha(0.1).withDataNoise(0.05);
            case "pcd":
                return new PersistentContrastiveDivergenceLoss(new FixedSampler(model, negatives), 16, 3).withAlpha(0.1);
            case "sm":
                return new ScoreMatchingLoss();
            case "sm-hutchinson":
                return ScoreMatchingLoss.hutchinson(2, new RandomSource(9));
            case "ssm":
                return new SlicedScoreMatchingLoss(3, SlicedScoreMatchingLoss.Projection.GAUSSIAN, new RandomSource(10));
            case "ssm-sphere":
                return new SlicedScoreMatchingLoss(2, SlicedScoreMatchingLoss.Projection.SPHERE, new RandomSource(10));
            case "dsm":
                return new DenoisingScoreMatchingLoss(0.3, new RandomSource(11));
            case "mle":
                return new MaximumLikelihoodLoss();
            case "nce":
                return new NoiseContrastiveEstimationLoss(new Normal(0, 1.5, DataType.DOUBLE), 3, new RandomSource(12),
                        DataType.DOUBLE);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cd", "pcd", "sm", "sm-hutchinson", "ssm", "ssm-sphere", "dsm", "mle", "nce"})
    void parameterGradientMatchesFiniteDifferences(String name) {
        EnergyFunction model = modelFor(name);
        Loss loss = lossFor(name, model);
        INDArray data = new RandomSource(5).gaussian(DataType.DOUBLE, 16, 2);
        if (loss instanceof NoiseContrastiveEstimationLoss nce) {
            nce.setLogNormalizer(0.7);
        }
        Map<String, INDArray> frozen = loss instanceof Stateful s ? s.exportState() : null;
        Runnable reset = () -> {
            if (frozen != null) {
                // Re-import the randomness only: NCE's c is a parameter being perturbed, keep it.
                Map<String, INDArray> st = new java.util.HashMap<>(frozen);
                if (loss instanceof NoiseContrastiveEstimationLoss nce) {
                    st.put(NoiseContrastiveEstimationLoss.KEY_LOG_NORMALIZER,
                            nce.logNormalizerParameter().value().dup());
                }
                ((Stateful) loss).importState(st);
            }
        };
        List<Tensor> params = new ArrayList<>(model.parameters());
        params.addAll(loss.parameters());

        reset.run();
        for (Tensor p : params) {
            p.zeroGrad();
        }
        loss.apply(model, data).backward();

        List<INDArray> analytic = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < params.size(); k++) {
            Tensor p = params.get(k);
            analytic.add(p.grad() == null ? Nd4j.zeros(DataType.DOUBLE, p.value().length()) : p.grad().value());
            names.add("param " + k);
        }
        FiniteDifferences.Worst w = FiniteDifferences.worst(params, analytic, names, () -> {
            reset.run();
            return loss.apply(model, data).item();
        }, 1e-6);
        double worst = w.error();
        String where = w.where();
        assertTrue(worst < 1e-5, name + ": worst relative error " + worst + " at " + where);
    }
}
