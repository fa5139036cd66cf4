package io.streamebm.energy.mlp;

import io.streamebm.internal.HostArrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The energies of an {@link MlpEnergy} without a recorded graph: the hidden layers by the fused
 * forward pass ({@link MlpForward#firstOrder}) into buffers kept per batch size, the output layer
 * in Java on a host copy of the last activation. Only the returned array is allocated per call.
 *
 * <p>Why: the recorded graph of {@link MlpEnergy#energy} cost about 0.47 ms a call whatever the
 * rows (1 row 468 µs, 64 rows 1.3 ms, 256 rows 3.7 ms for the 2→128→128→1 model), and so did this
 * pass with fresh buffers (0.26 ms for 1 row, 0.68 ms for 64): ND4J's allocation of a [64, 128]
 * array took 17–110 µs here. The output layer's gemv took 22–52 µs for 64 rows, the Java loop a
 * few. The trainer measures its drift probe with this before every update, and scoring ranks every
 * record with it. Not thread-safe, as the model's other fused paths.
 */
final class MlpEnergyValues {

    private final MlpEnergy model;
    /** Buffers of the most recently used batch sizes (variable micro-batches would keep every size). */
    private final Map<Long, Buffers> buffers = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Buffers> eldest) {
            return size() > MlpInputGradient.MAX_CACHED_BATCH_SIZES;
        }
    };

    MlpEnergyValues(MlpEnergy model) {
        this.model = model;
    }

    /** E(x) as an {@code [n]} array; x plain C-order rows in the model's type. */
    INDArray of(INDArray x) {
        long n = x.rows();
        Buffers b = buffers.computeIfAbsent(n, Buffers::new);
        INDArray top = MlpForward.firstOrder(model, x, b.layers.z, b.layers.a, b.layers.slope);
        int last = model.hiddenLayers();
        int width = b.weights.length;
        HostArrays.readInto(top, b.top);
        HostArrays.readInto(model.weight(last).value(), b.weights);
        double bias = model.bias(last).value().getDouble(0);
        double[] e = new double[(int) n];
        for (int i = 0; i < e.length; i++) {
            double sum = bias;
            int row = i * width;
            for (int j = 0; j < width; j++) {
                sum += b.top[row + j] * b.weights[j];
            }
            e[i] = sum;
        }
        if (model.dataType() == DataType.FLOAT) {
            float[] f = new float[e.length];
            for (int i = 0; i < e.length; i++) {
                f[i] = (float) e[i];
            }
            return Nd4j.createFromArray(f);
        }
        return Nd4j.createFromArray(e);
    }

    private final class Buffers {
        final MlpLayerBuffers layers;
        /** The last activation, and the output layer's weights, on the host. */
        final double[] top;
        final double[] weights;

        Buffers(long n) {
            layers = new MlpLayerBuffers(model, n);
            weights = new double[model.width(model.hiddenLayers() - 1)];
            top = new double[Math.toIntExact(n * weights.length)];
        }
    }
}
