package io.streamebm.energy.mlp;

import io.streamebm.internal.KernelThreads;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ∇ₓE of an {@link MlpEnergy} for samplers, which ask for it every step: one forward pass that
 * keeps each layer's activation derivative ({@link MlpForward#firstOrder}), then one backward pass
 * of GEMMs into buffers preallocated per batch size. Nothing is allocated per call.
 */
final class MlpInputGradient {

    /** How many batch sizes keep preallocated buffers. */
    static final int MAX_CACHED_BATCH_SIZES = 4;

    /**
     * Smallest batch whose input gradient is split into two halves that run side by side on
     * {@link KernelThreads}. Why 512: below it the per-op costs of ND4J dominate a half and the
     * split gained nothing (256 chains: 0.56–0.69 ms either way); 1,000 chains went from 1.1–1.2 ms
     * to 0.9–1.0 ms. The split depends on the row count only, so the results do not depend on the
     * thread count.
     */
    static final int MIN_ROWS_TO_SPLIT = 512;

    private final MlpEnergy model;
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

    MlpInputGradient(MlpEnergy model) {
        this.model = model;
    }

    /** Writes ∇ₓE(x) into {@code out}; x in the model's type, see {@link io.streamebm.energy.fused.FusedGradient}. */
    void gradientInto(INDArray x, INDArray out) {
        long n = x.size(0);
        int[] bounds = KernelThreads.blockBounds(Math.toIntExact(n), MIN_ROWS_TO_SPLIT);
        if (bounds.length == 2) {
            gradientOfRows(x, out, buffers(n, 0));
            return;
        }
        // Two halves side by side on the kernel threads; each writes its own rows of out.
        long split = bounds[1];
        Buffers first = buffers(split, 0);
        Buffers second = buffers(n - split, 1);
        KernelThreads.runAll(List.of(
                () -> gradientOfRows(rows(x, 0, split), rows(out, 0, split), first),
                () -> gradientOfRows(rows(x, split, n), rows(out, split, n), second)));
    }

    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** Buffers for a block of n rows; block 0 and 1 are the halves of a split batch. */
    private Buffers buffers(long n, int block) {
        return buffers.computeIfAbsent(2 * n + block, key -> new Buffers(n));
    }

    private void gradientOfRows(INDArray in, INDArray out, Buffers b) {
        int top = model.hiddenLayers() - 1;
        // Forward, keeping act′(z_k); the last (linear) layer is not needed.
        MlpForward.firstOrder(model, in, b.z, b.a, b.slope);
        // Backward from dE/da_top = w_Lᵀ, reusing z as the upstream-gradient buffer.
        INDArray g = b.slope[top].muliRowVector(model.lastWeightVector());
        for (int k = top; k >= 1; k--) {
            Nd4j.gemm(g, model.weight(k).value(), b.z[k - 1], false, true, 1.0, 0.0);
            g = b.slope[k - 1].muli(b.z[k - 1]);
        }
        if (out.ordering() == 'c' && !out.isView()) {
            Nd4j.gemm(g, model.weight(0).value(), out, false, true, 1.0, 0.0);
        } else {
            Nd4j.gemm(g, model.weight(0).value(), b.input, false, true, 1.0, 0.0);
            out.assign(b.input);
        }
    }

    private final class Buffers {
        final INDArray[] z;
        final INDArray[] a;
        final INDArray[] slope;
        final INDArray input;

        Buffers(long n) {
            MlpLayerBuffers layers = new MlpLayerBuffers(model, n);
            z = layers.z;
            a = layers.a;
            slope = layers.slope;
            input = Nd4j.create(model.dataType(), n, model.dimension());
        }
    }
}
