package io.streamebm.bench.core;

import io.streamebm.datasets.Datasets;
import io.streamebm.distributions.Normal;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.Loss;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.losses.ScoreMatchingLoss;
import io.streamebm.losses.SlicedScoreMatchingLoss;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.telemetry.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step — {@link TrainingStep#run}: loss, backward, gradient norm, Adam update — of
 * the 2→128→128→1 SiLU MLP (float32) on a batch of 256 eight-Gaussians points ({@code -p batch=…},
 * and {@code -p chains=…} for PCD, measure the smaller steps of scale-out members), for every loss of
 * the targets: CD-10 and PCD-10 (1,000 chains) ≤ 8 ms, DSM ≤ 2 ms, exact SM ≤ 10 ms,
 * SSM with 5 projections ≤ 5 ms, NCE with 10 noise samples ≤ 3 ms. TorchEBM takes 58–64 ms for
 * CD-10 on this machine. Batches rotate over 16 pre-drawn ones, so the model keeps training.
 *
 * <p>Run: {@code OMP_NUM_THREADS=1 java -Xmx1g -jar bench/target/benchmarks.jar LossTrainingStepBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class LossTrainingStepBench {

    /** The loss under test. */
    @Param({"cd", "pcd", "dsm", "sm", "ssm", "nce"})
    public String loss;

    /** Rows of a batch (the scale-out members' share is 256 / N). */
    @Param({"256"})
    public int batch;

    /** PCD's persistent chains (the scale-out members' share is 1,000 / N). */
    @Param({"1000"})
    public int chains;

    /**
     * Rows riding in the loss's pass with weight zero ({@code Loss.probeEnergies()}, pcd and cd;
     * the drift watch's 64): their cost is the step's time over the same step with 0.
     */
    @Param({"0"})
    public int probeRows;

    private TrainingStep step;
    private final List<INDArray> batches = new ArrayList<>();
    private int next;

    /** Builds the loss by name on a fresh default MLP. */
    static Loss build(String name, MlpEnergy model) {
        return build(name, model, 1000);
    }

    private static Loss build(String name, MlpEnergy model, int chains) {
        switch (name) {
            case "cd":
                return new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), 10);
            case "pcd":
                return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(1), chains, 10);
            case "dsm":
                return new DenoisingScoreMatchingLoss(0.1);
            case "sm":
                return new ScoreMatchingLoss();
            case "ssm":
                return new SlicedScoreMatchingLoss(5);
            case "nce":
                return new NoiseContrastiveEstimationLoss(new Normal(0, 2), 10);
            default:
                throw new IllegalArgumentException("unknown loss " + name);
        }
    }

    /** A training step over a fresh model, and 16 batches. */
    static TrainingStep trainingStep(String name) {
        return trainingStep(name, 1000);
    }

    private static TrainingStep trainingStep(String name, int chains) {
        MlpEnergy model = MlpEnergy.builder().build();
        Loss l = build(name, model, chains);
        return new TrainingStep(model, l, new Adam(TrainingStep.trainableParameters(model, l), 1e-3));
    }

    /** Builds the model, loss, optimizer and batches. */
    @Setup(Level.Trial)
    public void setup() {
        step = trainingStep(loss, chains);
        var data = Datasets.eightGaussians(2, 0.1, 7);
        if (probeRows > 0) {
            step.loss().probeEnergies().orElseThrow(() -> new IllegalArgumentException(loss + " carries no probe rows"))
                    .probe(data.nextBatch(probeRows).dup('c'));
        }
        for (int i = 0; i < 16; i++) {
            batches.add(data.nextBatch(batch));
        }
    }

    /** One guarded training step. */
    @Benchmark
    public StepRecord trainingStep() {
        INDArray b = batches.get(next);
        next = (next + 1) & 15;
        return step.run(b);
    }
}
