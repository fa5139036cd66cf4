package io.streamebm.energy.mlp;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.BaseEnergyFunction;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedGradient;
import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.energy.fused.FusedResult.ParameterGradient;
import io.streamebm.energy.fused.FusedScoreMatchingTerms;
import io.streamebm.energy.Parameters;
import io.streamebm.runtime.RandomSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A multilayer perceptron energy E(x) = W_L·act(… act(x W₁ + b₁) …) + b_L with a scalar output,
 * the model of TorchEBM's examples (2 → 128 → 128 → 1 with SiLU).
 *
 * <p>Weights are stored {@code [in, out]} so that the forward pass is x·W without transposes.
 * They are initialised like PyTorch's {@code nn.Linear}: W and b uniform in ±1/√fan_in, from a
 * {@link RandomSource} seeded by the configuration, so equal configurations give equal models.
 * The parameters are named {@code weight0, bias0, weight1, …} from the input (see
 * {@link #weightName}), the names under which the fused kernels report their gradients.
 *
 * <p>Fused kernels, in this package, replace the recorded graph where speed matters: the input
 * gradient for samplers ({@link #gradient(INDArray)}, {@link MlpInputGradient}), and, offered to
 * losses through the {@code fused…()} capabilities, the gradients of energy terms
 * ({@link MlpEnergyTerms}), of input-gradient terms ({@link MlpInputGradientTerms}) and of score
 * matching ({@link MlpScoreMatchingTerms}). All of them run {@link MlpForward} and read
 * {@link Activation}'s one table of derivatives. Parameters may change between calls (optimizers
 * update them in place); the kernels always read their current values.
 */
public final class MlpEnergy extends BaseEnergyFunction implements FusedGradient {

    /**
     * The architecture of an {@link MlpEnergy}, and whether losses may use its fused kernels.
     *
     * @param inputDim    d, the input dimension
     * @param hidden      widths of the hidden layers, at least one
     * @param activation  the hidden activation
     * @param seed        seeds the initial weights
     * @param dataType    FLOAT (fast) or DOUBLE
     * @param fusedLosses whether the model offers its fused loss kernels (the default); without
     *                    them every loss differentiates the recorded graph, several times slower,
     *                    but a graph that can be differentiated again, and the reference the kernels
     *                    are tested against
     */
    public record Config(int inputDim, int[] hidden, Activation activation, long seed, DataType dataType,
            boolean fusedLosses) {

        /** Validates and copies the widths. */
        public Config {
            if (inputDim < 1) {
                throw new IllegalArgumentException("inputDim must be >= 1, got " + inputDim);
            }
            if (hidden == null || hidden.length == 0) {
                throw new IllegalArgumentException("at least one hidden layer is required");
            }
            hidden = hidden.clone();
            for (int h : hidden) {
                if (h < 1) {
                    throw new IllegalArgumentException("hidden widths must be >= 1, got " + Arrays.toString(hidden));
                }
            }
            if (activation == null) {
                throw new IllegalArgumentException("activation is null");
            }
            if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
                throw new IllegalArgumentException("dataType must be FLOAT or DOUBLE, got " + dataType);
            }
        }

        /** A configuration with the fused loss kernels on. */
        public Config(int inputDim, int[] hidden, Activation activation, long seed, DataType dataType) {
            this(inputDim, hidden, activation, seed, dataType, true);
        }

        @Override
        public int[] hidden() {
            return hidden.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.inputDim == inputDim && Arrays.equals(c.hidden, hidden)
                    && c.activation == activation && c.seed == seed && c.dataType == dataType
                    && c.fusedLosses == fusedLosses;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(hidden) * 31 + Objects.hash(inputDim, activation, seed, dataType, fusedLosses);
        }

        @Override
        public String toString() {
            return "MlpEnergy.Config[inputDim=" + inputDim + ", hidden=" + Arrays.toString(hidden) + ", activation="
                    + activation + ", seed=" + seed + ", dataType=" + dataType + ", fusedLosses=" + fusedLosses + "]";
        }
    }

    /** Fluent construction; defaults: 2 → 128 → 128 → 1, SiLU, seed 0, FLOAT, fused loss kernels on. */
    public static final class Builder {
        private int inputDim = 2;
        private int[] hidden = {128, 128};
        private Activation activation = Activation.SILU;
        private long seed;
        private DataType dataType = DataType.FLOAT;
        private boolean fusedLosses = true;

        private Builder() {
        }

        /** Input dimension d. */
        public Builder inputDim(int d) {
            this.inputDim = d;
            return this;
        }

        /** Widths of the hidden layers. */
        public Builder hidden(int... widths) {
            this.hidden = widths.clone();
            return this;
        }

        /** Hidden activation. */
        public Builder activation(Activation a) {
            this.activation = a;
            return this;
        }

        /** Seed of the initial weights. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** FLOAT or DOUBLE. */
        public Builder dataType(DataType t) {
            this.dataType = t;
            return this;
        }

        /** Whether losses may use the fused kernels (default true); see {@link Config#fusedLosses()}. */
        public Builder fusedLosses(boolean on) {
            this.fusedLosses = on;
            return this;
        }

        /** The configuration. */
        public Config config() {
            return new Config(inputDim, hidden, activation, seed, dataType, fusedLosses);
        }

        /** A new model. */
        public MlpEnergy build() {
            return new MlpEnergy(config());
        }
    }

    /** A builder with the TorchEBM example defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** How many batch sizes keep preallocated buffers for the input gradient. */
    public static final int MAX_CACHED_BATCH_SIZES = MlpInputGradient.MAX_CACHED_BATCH_SIZES;

    /** Smallest batch whose input gradient is split into two halves, see {@link MlpInputGradient}. */
    public static final int MIN_ROWS_TO_SPLIT = MlpInputGradient.MIN_ROWS_TO_SPLIT;

    private final Config config;
    private final int[] width;
    private final Tensor[] weights;
    private final Tensor[] biases;
    /** The last weight [h, 1] seen as a vector [h]; shares its data, so in-place updates show. */
    private final INDArray lastWeightVector;
    private MlpInputGradient inputGradient;
    private MlpEnergyValues values;
    private MlpEnergyTerms energyTerms;
    private MlpInputGradientTerms inputGradientTerms;
    private MlpScoreMatchingTerms scoreMatchingTerms;

    /** A new model with weights drawn from {@code config.seed()}. */
    public MlpEnergy(Config config) {
        super(config.inputDim());
        this.config = config;
        this.width = config.hidden();
        int layers = width.length + 1;
        this.weights = new Tensor[layers];
        this.biases = new Tensor[layers];
        RandomSource random = new RandomSource(config.seed());
        int in = config.inputDim();
        for (int k = 0; k < layers; k++) {
            int out = k < width.length ? width[k] : 1;
            double bound = 1.0 / Math.sqrt(in);
            INDArray w = random.fillUniform(Nd4j.create(config.dataType(), in, out), -bound, bound);
            INDArray b = random.fillUniform(Nd4j.create(config.dataType(), out), -bound, bound);
            weights[k] = parameter(w);
            biases[k] = parameter(b);
            in = out;
        }
        this.lastWeightVector = weights[layers - 1].value().reshape(width[width.length - 1]);
        createKernels();
    }

    private void createKernels() {
        inputGradient = new MlpInputGradient(this);
        values = new MlpEnergyValues(this);
        energyTerms = new MlpEnergyTerms(this);
        inputGradientTerms = new MlpInputGradientTerms(this);
        scoreMatchingTerms = new MlpScoreMatchingTerms(this);
    }

    /** The architecture. */
    public Config config() {
        return config;
    }

    /** The model's data type. */
    public DataType dataType() {
        return config.dataType();
    }

    /** The name of weight {@code k} ({@code [in, out]}, 0-based from the input): {@code "weight<k>"}. */
    public static String weightName(int k) {
        return "weight" + k;
    }

    /** The name of bias {@code k} ({@code [out]}): {@code "bias<k>"}. */
    public static String biasName(int k) {
        return "bias" + k;
    }

    // ------------------------------------------------------------------ for the kernels

    /** H, the number of hidden layers; weight and bias H are the output layer's. */
    int hiddenLayers() {
        return width.length;
    }

    /** The width of hidden layer k. */
    int width(int k) {
        return width[k];
    }

    Activation activation() {
        return config.activation();
    }

    Tensor weight(int k) {
        return weights[k];
    }

    Tensor bias(int k) {
        return biases[k];
    }

    /** w_L as a vector {@code [width(H − 1)]}, sharing the parameter's data. */
    INDArray lastWeightVector() {
        return lastWeightVector;
    }

    /** Kernel gradients of W₀, b₀, W₁, b₁, … under the parameters' names, in that order. */
    Map<String, ParameterGradient> named(INDArray[] dW, INDArray[] db) {
        Map<String, ParameterGradient> out = new LinkedHashMap<>();
        for (int k = 0; k < weights.length; k++) {
            out.put(weightName(k), new ParameterGradient(weights[k], dW[k]));
            out.put(biasName(k), new ParameterGradient(biases[k], db[k]));
        }
        return out;
    }

    // ------------------------------------------------------------------ energy

    /** All parameters as one flat vector, see {@link Parameters}. */
    public INDArray flatParameters() {
        return Parameters.flatten(this);
    }

    /** Sets all parameters from one flat vector, see {@link Parameters}. */
    public void setFlatParameters(INDArray flat) {
        Parameters.assign(this, flat);
    }

    @Override
    public Tensor energy(Tensor x) {
        checkInput(x.value());
        Tensor h = x.dataType() == dataType() ? x : x.castTo(dataType());
        for (int k = 0; k < width.length; k++) {
            h = config.activation().apply(h.matmul(weights[k]).add(biases[k]));
        }
        Tensor e = h.matmul(weights[width.length]).add(biases[width.length]);
        return e.reshape(x.size(0));
    }

    /**
     * Energies by the fused forward pass ({@link MlpEnergyValues}), a handful of native ops into
     * buffers kept per batch size instead of the recorded graph of {@link #energy}. Not
     * thread-safe, as {@link #gradient}.
     */
    @Override
    public INDArray energyValues(INDArray x) {
        checkInput(x);
        INDArray in = x.dataType() == dataType() ? x : x.castTo(dataType());
        return values.of(in.isView() || in.ordering() != 'c' ? in.dup('c') : in);
    }

    /** ∇ₓE by the fused kernel: nothing is allocated per call but the returned array. */
    @Override
    public INDArray gradient(INDArray x) {
        checkInput(x);
        INDArray in = x.dataType() == dataType() ? x : x.castTo(dataType());
        INDArray out = Nd4j.createUninitialized(dataType(), in.size(0), dimension());
        gradientInto(in, out);
        return x.dataType() == dataType() ? out : out.castTo(x.dataType());
    }

    @Override
    public void gradientInto(INDArray x, INDArray out) {
        inputGradient.gradientInto(x.dataType() == dataType() ? x : x.castTo(dataType()), out);
    }

    @Override
    public Optional<FusedEnergyTerms> fusedEnergyTerms() {
        return offered(energyTerms);
    }

    @Override
    public Optional<FusedInputGradientTerms> fusedInputGradientTerms() {
        return offered(inputGradientTerms);
    }

    @Override
    public Optional<FusedScoreMatchingTerms> fusedScoreMatchingTerms() {
        return offered(scoreMatchingTerms);
    }

    private <K> Optional<K> offered(K kernel) {
        return config.fusedLosses() ? Optional.of(kernel) : Optional.empty();
    }

    /** Frees the fused kernels' buffers, for instance after a one-off large batch. */
    public void releaseBuffers() {
        createKernels();
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        return Parameters.count(parameters());
    }

    /** Per-layer shapes, for logs: "2x128, 128x128, 128x1". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (Tensor w : weights) {
            parts.add(w.size(0) + "x" + w.size(1));
        }
        return String.join(", ", parts) + " " + config.activation();
    }
}
