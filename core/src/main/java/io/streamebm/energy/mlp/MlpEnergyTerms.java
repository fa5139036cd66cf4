package io.streamebm.energy.mlp;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.internal.HostArrays;
import io.streamebm.energy.fused.RowBlocks;
import io.streamebm.energy.fused.RowTerms;
import java.util.Map;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Fused parameter gradients of a loss Σᵢ ℓᵢ(E(xᵢ)) on an {@link MlpEnergy} (CD, PCD, NCE), so that
 * a training step costs a handful of GEMMs instead of a recorded graph of a hundred small ND4J ops.
 *
 * <p>Why: a recorded forward and backward pass of the 2→128→128→1 MLP runs about 40 ND4J ops and
 * allocates each result; at 4–20 µs per op plus allocation, that alone exceeds the time budget of
 * a training step. Here the matrix products stay in ND4J, into buffers reused per block size.
 *
 * <p>Per block of rows ({@link RowBlocks}): one forward pass keeping act′ in ND4J
 * ({@link MlpForward#firstOrder}), the loss's terms and their slopes cᵢ = ∂ℓᵢ/∂Eᵢ, then the
 * backward pass of Σᵢ cᵢEᵢ entirely in ND4J in place: per layer one GEMM for the weight gradient,
 * one gemv with a vector of ones for the bias and one GEMM plus one multiply to go down.
 */
final class MlpEnergyTerms implements FusedEnergyTerms {

    private final MlpEnergy model;
    /** One pass per {@link RowBlocks.Work} slot. */
    private final Pass[] passes;

    MlpEnergyTerms(MlpEnergy model) {
        this.model = model;
        this.passes = new Pass[] {new Pass(), new Pass(), new Pass()};
    }

    @Override
    public FusedResult energyTerms(int n, RowBlocks.Rows rows, RowTerms terms) {
        return RowBlocks.run(n, rows, (slot, x, first) -> passes[slot].evaluate(x, first, terms, slot < 2));
    }

    /** Split over the weighed rows; the probe rows join the last block, whose backward pass skips them. */
    @Override
    public FusedResult energyTerms(INDArray x, int weighedRows, RowTerms terms) {
        return RowBlocks.run((int) x.rows(), weighedRows, RowBlocks.Rows.of(x),
                (slot, rows, first) -> passes[slot].evaluate(rows, first, terms, slot < 2));
    }

    /** The buffers and work of one block of rows, reused while the block size stays the same. */
    private final class Pass {
        private final DataType type = model.dataType();
        private final int hidden = model.hiddenLayers();
        private int n = -1;
        private INDArray[] z;
        private INDArray[] a;
        private INDArray[] slope;
        private INDArray[] upstream;
        private INDArray column;
        private INDArray ones;
        private double[] energies;
        /** Gradients of a block whose results are only added to another's, made on first use. */
        private INDArray[] ownWeights;
        private INDArray[] ownBiases;
        /** The backward pass of fewer rows than this one's, when trailing rows weigh nothing. */
        private Pass trimmed;
        /** Views of the first {@code headRows} rows of {@code a} and {@code slope}, for {@link #trimmed}. */
        private INDArray[] aHead;
        private INDArray[] slopeHead;
        private int headRows = -1;

        private void ensure(int rows) {
            if (rows == n) {
                return;
            }
            n = rows;
            headRows = -1;
            z = layerBuffers(rows);
            a = layerBuffers(rows);
            slope = layerBuffers(rows);
            upstream = layerBuffers(rows);
            column = Nd4j.create(type, rows);
            ones = Nd4j.ones(type, rows);
            energies = new double[rows];
        }

        private INDArray[] layerBuffers(int rows) {
            INDArray[] out = new INDArray[hidden];
            for (int k = 0; k < hidden; k++) {
                out[k] = Nd4j.create(type, rows, model.width(k));
            }
            return out;
        }

        /**
         * Forward, terms, backward on the block {@code x}. {@code fresh}: whether the gradients must
         * be new arrays, or may be the pass's own (overwritten by its next call).
         */
        FusedResult evaluate(INDArray x, int first, RowTerms terms, boolean fresh) {
            ensure((int) x.rows());
            INDArray top = MlpForward.firstOrder(model, x, z, a, slope);
            MlpForward.energies(model, top, column, energies);
            double[] c = new double[n];
            double value = terms.apply(first, energies, c);
            return new FusedResult(value, energies, backward(x, c, fresh));
        }

        /**
         * Parameter gradients of Σᵢ cᵢE(xᵢ) after the forward pass on the same x. Trailing rows of
         * slope zero (probe rows riding along, {@code ProbeEnergies}) add nothing to them, so the
         * backward pass stops before them: they cost a forward pass only.
         */
        private Map<String, FusedResult.ParameterGradient> backward(INDArray x, double[] c, boolean fresh) {
            if (!fresh && ownWeights == null) {
                ownWeights = shapedLike(model::weight);
                ownBiases = shapedLike(model::bias);
            }
            INDArray[] dW = fresh ? shapedLike(model::weight) : ownWeights;
            INDArray[] db = fresh ? shapedLike(model::bias) : ownBiases;
            int m = n;
            while (m > 0 && c[m - 1] == 0) {
                m--;
            }
            if (m == 0) {
                for (int k = 0; k <= hidden; k++) {
                    dW[k].assign(0);
                    db[k].assign(0);
                }
                return model.named(dW, db);
            }
            if (m < n) {
                if (headRows != m) {
                    // Views of this pass's buffers: made again only when the row counts change.
                    aHead = rows(a, m);
                    slopeHead = rows(slope, m);
                    headRows = m;
                }
                return trimmed(m).backward(x.get(NDArrayIndex.interval(0, m), NDArrayIndex.all()), aHead,
                        slopeHead, java.util.Arrays.copyOf(c, m), dW, db);
            }
            return backward(x, a, slope, c, dW, db);
        }

        /** The pass of the first {@code m} rows' backward, buffers made once per row count. */
        private Pass trimmed(int m) {
            if (trimmed == null) {
                trimmed = new Pass();
            }
            trimmed.ensure(m);
            return trimmed;
        }

        private INDArray[] rows(INDArray[] layers, int m) {
            INDArray[] out = new INDArray[layers.length];
            for (int k = 0; k < layers.length; k++) {
                out[k] = layers[k].get(NDArrayIndex.interval(0, m), NDArrayIndex.all());
            }
            return out;
        }

        /**
         * The backward pass itself, into this pass's buffers of x's row count: {@code acts} and
         * {@code slopes} are the forward pass's activations and act′ of x's rows (views, when
         * trimmed).
         */
        private Map<String, FusedResult.ParameterGradient> backward(INDArray x, INDArray[] acts, INDArray[] slopes,
                double[] c, INDArray[] dW, INDArray[] db) {
            int top = hidden - 1;
            HostArrays.write(column, c);
            double sc = 0;
            for (double ci : c) {
                sc += ci;
            }
            MlpForward.matVec(acts[top], true, column, dW[hidden].reshape(model.width(top)));
            db[hidden].assign(sc);
            // dL/dz_top = c ⊗ w_L ∘ act′(z_top)
            Nd4j.gemm(column.reshape(n, 1), model.weight(hidden).value(), upstream[top], false, true, 1.0, 0.0);
            upstream[top].muli(slopes[top]);
            for (int k = top; k >= 0; k--) {
                INDArray prev = k == 0 ? x : acts[k - 1];
                Nd4j.gemm(prev, upstream[k], dW[k], true, false, 1.0, 0.0);
                MlpForward.matVec(upstream[k], true, ones, db[k].reshape(model.width(k)));
                if (k > 0) {
                    Nd4j.gemm(upstream[k], model.weight(k).value(), upstream[k - 1], false, true, 1.0, 0.0);
                    upstream[k - 1].muli(slopes[k - 1]);
                }
            }
            return model.named(dW, db);
        }

        /**
         * New arrays in the shapes of the parameters: filled through vector views, none is a view
         * itself (autograd would copy each view it receives).
         */
        private INDArray[] shapedLike(IntFunction<Tensor> parameter) {
            INDArray[] out = new INDArray[hidden + 1];
            for (int k = 0; k <= hidden; k++) {
                out[k] = Nd4j.create(type, parameter.apply(k).value().shape());
            }
            return out;
        }
    }
}
