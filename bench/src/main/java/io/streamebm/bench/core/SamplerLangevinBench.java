package io.streamebm.bench.core;

import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.samplers.LangevinDynamics;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Langevin dynamics against the TorchEBM workloads: GaussianEnergy with 10,000 chains × 2 dims ×
 * 1,000 steps and 1,000 chains × 64 dims × 100 steps, and one step of the 2→128→128→1 SiLU MLP on
 * 256 chains. Chains persist across invocations (the sampler is stationary after warm-up), as in
 * persistent contrastive divergence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class SamplerLangevinBench {

    private LangevinDynamics gaussian2;
    private INDArray chains2;
    private LangevinDynamics gaussian64;
    private INDArray chains64;
    private LangevinDynamics mlp;
    private INDArray chainsMlp;

    /** Builds the models and chains. */
    @Setup(Level.Trial)
    public void setup() {
        GaussianEnergy g2 = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
        gaussian2 = new LangevinDynamics(g2, 0.01).withSeed(1);
        chains2 = new RandomSource(2).gaussian(DataType.FLOAT, 10_000, 2);
        GaussianEnergy g64 = new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 64), Nd4j.eye(64).castTo(DataType.FLOAT));
        gaussian64 = new LangevinDynamics(g64, 0.01).withSeed(3);
        chains64 = new RandomSource(4).gaussian(DataType.FLOAT, 1_000, 64);
        mlp = new LangevinDynamics(MlpEnergy.builder().build(), 0.01).withSeed(5);
        chainsMlp = new RandomSource(6).gaussian(DataType.FLOAT, 256, 2);
    }

    /** 10,000 chains × 2 dims × 1,000 steps (TorchEBM: 486–775 ms). */
    @Benchmark
    public INDArray gaussian2d10kChains1000Steps() {
        gaussian2.advance(chains2, 1000);
        return chains2;
    }

    /** 1,000 chains × 64 dims × 100 steps (TorchEBM: 0.62–1.04 s). */
    @Benchmark
    public INDArray gaussian64d1kChains100Steps() {
        gaussian64.advance(chains64, 100);
        return chains64;
    }

    /** One step of the 2→128→128→1 SiLU MLP on 256 chains. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public INDArray mlp256ChainsOneStep() {
        mlp.advance(chainsMlp, 1);
        return chainsMlp;
    }
}
