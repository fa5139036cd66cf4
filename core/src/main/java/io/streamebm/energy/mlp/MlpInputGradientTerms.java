package io.streamebm.energy.mlp;

import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.internal.HostArrays;
import io.streamebm.energy.fused.RowBlocks;
import io.streamebm.energy.fused.RowTerms;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused parameter gradients of a loss Σᵢ ℓᵢ(∇ₓE(xᵢ)) on an {@link MlpEnergy} (denoising score
 * matching), through the double backward: reverse mode through the input-gradient pass, which
 * brings in the activation's second derivative.
 *
 * <p>Per block of rows ({@link RowBlocks}): a forward pass keeping act′ and act″ in Java
 * ({@link MlpForward#withDerivatives}), the input gradient δ-recursion, the loss's terms and their
 * slopes rᵢ = ∂ℓᵢ/∂(∇ₓEᵢ), then the reverse pass. Matrix products stay in ND4J {@code gemm};
 * every element-wise step is one Java pass over a layer, in double precision.
 */
final class MlpInputGradientTerms implements FusedInputGradientTerms {

    private final MlpEnergy model;
    /** One pass per {@link RowBlocks.Work} slot. */
    private final Pass[] passes;

    MlpInputGradientTerms(MlpEnergy model) {
        this.model = model;
        this.passes = new Pass[] {new Pass(), new Pass(), new Pass()};
    }

    @Override
    public FusedResult inputGradientTerms(INDArray x, RowTerms terms) {
        return RowBlocks.run((int) x.rows(), RowBlocks.Rows.of(x), (slot, rows, first) -> {
            Pass pass = passes[slot];
            double[] e = pass.forward(rows);
            double[] g = pass.inputGradient();
            double[] slopes = new double[g.length];
            double value = terms.apply(first, g, slopes);
            return new FusedResult(value, e, pass.backward(rows, slopes));
        });
    }

    /**
     * The buffers and work of one block of rows, reused while the block size stays the same. Call
     * order: {@link #forward}, {@link #inputGradient}, {@link #backward}, on the same x.
     */
    private final class Pass {
        private final DataType type = model.dataType();
        private final int hidden = model.hiddenLayers();
        private final int d = model.dimension();
        private int n = -1;
        private MlpForward.Layer[] layers;
        /** δ_k = ∂E/∂z_k of each row. */
        private double[][] delta;
        /** u_k = δ_{k+1} W_{k+1}ᵀ, the upstream gradient before act′. */
        private double[][] upstream;
        /** ρ_k, the tangent of z_k along the slopes r: ρ₀ = rW₀, ρ_{k+1} = μ_k W_{k+1}. */
        private double[][] rho;
        /** μ_k = ρ_k ∘ act′(z_k), the tangent of a_k. */
        private double[][] mu;
        /** ζ_k = ρ_k ∘ u_k ∘ act″(z_k), the double backward's extra term of ∂L/∂z_k. */
        private double[][] zeta;
        /** ND4J staging of a layer's Java values for a GEMM. */
        private INDArray[] staging;
        private INDArray input;
        private INDArray column;
        private double[] energies;
        private double[] inputGradient;

        private void ensure(int rows) {
            if (rows == n) {
                return;
            }
            n = rows;
            layers = MlpForward.Layer.of(model, rows, false);
            delta = layerArrays(rows);
            upstream = layerArrays(rows);
            rho = layerArrays(rows);
            mu = layerArrays(rows);
            zeta = layerArrays(rows);
            staging = new INDArray[hidden];
            for (int k = 0; k < hidden; k++) {
                staging[k] = Nd4j.create(type, rows, model.width(k));
            }
            input = Nd4j.create(type, rows, d);
            column = Nd4j.create(type, rows);
            energies = new double[rows];
            inputGradient = new double[rows * d];
        }

        private double[][] layerArrays(int rows) {
            double[][] out = new double[hidden][];
            for (int k = 0; k < hidden; k++) {
                out[k] = new double[rows * model.width(k)];
            }
            return out;
        }

        /** The forward pass on {@code x}, keeping what the backward passes need; returns the energies. */
        double[] forward(INDArray x) {
            ensure((int) x.rows());
            MlpForward.withDerivatives(model, x, layers);
            MlpForward.energies(model, layers[hidden - 1].aNd, column, energies);
            return energies;
        }

        /** ∇ₓE of the rows of the last {@link #forward}, {@code [n·d]} row-major. */
        double[] inputGradient() {
            int top = hidden - 1;
            double[] wl = HostArrays.toDoubles(model.weight(hidden).value());
            int h = model.width(top);
            double[] s = layers[top].d1;
            for (int i = 0; i < n; i++) {
                int off = i * h;
                for (int j = 0; j < h; j++) {
                    delta[top][off + j] = s[off + j] * wl[j];
                }
            }
            // δ_k = (δ_{k+1} W_{k+1}ᵀ) ∘ act′(z_k); keep u_k = δ_{k+1} W_{k+1}ᵀ.
            for (int k = top - 1; k >= 0; k--) {
                HostArrays.write(staging[k + 1], delta[k + 1]);
                Nd4j.gemm(staging[k + 1], model.weight(k + 1).value(), layers[k].zNd, false, true, 1.0, 0.0);
                HostArrays.read(layers[k].zNd, upstream[k]);
                double[] d1 = layers[k].d1;
                for (int idx = 0; idx < d1.length; idx++) {
                    delta[k][idx] = upstream[k][idx] * d1[idx];
                }
            }
            HostArrays.write(staging[0], delta[0]);
            Nd4j.gemm(staging[0], model.weight(0).value(), input, false, true, 1.0, 0.0);
            HostArrays.read(input, inputGradient);
            return inputGradient;
        }

        /**
         * Parameter gradients of Σᵢ rᵢ·∇ₓE(xᵢ), after {@link #inputGradient()}; {@code r} is
         * {@code [n·d]} row-major. One new array per parameter.
         */
        Map<String, FusedResult.ParameterGradient> backward(INDArray x, double[] r) {
            int top = hidden - 1;
            INDArray[] dW = new INDArray[hidden + 1];
            double[][] db = new double[hidden + 1][];
            // g = δ_0 W_0ᵀ: dW_0 += rᵀ δ_0 and ρ_0 = r W_0. (staging[0] still holds δ_0.)
            HostArrays.write(input, r);
            dW[0] = Nd4j.create(type, d, model.width(0));
            Nd4j.gemm(input, staging[0], dW[0], true, false, 1.0, 0.0);
            Nd4j.gemm(input, model.weight(0).value(), layers[0].zNd, false, false, 1.0, 0.0);
            HostArrays.read(layers[0].zNd, rho[0]);
            double[] wl = HostArrays.toDoubles(model.weight(hidden).value());
            for (int k = 0; k <= top; k++) {
                int h = model.width(k);
                double[] d1 = layers[k].d1;
                double[] d2 = layers[k].d2;
                for (int idx = 0; idx < mu[k].length; idx++) {
                    mu[k][idx] = rho[k][idx] * d1[idx];
                    double u = k < top ? upstream[k][idx] : wl[idx % h];
                    zeta[k][idx] = rho[k][idx] * u * d2[idx];
                }
                if (k < top) {
                    // u_k = δ_{k+1} W_{k+1}ᵀ: dW_{k+1} += μ_kᵀ δ_{k+1}; ρ_{k+1} = μ_k W_{k+1}.
                    HostArrays.write(staging[k], mu[k]);
                    INDArray deltaNext = layers[k + 1].aNd;
                    HostArrays.write(deltaNext, delta[k + 1]);
                    dW[k + 1] = Nd4j.create(type, h, model.width(k + 1));
                    Nd4j.gemm(staging[k], deltaNext, dW[k + 1], true, false, 1.0, 0.0);
                    Nd4j.gemm(staging[k], model.weight(k + 1).value(), layers[k + 1].zNd, false, false, 1.0, 0.0);
                    HostArrays.read(layers[k + 1].zNd, rho[k + 1]);
                } else {
                    // δ_top = act′(z_top) ∘ w_L: dw_L = colsum(μ_top); the output bias gets nothing.
                    dW[hidden] = HostArrays.create(HostArrays.columnSums(mu[k], h), type, h, 1);
                    db[hidden] = new double[] {0};
                }
            }
            // The forward pass in reverse: dL/dz_k = ζ_k + (dL/dz_{k+1} W_{k+1}ᵀ) ∘ act′(z_k).
            // The activations' ND4J arrays held δ's above, so restore them first.
            for (int k = 0; k < hidden; k++) {
                HostArrays.write(layers[k].aNd, layers[k].a);
            }
            backThroughLayers(x, zeta[top], dW, db);
            INDArray[] dB = new INDArray[hidden + 1];
            for (int k = 0; k <= hidden; k++) {
                dB[k] = HostArrays.create(db[k], type, model.bias(k).value().shape());
            }
            return model.named(dW, dB);
        }

        /**
         * From dL/dz_top = e (Java, row-major), accumulates dW, db of every layer, walking down;
         * ζ_k is the double backward's extra term of dL/dz_k.
         */
        private void backThroughLayers(INDArray x, double[] e, INDArray[] dW, double[][] db) {
            for (int k = hidden - 1; k >= 0; k--) {
                int h = model.width(k);
                HostArrays.write(staging[k], e);
                INDArray prev = k == 0 ? x : layers[k - 1].aNd;
                INDArray g = dW[k] == null ? Nd4j.create(type, prev.columns(), h) : dW[k];
                Nd4j.gemm(prev, staging[k], g, true, false, 1.0, dW[k] == null ? 0.0 : 1.0);
                dW[k] = g;
                db[k] = add(db[k], HostArrays.columnSums(e, h));
                if (k > 0) {
                    Nd4j.gemm(staging[k], model.weight(k).value(), layers[k - 1].zNd, false, true, 1.0, 0.0);
                    double[] t = upstream[k - 1];
                    HostArrays.read(layers[k - 1].zNd, t);
                    double[] d1 = layers[k - 1].d1;
                    double[] extra = zeta[k - 1];
                    for (int idx = 0; idx < t.length; idx++) {
                        t[idx] = t[idx] * d1[idx] + extra[idx];
                    }
                    e = t;
                }
            }
        }
    }

    private static double[] add(double[] acc, double[] v) {
        if (acc == null) {
            return v;
        }
        for (int i = 0; i < v.length; i++) {
            acc[i] += v[i];
        }
        return acc;
    }
}
