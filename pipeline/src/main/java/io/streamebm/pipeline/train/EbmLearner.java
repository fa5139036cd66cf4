package io.streamebm.pipeline.train;

import io.streamebm.energy.EnergyFunction;
import io.streamebm.runtime.RandomSource;
import io.streamebm.runtime.Stateful;
import io.streamebm.distributions.Normal;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.losses.DataEnergies;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.Loss;
import io.streamebm.losses.MaximumLikelihoodLoss;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import io.streamebm.losses.PersistentChains;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.losses.ProbeEnergies;
import io.streamebm.losses.ScoreMatchingLoss;
import io.streamebm.losses.SlicedScoreMatchingLoss;
import io.streamebm.optim.Adam;
import io.streamebm.optim.AdamW;
import io.streamebm.optim.GradientClipping;
import io.streamebm.optim.NonFiniteUpdateException;
import io.streamebm.optim.Optimizer;
import io.streamebm.optim.SGD;
import io.streamebm.optim.TrainingStep;
import io.streamebm.pipeline.config.Choices;
import io.streamebm.pipeline.config.LossType;
import io.streamebm.pipeline.config.OptimizerType;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.config.SamplerType;
import io.streamebm.samplers.HamiltonianMonteCarlo;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.samplers.MetropolisAdjustedLangevin;
import io.streamebm.samplers.Sampler;
import io.streamebm.telemetry.StepRecord;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The real {@link Learner}: an energy model, its loss (and sampler), an optimizer and gradient
 * clipping, all built from a {@link PipelineConfig} and driven through core's guarded
 * {@link TrainingStep}.
 *
 * <p>State keys: {@code model.param.<i>} (parameters), {@code optimizer.<key>} and
 * {@code loss.<key>} (their own {@link Stateful} keys), and {@code random.sampler} (the sampler's
 * random source).
 */
public final class EbmLearner implements Learner {

    private final PipelineConfig config;
    private final EnergyFunction model;
    private final Sampler sampler;
    private final Loss loss;
    private final Optimizer optimizer;
    private final TrainingStep step;
    /** The loss's persistent chains, when it keeps some (pcd). */
    private final Optional<PersistentChains> chains;
    private final Map<String, String> architecture;

    /** Builds every part from {@code config}; the same configuration and seed give the same run. */
    public EbmLearner(PipelineConfig config) {
        this.config = config;
        long seed = config.longValue("seed");
        this.architecture = new LinkedHashMap<>(Models.shapeOf(config.asMap()));
        LossType lossType = config.choice("loss.type", LossType.class);
        architecture.put("loss.type", Choices.nameOf(lossType));
        if (lossType == LossType.PCD) {
            architecture.put("loss.chains", config.string("loss.chains"));
        }
        this.model = Models.build(architecture, seed);
        this.sampler = buildSampler(config, model, seed);
        this.loss = buildLoss(config, sampler, seed);
        this.chains = loss instanceof PersistentChains p ? Optional.of(p) : Optional.empty();
        List<io.streamebm.autograd.Tensor> params = TrainingStep.trainableParameters(model, loss);
        this.optimizer = buildOptimizer(config, params);
        double clip = config.number("optimizer.clip-norm");
        this.step = new TrainingStep(model, loss, optimizer)
                .withClipping(clip > 0 ? GradientClipping.byGlobalNorm(clip) : GradientClipping.none());
    }

    private static Sampler buildSampler(PipelineConfig c, EnergyFunction model, long seed) {
        double eta = c.number("sampler.step-size");
        return switch (c.choice("sampler.type", SamplerType.class)) {
            case MALA -> new MetropolisAdjustedLangevin(model, eta).withSeed(seed + 1);
            case HMC -> new HamiltonianMonteCarlo(model, eta, c.integer("sampler.leapfrog-steps")).withSeed(seed + 1);
            case LANGEVIN -> new LangevinDynamics(model, eta).withNoiseScale(c.number("sampler.noise-scale"))
                    .withSeed(seed + 1);
        };
    }

    private static Loss buildLoss(PipelineConfig c, Sampler sampler, long seed) {
        int k = c.integer("loss.k");
        RandomSource random = new RandomSource(seed + 2);
        return switch (c.choice("loss.type", LossType.class)) {
            case CD -> new ContrastiveDivergenceLoss(sampler, k).withAlpha(c.number("loss.alpha"));
            case PCD -> new PersistentContrastiveDivergenceLoss(sampler, c.integer("loss.chains"), k)
                    .withAlpha(c.number("loss.alpha"))
                    .withReinitProbability(c.number("loss.reinit"))
                    .withRestartSource(c.choice("loss.reinit-source", PersistentContrastiveDivergenceLoss.RestartSource.class));
            case SM -> new ScoreMatchingLoss();
            case SSM -> new SlicedScoreMatchingLoss(c.integer("loss.projections"),
                    SlicedScoreMatchingLoss.Projection.RADEMACHER, random);
            case DSM -> new DenoisingScoreMatchingLoss(c.number("loss.sigma"), random);
            case MLE -> new MaximumLikelihoodLoss();
            case NCE -> new NoiseContrastiveEstimationLoss(new Normal(0.0, c.number("loss.noise-std")),
                    c.integer("loss.noise-samples"), random, org.nd4j.linalg.api.buffer.DataType.FLOAT);
        };
    }

    private static Optimizer buildOptimizer(PipelineConfig c, List<io.streamebm.autograd.Tensor> params) {
        double lr = c.number("optimizer.lr");
        double wd = c.number("optimizer.weight-decay");
        return switch (c.choice("optimizer.type", OptimizerType.class)) {
            case SGD -> new SGD(params, lr, c.number("optimizer.momentum"), false, wd);
            case ADAMW -> new AdamW(params, lr, c.number("optimizer.beta1"), c.number("optimizer.beta2"), 1e-8, wd);
            case ADAM -> new Adam(params, lr, c.number("optimizer.beta1"), c.number("optimizer.beta2"), 1e-8, wd);
        };
    }

    @Override
    public StepRecord update(INDArray batch) {
        try {
            return step.run(batch);
        } catch (NonFiniteUpdateException e) {
            throw new RejectedUpdateException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // The decoder validated the batch, so the model produced the bad values (NaN negatives
            // from a diverged sampler, say). TrainingStep has already left the state unchanged.
            throw new RejectedUpdateException("the update produced invalid values: " + e.getMessage(), e);
        }
    }

    @Override
    public INDArray energies(INDArray batch) {
        return model.energyValues(batch);
    }

    @Override
    public Optional<DataEnergies> batchEnergies() {
        return loss.dataEnergies();
    }

    @Override
    public Optional<ProbeEnergies> probeEnergies() {
        return loss.probeEnergies();
    }

    @Override
    public int dimension() {
        return config.integer("model.dim");
    }

    @Override
    public Map<String, String> architecture() {
        return Map.copyOf(architecture);
    }

    @Override
    public void scaleLearningRate(double factor) {
        optimizer.setLearningRate(optimizer.learningRate() * factor);
    }

    @Override
    public void reinitialiseChains(INDArray recentData) {
        chains.ifPresent(c -> c.restartChains(recentData));
    }

    @Override
    public Map<String, INDArray> modelState() {
        return Models.parameters(model);
    }

    @Override
    public void loadModelState(Map<String, INDArray> parameters) {
        Models.load(model, parameters);
    }

    /** The learning rate of the next update. */
    public double learningRate() {
        return optimizer.learningRate();
    }

    /** The model being trained (read it on the trainer thread only). */
    public EnergyFunction model() {
        return model;
    }

    /** The loss, for its diagnostics and state. */
    public Loss loss() {
        return loss;
    }

    /** The optimizer updating the parameters. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * A copy of the loss's persistent chains {@code [chains, d]} when it keeps some (pcd, once
     * started): the model's own samples, for the quality probe.
     */
    public Optional<INDArray> persistentChains() {
        return chains.map(PersistentChains::chains);
    }

    /** The sampler drawing negatives (and the demo's plotted samples). */
    public Sampler sampler() {
        return sampler;
    }

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>(Models.parameters(model));
        optimizer.exportState().forEach((k, v) -> out.put("optimizer." + k, v));
        if (loss instanceof Stateful s) {
            s.exportState().forEach((k, v) -> out.put("loss." + k, v));
        }
        out.put("random.sampler", org.nd4j.linalg.factory.Nd4j.createFromArray(sampler.random().state()));
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        Models.load(model, state);
        optimizer.importState(prefixed(state, "optimizer."));
        if (loss instanceof Stateful s) {
            s.importState(prefixed(state, "loss."));
        }
        INDArray rnd = state.get("random.sampler");
        if (rnd == null) {
            throw new IllegalArgumentException("state has no random.sampler");
        }
        sampler.random().restore(rnd.toLongVector());
    }

    private static Map<String, INDArray> prefixed(Map<String, INDArray> state, String prefix) {
        Map<String, INDArray> out = new HashMap<>();
        state.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
