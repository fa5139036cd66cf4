package io.streamebm.energy.residual;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.BaseEnergyFunction;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.runtime.RandomSource;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A test energy that no loss knows: a residual MLP with one skip connection,
 * <pre>
 *   h = tanh(x W₁ + b₁),   h₂ = h + tanh(h W₂ + b₂),   E = h₂·w₃ + b₃.
 * </pre>
 * It shows that a new fused energy is added without touching any loss: it offers
 * {@link FusedEnergyTerms} and {@link FusedInputGradientTerms} through the {@code fused…()}
 * methods, and CD, NCE and DSM take its kernels ({@link ResidualMlpKernels}). Built with
 * {@code fused = false} it offers none, and the same losses differentiate the recorded graph of
 * {@link #energy(Tensor)}: the reference its kernels are checked against. Float64 only.
 */
final class ResidualMlpEnergy extends BaseEnergyFunction {

    /** Parameter names, in the order of {@link #parameters()}. */
    static final String[] NAMES = {"w1", "b1", "w2", "b2", "w3", "b3"};

    final Tensor w1;
    final Tensor b1;
    final Tensor w2;
    final Tensor b2;
    final Tensor w3;
    final Tensor b3;
    private final ResidualMlpKernels kernels;

    /**
     * @param dimension d
     * @param width     the width of both hidden layers
     * @param seed      seeds the initial weights, uniform in ±1/√fan_in as PyTorch's nn.Linear
     * @param fused     whether the energy offers its fused kernels to losses
     */
    ResidualMlpEnergy(int dimension, int width, long seed, boolean fused) {
        super(dimension);
        RandomSource random = new RandomSource(seed);
        w1 = parameter(uniform(random, dimension, dimension, width));
        b1 = parameter(uniform(random, dimension, width));
        w2 = parameter(uniform(random, width, width, width));
        b2 = parameter(uniform(random, width, width));
        w3 = parameter(uniform(random, width, width, 1));
        b3 = parameter(uniform(random, width, 1));
        kernels = fused ? new ResidualMlpKernels(this) : null;
    }

    private static INDArray uniform(RandomSource random, int fanIn, long... shape) {
        double bound = 1 / Math.sqrt(fanIn);
        return random.fillUniform(Nd4j.create(DataType.DOUBLE, shape), -bound, bound);
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        Tensor h = x.matmul(w1).add(b1).tanh();
        Tensor h2 = h.add(h.matmul(w2).add(b2).tanh());
        return h2.matmul(w3).add(b3).reshape(x.size(0));
    }

    @Override
    public Optional<FusedEnergyTerms> fusedEnergyTerms() {
        return Optional.ofNullable(kernels);
    }

    @Override
    public Optional<FusedInputGradientTerms> fusedInputGradientTerms() {
        return Optional.ofNullable(kernels);
    }

    /** How many times a loss has called the fused kernels. */
    long fusedCalls() {
        return kernels == null ? 0 : kernels.calls();
    }
}
