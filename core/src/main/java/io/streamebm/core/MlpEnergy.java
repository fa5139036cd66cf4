package io.streamebm.core;

import io.streamebm.autograd.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.XwPlusB;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A multilayer perceptron energy E(x) = W_L·act(… act(x W₁ + b₁) …) + b_L with a scalar output,
 * the model of TorchEBM's examples (2 → 128 → 128 → 1 with SiLU).
 *
 * <p>Weights are stored {@code [in, out]} so that the forward pass is x·W without transposes.
 * They are initialised like PyTorch's {@code nn.Linear}: W and b uniform in ±1/√fan_in, from a
 * {@link RandomSource} seeded by the configuration, so equal configurations give equal models.
 *
 * <p>{@link #gradient(INDArray)} is a fused kernel: one forward pass that keeps each layer's
 * activation derivative, then one backward pass of GEMMs into buffers preallocated per batch size.
 * Nothing is allocated per call except the returned array ({@link #gradientInto} allocates nothing).
 * Parameters may change between calls (optimizers update them in place); the kernel always reads
 * their current values.
 */
public final class MlpEnergy extends BaseEnergyFunction implements FusedGradient {

    /**
     * The architecture of an {@link MlpEnergy}.
     *
     * @param inputDim   d, the input dimension
     * @param hidden     widths of the hidden layers, at least one
     * @param activation the hidden activation
     * @param seed       seeds the initial weights
     * @param dataType   FLOAT (fast) or DOUBLE
     */
    public record Config(int inputDim, int[] hidden, Activation activation, long seed, DataType dataType) {

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

        @Override
        public int[] hidden() {
            return hidden.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.inputDim == inputDim && Arrays.equals(c.hidden, hidden)
                    && c.activation == activation && c.seed == seed && c.dataType == dataType;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(hidden) * 31 + java.util.Objects.hash(inputDim, activation, seed, dataType);
        }

        @Override
        public String toString() {
            return "MlpEnergy.Config[inputDim=" + inputDim + ", hidden=" + Arrays.toString(hidden) + ", activation="
                    + activation + ", seed=" + seed + ", dataType=" + dataType + "]";
        }
    }

    /** Fluent construction; defaults: 2 → 128 → 128 → 1, SiLU, seed 0, FLOAT. */
    public static final class Builder {
        private int inputDim = 2;
        private int[] hidden = {128, 128};
        private Activation activation = Activation.SILU;
        private long seed;
        private DataType dataType = DataType.FLOAT;

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

        /** The configuration. */
        public Config config() {
            return new Config(inputDim, hidden, activation, seed, dataType);
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

    private final Config config;
    private final int layers;
    private final Tensor[] weights;
    private final Tensor[] biases;
    /** The last weight [h, 1] seen as a row [1, h]; shares its data, so in-place updates show. */
    private final INDArray lastWeightRow;
    /**
     * Buffers for the most recently used batch sizes. Streams with variable micro-batches would
     * otherwise keep one set (about 0.8 MB at 256 × 128) per size ever seen.
     */
    private final Map<Long, Buffers> buffers = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Buffers> eldest) {
            return size() > 2 * MAX_CACHED_BATCH_SIZES;
        }
    };

    /** How many batch sizes keep preallocated buffers. */
    public static final int MAX_CACHED_BATCH_SIZES = 4;

    /**
     * Smallest batch whose input gradient is split into two halves that run side by side on
     * {@link KernelThreads}. Why 512: below it the per-op costs of ND4J dominate a half and the
     * split gained nothing (256 chains: 0.56–0.69 ms either way); 1,000 chains went from 1.1–1.2 ms
     * to 0.9–1.0 ms. The split depends on the row count only, so the results do not depend on the
     * thread count.
     */
    public static final int MIN_ROWS_TO_SPLIT = 512;

    /** A new model with weights drawn from {@code config.seed()}. */
    public MlpEnergy(Config config) {
        super(config.inputDim());
        this.config = config;
        int[] hidden = config.hidden();
        this.layers = hidden.length + 1;
        this.weights = new Tensor[layers];
        this.biases = new Tensor[layers];
        RandomSource random = new RandomSource(config.seed());
        int in = config.inputDim();
        for (int k = 0; k < layers; k++) {
            int out = k < hidden.length ? hidden[k] : 1;
            double bound = 1.0 / Math.sqrt(in);
            INDArray w = random.fillUniform(Nd4j.create(config.dataType(), in, out), -bound, bound);
            INDArray b = random.fillUniform(Nd4j.create(config.dataType(), out), -bound, bound);
            weights[k] = parameter(w);
            biases[k] = parameter(b);
            in = out;
        }
        this.lastWeightRow = weights[layers - 1].value().reshape(1, hidden[hidden.length - 1]);
    }

    /** The architecture. */
    public Config config() {
        return config;
    }

    /** The model's data type. */
    public DataType dataType() {
        return config.dataType();
    }

    /** Weight {@code k} ({@code [in, out]}), 0-based from the input. */
    public Tensor weight(int k) {
        return weights[k];
    }

    /** Bias {@code k} ({@code [out]}). */
    public Tensor bias(int k) {
        return biases[k];
    }

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
        for (int k = 0; k < layers - 1; k++) {
            h = config.activation().apply(h.matmul(weights[k]).add(biases[k]));
        }
        Tensor e = h.matmul(weights[layers - 1]).add(biases[layers - 1]);
        return e.reshape(x.size(0));
    }

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
        long n = x.size(0);
        INDArray in = x.dataType() == dataType() ? x : x.castTo(dataType());
        int[] bounds = KernelThreads.blockBounds(Math.toIntExact(n), MIN_ROWS_TO_SPLIT);
        if (bounds.length == 2) {
            gradientOfRows(in, out, buffers(n, 0));
            return;
        }
        // Two halves side by side on the kernel threads; each writes its own rows of out.
        long split = bounds[1];
        Buffers first = buffers(split, 0);
        Buffers second = buffers(n - split, 1);
        KernelThreads.runAll(List.of(
                () -> gradientOfRows(rows(in, 0, split), rows(out, 0, split), first),
                () -> gradientOfRows(rows(in, split, n), rows(out, split, n), second)));
    }

    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** Buffers for a block of n rows; block 0 and 1 are the halves of a split batch. */
    private Buffers buffers(long n, int block) {
        return buffers.computeIfAbsent(2 * n + block, key -> new Buffers(n));
    }

    private void gradientOfRows(INDArray in, INDArray out, Buffers b) {
        int hiddenLayers = layers - 1;
        // Forward: keep act′(z_k) for the backward pass; the last (linear) layer is not needed.
        INDArray a = in;
        for (int k = 0; k < hiddenLayers; k++) {
            // x·W + b in one native op: 10% faster here than gemm followed by a broadcast add.
            Nd4j.exec(new XwPlusB(new INDArray[] {a, weights[k].value(), biases[k].value()}, b.z[k]));
            config.activation().applyWithDerivative(b.z[k], b.a[k], b.deriv[k]);
            a = b.a[k];
        }
        // Backward from dE/da_last = w_Lᵀ, reusing z as the upstream-gradient buffer.
        INDArray g = b.deriv[hiddenLayers - 1].muliRowVector(lastWeightRow);
        for (int k = hiddenLayers - 1; k >= 1; k--) {
            Nd4j.gemm(g, weights[k].value(), b.z[k - 1], false, true, 1.0, 0.0);
            g = b.deriv[k - 1].muli(b.z[k - 1]);
        }
        if (out.ordering() == 'c' && !out.isView()) {
            Nd4j.gemm(g, weights[0].value(), out, false, true, 1.0, 0.0);
        } else {
            Nd4j.gemm(g, weights[0].value(), b.input, false, true, 1.0, 0.0);
            out.assign(b.input);
        }
    }

    /** Frees the per-batch-size buffers, for instance after a one-off large batch. */
    public void releaseBuffers() {
        buffers.clear();
    }

    private final class Buffers {
        final INDArray[] z;
        final INDArray[] a;
        final INDArray[] deriv;
        final INDArray input;

        Buffers(long n) {
            int[] hidden = config.hidden();
            z = new INDArray[hidden.length];
            a = new INDArray[hidden.length];
            deriv = new INDArray[hidden.length];
            for (int k = 0; k < hidden.length; k++) {
                z[k] = Nd4j.create(dataType(), n, hidden[k]);
                a[k] = Nd4j.create(dataType(), n, hidden[k]);
                deriv[k] = Nd4j.create(dataType(), n, hidden[k]);
            }
            input = Nd4j.create(dataType(), n, config.inputDim());
        }
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
