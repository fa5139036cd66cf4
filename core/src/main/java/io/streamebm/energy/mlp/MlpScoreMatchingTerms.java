package io.streamebm.energy.mlp;

import io.streamebm.energy.fused.FusedResult;
import io.streamebm.energy.fused.FusedScoreMatchingTerms;
import io.streamebm.internal.HostArrays;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused projected score matching on an {@link MlpEnergy} (exact SM, SSM): the value and the
 * parameter gradient of L = Σ_r ω_r [½ (v_rᵀ∇ₓE(x))² − v_rᵀ∇²ₓE(x) v_r] over (row, direction)
 * pairs r, see {@link FusedScoreMatchingTerms}.
 *
 * <p>How: both directional derivatives come from one second-order forward-mode (Taylor) pass
 * through the network — for each layer z, ż = ȧW and z̈ = äW, with ȧ = σ′ż and ä = σ″ż² + σ′z̈ —
 * so vᵀ∇E = ȧ·w_L and vᵀ∇²E v = ä·w_L. The parameter gradient is one reverse pass over that,
 * which brings in σ‴. That is three GEMMs per layer forward, six backward, and Java passes for the
 * element-wise algebra, where autograd would record a third-order graph of several hundred ops.
 *
 * <p>The value pass (z, a and the activation's derivatives, {@link MlpForward#withDerivatives})
 * depends only on the data row, so it runs on the n rows; the tangents ż, z̈ run on all n·reps
 * (row, direction) pairs and read the derivatives of their row: element idx of a pair is element
 * idx mod (n·h) of its row.
 */
final class MlpScoreMatchingTerms implements FusedScoreMatchingTerms {

    private final MlpEnergy model;
    private final DataType type;
    private final int hidden;
    private Buffers buffers;

    MlpScoreMatchingTerms(MlpEnergy model) {
        this.model = model;
        this.type = model.dataType();
        this.hidden = model.hiddenLayers();
    }

    /**
     * Per-layer work arrays, reused while the batch shape stays the same (allocation would
     * dominate). The value layers hold the n data rows; the tangent arrays the N = n·reps pairs.
     */
    private final class Buffers {
        final int n;
        final int big;
        final MlpForward.Layer[] layers;
        final INDArray column;
        final double[][] zBar;
        final double[][] aBar;
        final double[][] zd;
        final double[][] zdd;
        final double[][] ad;
        final double[][] add;
        final double[][] zdBar;
        final double[][] zddBar;
        final double[][] adBar;
        final double[][] addBar;
        final INDArray[] zBarNd;
        final INDArray[] adNd;
        final INDArray[] addNd;
        final INDArray[] zdBarNd;
        final INDArray[] zddBarNd;

        Buffers(int n, int big) {
            this.n = n;
            this.big = big;
            layers = MlpForward.Layer.of(model, n, true);
            column = Nd4j.create(type, n);
            zBar = arrays(n);
            aBar = arrays(n);
            zd = arrays(big);
            zdd = arrays(big);
            ad = arrays(big);
            add = arrays(big);
            zdBar = arrays(big);
            zddBar = arrays(big);
            adBar = arrays(big);
            addBar = arrays(big);
            zBarNd = nd(n);
            adNd = nd(big);
            addNd = nd(big);
            zdBarNd = nd(big);
            zddBarNd = nd(big);
        }

        private double[][] arrays(int rows) {
            double[][] out = new double[hidden][];
            for (int k = 0; k < hidden; k++) {
                out[k] = new double[rows * model.width(k)];
            }
            return out;
        }

        private INDArray[] nd(int rows) {
            INDArray[] out = new INDArray[hidden];
            for (int k = 0; k < hidden; k++) {
                out[k] = Nd4j.create(type, rows, model.width(k));
            }
            return out;
        }
    }

    @Override
    public FusedResult scoreMatchingTerms(INDArray x, INDArray v, double[] weights) {
        int n = (int) x.rows();
        int big = (int) v.rows();
        if (big % n != 0) {
            throw new IllegalArgumentException("directions (" + big + ") must be a multiple of the rows (" + n + ")");
        }
        if (weights.length != big) {
            throw new IllegalArgumentException(weights.length + " weights for " + big + " directions");
        }
        if (buffers == null || buffers.n != n || buffers.big != big) {
            buffers = new Buffers(n, big);
        }
        Buffers b = buffers;
        MlpForward.withDerivatives(model, x, b.layers);
        tangents(b, v);
        double[] energies = new double[n];
        MlpForward.energies(model, b.layers[hidden - 1].aNd, b.column, energies);
        double[] wl = HostArrays.toDoubles(model.weight(hidden).value());
        double[] wlBar = new double[wl.length];
        double value = topAdjoints(b, weights, wl, wlBar);
        INDArray[] dW = new INDArray[hidden + 1];
        INDArray[] db = new INDArray[hidden + 1];
        dW[hidden] = HostArrays.create(wlBar, type, wl.length, 1);
        db[hidden] = Nd4j.zeros(type, model.bias(hidden).value().shape());
        backward(b, x, v, dW, db);
        return new FusedResult(value, energies, model.named(dW, db));
    }

    /** The forward tangents ż, z̈ (and ȧ, ä) of every layer along the directions v. */
    private void tangents(Buffers b, INDArray v) {
        INDArray inD = v;
        INDArray inDD = null;   // the input has no second tangent: z̈ of layer 0 stays 0
        for (int k = 0; k < hidden; k++) {
            int baseLen = b.n * model.width(k);
            INDArray w = model.weight(k).value();
            Nd4j.gemm(inD, w, b.adNd[k], false, false, 1.0, 0.0);
            HostArrays.read(b.adNd[k], b.zd[k]);
            if (inDD != null) {
                Nd4j.gemm(inDD, w, b.addNd[k], false, false, 1.0, 0.0);
                HostArrays.read(b.addNd[k], b.zdd[k]);
            }
            double[] d1 = b.layers[k].d1;
            double[] d2 = b.layers[k].d2;
            double[] zd = b.zd[k];
            double[] zdd = b.zdd[k];
            double[] ad = b.ad[k];
            double[] add = b.add[k];
            for (int idx = 0, base = 0; idx < zd.length; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                double s = zd[idx];
                ad[idx] = d1[base] * s;
                add[idx] = d2[base] * s * s + d1[base] * zdd[idx];
            }
            HostArrays.write(b.adNd[k], ad);
            HostArrays.write(b.addNd[k], add);
            inD = b.adNd[k];
            inDD = b.addNd[k];
        }
    }

    /**
     * At the top, p = ȧ·w_L (= vᵀ∇E) and q = ä·w_L (= vᵀ∇²E v) of each pair: returns the loss and
     * sets the adjoints ǡ = (∂L/∂p) w_L, ǟ = (∂L/∂q) w_L and w̄_L (ā = 0: E is not in the loss).
     */
    private double topAdjoints(Buffers b, double[] weights, double[] wl, double[] wlBar) {
        int top = hidden - 1;
        int h = wl.length;
        double[] adTop = b.ad[top];
        double[] addTop = b.add[top];
        double[] adBar = b.adBar[top];
        double[] addBar = b.addBar[top];
        double value = 0;
        for (int r = 0; r < b.big; r++) {
            double p = 0;
            double q = 0;
            int off = r * h;
            for (int j = 0; j < h; j++) {
                p += adTop[off + j] * wl[j];
                q += addTop[off + j] * wl[j];
            }
            double omega = weights[r];
            value += omega * (0.5 * p * p - q);
            double dp = omega * p;
            for (int j = 0; j < h; j++) {
                wlBar[j] += dp * adTop[off + j] - omega * addTop[off + j];
                adBar[off + j] = dp * wl[j];
                addBar[off + j] = -omega * wl[j];
            }
        }
        return value;
    }

    /** The reverse pass from the top adjoints down to layer 0, into dW and db of the hidden layers. */
    private void backward(Buffers b, INDArray x, INDArray v, INDArray[] dW, INDArray[] db) {
        int top = hidden - 1;
        for (int k = top; k >= 0; k--) {
            int hk = model.width(k);
            int baseLen = b.n * hk;
            MlpForward.Layer layer = b.layers[k];
            double[] zd = b.zd[k];
            double[] zdd = b.zdd[k];
            double[] d1 = layer.d1;
            double[] d2 = layer.d2;
            double[] d3 = layer.d3;
            double[] b1 = b.adBar[k];
            double[] b2 = b.addBar[k];
            double[] zBar = b.zBar[k];
            double[] zdBar = b.zdBar[k];
            double[] zddBar = b.zddBar[k];
            // z̄ of a data row sums its pairs' terms, plus ā·act′ from the value pass above.
            if (k == top) {
                Arrays.fill(zBar, 0);
            } else {
                double[] b0 = b.aBar[k];
                for (int i = 0; i < baseLen; i++) {
                    zBar[i] = b0[i] * d1[i];
                }
            }
            if (k > 0) {
                for (int idx = 0, base = 0; idx < zd.length; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                    double s = zd[idx];
                    zddBar[idx] = b2[idx] * d1[base];
                    zdBar[idx] = 2 * b2[idx] * d2[base] * s + b1[idx] * d1[base];
                    zBar[base] += b2[idx] * (d3[base] * s * s + d2[base] * zdd[idx]) + b1[idx] * d2[base] * s;
                }
                HostArrays.write(b.zddBarNd[k], zddBar);
            } else {
                // Layer 0: z̈ = 0 (the input has no second tangent), and z̈̄ feeds nothing below.
                for (int idx = 0, base = 0; idx < zd.length; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                    double s = zd[idx];
                    zdBar[idx] = 2 * b2[idx] * d2[base] * s + b1[idx] * d1[base];
                    zBar[base] += (b2[idx] * d3[base] * s + b1[idx] * d2[base]) * s;
                }
            }
            HostArrays.write(b.zBarNd[k], zBar);
            HostArrays.write(b.zdBarNd[k], zdBar);
            INDArray prevA = k == 0 ? x : b.layers[k - 1].aNd;
            INDArray prevAd = k == 0 ? v : b.adNd[k - 1];
            dW[k] = Nd4j.create(type, prevA.columns(), hk);
            Nd4j.gemm(prevA, b.zBarNd[k], dW[k], true, false, 1.0, 0.0);
            Nd4j.gemm(prevAd, b.zdBarNd[k], dW[k], true, false, 1.0, 1.0);
            if (k > 0) {
                Nd4j.gemm(b.addNd[k - 1], b.zddBarNd[k], dW[k], true, false, 1.0, 1.0);
            }
            db[k] = HostArrays.create(HostArrays.columnSums(zBar, hk), type, model.bias(k).value().shape());
            if (k > 0) {
                INDArray w = model.weight(k).value();
                // The layer below's adjoint buffers are free until its iteration writes them.
                Nd4j.gemm(b.zBarNd[k], w, b.zBarNd[k - 1], false, true, 1.0, 0.0);
                HostArrays.read(b.zBarNd[k - 1], b.aBar[k - 1]);
                Nd4j.gemm(b.zdBarNd[k], w, b.zdBarNd[k - 1], false, true, 1.0, 0.0);
                HostArrays.read(b.zdBarNd[k - 1], b.adBar[k - 1]);
                Nd4j.gemm(b.zddBarNd[k], w, b.zdBarNd[k - 1], false, true, 1.0, 0.0);
                HostArrays.read(b.zdBarNd[k - 1], b.addBar[k - 1]);
            }
        }
    }
}
