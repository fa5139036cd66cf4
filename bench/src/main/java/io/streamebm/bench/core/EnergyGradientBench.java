package io.streamebm.bench.core;

import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.mlp.MlpEnergy;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
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
 * Input gradient of the 2→128→128→1 SiLU MLP: the fused kernel into a preallocated buffer, the
 * fused kernel returning a new array, and autograd, which the fused kernel must beat.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class EnergyGradientBench {

    /** Batch size. */
    @Param({"256", "4096"})
    public int chains;

    private MlpEnergy mlp;
    private INDArray x;
    private INDArray out;

    /** Builds the model and inputs. */
    @Setup(Level.Trial)
    public void setup() {
        mlp = MlpEnergy.builder().build();
        x = new RandomSource(1).gaussian(DataType.FLOAT, chains, 2);
        out = x.dup();
    }

    /** Fused kernel, no allocation. */
    @Benchmark
    public INDArray mlpGradientInto() {
        mlp.gradientInto(x, out);
        return out;
    }

    /** Fused kernel through the contract method (validation + a new array). */
    @Benchmark
    public INDArray mlpGradient() {
        return mlp.gradient(x);
    }

    /** The autograd reference. */
    @Benchmark
    public INDArray mlpAutogradGradient() {
        return mlp.autogradGradient(x);
    }
}
