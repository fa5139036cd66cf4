package io.streamebm.losses;

import io.streamebm.core.Activation;
import io.streamebm.core.HostArrays;
import io.streamebm.core.MlpEnergy;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused projected score matching on an {@link MlpEnergy}: the value and the parameter gradient of
 * <pre>
 *   L = scale · Σ_rows [ ½ (vᵀ∇ₓE(x))² − vᵀ∇²ₓE(x) v ]
 * </pre>
 * for rows x with directions v. With v running over the standard basis this is exact score
 * matching (Σⱼ ½(∂ⱼE)² = ½‖∇E‖² and Σⱼ ∂²ⱼⱼE = tr ∇²E); with random v it is sliced score matching.
 *
 * <p>How: both directional derivatives come from one second-order forward-mode (Taylor) pass
 * through the network — for each layer z, ż = ȧW and z̈ = äW, with ȧ = σ′ż and ä = σ″ż² + σ′z̈ —
 * so vᵀ∇E = ȧ·w_L and vᵀ∇²E v = ä·w_L. The parameter gradient is one reverse pass over that,
 * which brings in σ‴. Why: autograd would record the input gradient, differentiate it again and then
 * back-propagate through both (third order), a graph of several hundred ND4J ops; here it is three
 * GEMMs per layer forward, six backward, and Java passes for the element-wise algebra.
 */
final class MlpScoreKernel {

    private final MlpEnergy model;
    private final Activation act;
    private final DataType type;
    private final int hidden;
    private final int[] width;

    /**
     * Per-layer work arrays, reused across calls (allocation would dominate). Base arrays hold the
     * n data rows; tangent arrays hold the N = n·reps (row, direction) pairs.
     */
    private final class Buffers {
        final int n;
        final int big;
        final double[][] zz;
        final double[][] tt;
        final double[][] f1;
        final double[][] f2;
        final double[][] f3;
        final double[][] a;
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
        final INDArray[] aNd;
        final INDArray[] tNd;
        final INDArray[] zBarNd;
        final INDArray[] adNd;
        final INDArray[] addNd;
        final INDArray[] zdBarNd;
        final INDArray[] zddBarNd;

        Buffers(int n, int big) {
            this.n = n;
            this.big = big;
            zz = arrays(n);
            tt = arrays(n);
            f1 = arrays(n);
            f2 = arrays(n);
            f3 = arrays(n);
            a = arrays(n);
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
            aNd = nd(n);
            tNd = nd(n);
            zBarNd = nd(n);
            adNd = nd(big);
            addNd = nd(big);
            zdBarNd = nd(big);
            zddBarNd = nd(big);
        }

        private double[][] arrays(int rows) {
            double[][] out = new double[hidden][];
            for (int k = 0; k < hidden; k++) {
                out[k] = new double[rows * width[k]];
            }
            return out;
        }

        private INDArray[] nd(int rows) {
            INDArray[] out = new INDArray[hidden];
            for (int k = 0; k < hidden; k++) {
                out[k] = Nd4j.create(type, rows, width[k]);
            }
            return out;
        }
    }

    private Buffers buffers;

    MlpScoreKernel(MlpEnergy model) {
        this.model = model;
        this.act = model.config().activation();
        this.type = model.dataType();
        this.width = model.config().hidden();
        this.hidden = width.length;
    }

    MlpEnergy model() {
        return model;
    }

    /** The kernel for {@code model}: {@code current} if it serves it, a new one, or null if unsupported. */
    static MlpScoreKernel forModel(io.streamebm.core.EnergyFunction model, MlpScoreKernel current) {
        if (!(model instanceof MlpEnergy m)) {
            return null;
        }
        return current != null && current.model == m ? current : new MlpScoreKernel(m);
    }

    /** Result of one evaluation: the loss, the energies of the rows and the parameter gradients. */
    record Result(double value, double[] energies, List<INDArray> grads) {
    }

    /**
     * @param x     the data rows {@code [n, d]} in the model's type, C order
     * @param v     directions {@code [n·reps, d]}, same type: row p·n + i is a direction for x row i
     * @param scale the weight of each (row, direction) term (1/n for SM, 1/(n·reps) for SSM)
     */
    Result evaluate(INDArray x, INDArray v, double scale) {
        return evaluate(x, v, null, scale);
    }

    /**
     * As {@link #evaluate(INDArray, INDArray, double)}, with a weight per (row, direction) pair
     * instead of one scale: L = Σ_r ω_r [½(v_rᵀ∇E)² − v_rᵀ∇²E v_r].
     *
     * @param weights ω, one per row of {@code v}; null to use {@code scale} for all
     */
    Result evaluate(INDArray x, INDArray v, double[] weights, double scale) {
        int n = (int) x.rows();
        int big = (int) v.rows();
        if (big % n != 0) {
            throw new IllegalArgumentException("directions (" + big + ") must be a multiple of the rows (" + n + ")");
        }
        if (buffers == null || buffers.n != n || buffers.big != big) {
            buffers = new Buffers(n, big);
        }
        Buffers b = buffers;
        // Forward. The value pass (z, a and the activation's derivatives) depends only on the data
        // row, so it runs on the n rows; the tangents ż, z̈ run on all n·reps (row, direction) pairs
        // and read the derivatives of their row, element idx of a pair being idx mod (n·h) of its row.
        INDArray in = x;
        INDArray inD = v;
        INDArray inDD = null;
        for (int k = 0; k < hidden; k++) {
            int baseLen = n * width[k];
            int len = big * width[k];
            INDArray w = model.weight(k).value();
            Nd4j.gemm(in, w, b.aNd[k], false, false, 1.0, 0.0);
            b.aNd[k].addiRowVector(model.bias(k).value());
            if (act == Activation.TANH) {
                Nd4j.exec(new Tanh(b.aNd[k], b.tNd[k]));
            } else {
                Nd4j.exec(new Sigmoid(b.aNd[k], b.tNd[k]));
            }
            HostArrays.read(b.aNd[k], b.zz[k]);
            HostArrays.read(b.tNd[k], b.tt[k]);
            derivatives(b.zz[k], b.tt[k], b.a[k], b.f1[k], b.f2[k], b.f3[k]);
            HostArrays.write(b.aNd[k], b.a[k]);
            Nd4j.gemm(inD, w, b.adNd[k], false, false, 1.0, 0.0);
            HostArrays.read(b.adNd[k], b.zd[k]);
            if (inDD != null) {
                Nd4j.gemm(inDD, w, b.addNd[k], false, false, 1.0, 0.0);
                HostArrays.read(b.addNd[k], b.zdd[k]);
            }
            double[] d1 = b.f1[k];
            double[] d2 = b.f2[k];
            double[] zd = b.zd[k];
            double[] zdd = b.zdd[k];
            double[] ad = b.ad[k];
            double[] add = b.add[k];
            for (int idx = 0, base = 0; idx < len; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                double s = zd[idx];
                ad[idx] = d1[base] * s;
                add[idx] = d2[base] * s * s + d1[base] * zdd[idx];
            }
            HostArrays.write(b.adNd[k], ad);
            HostArrays.write(b.addNd[k], add);
            in = b.aNd[k];
            inD = b.adNd[k];
            inDD = b.addNd[k];
        }
        // Top: p = ȧ·w_L (= vᵀ∇E), q = ä·w_L (= vᵀ∇²E v); E = a·w_L + b_L on the data rows.
        int top = hidden - 1;
        int h = width[top];
        double[] aTop = b.a[top];
        double[] adTop = b.ad[top];
        double[] addTop = b.add[top];
        double[] wl = new double[h];
        HostArrays.read(model.weight(hidden).value(), wl);
        double bl = model.bias(hidden).value().getDouble(0);
        double[] energies = new double[n];
        for (int i = 0; i < n; i++) {
            double e = bl;
            int off = i * h;
            for (int j = 0; j < h; j++) {
                e += aTop[off + j] * wl[j];
            }
            energies[i] = e;
        }
        double value = 0;
        double[] wlBar = new double[h];
        // Adjoints at the top layer: ā = 0 (E is not in the loss), ǡ = (∂L/∂p) w_L, ǟ = (∂L/∂q) w_L.
        double[] adBar = b.adBar[top];
        double[] addBar = b.addBar[top];
        for (int r = 0; r < big; r++) {
            double p = 0;
            double q = 0;
            int off = r * h;
            for (int j = 0; j < h; j++) {
                p += adTop[off + j] * wl[j];
                q += addTop[off + j] * wl[j];
            }
            double omega = weights == null ? scale : weights[r];
            value += omega * (0.5 * p * p - q);
            double dp = omega * p;
            for (int j = 0; j < h; j++) {
                wlBar[j] += dp * adTop[off + j] - omega * addTop[off + j];
                adBar[off + j] = dp * wl[j];
                addBar[off + j] = -omega * wl[j];
            }
        }
        INDArray[] dW = new INDArray[hidden + 1];
        double[][] db = new double[hidden + 1][];
        dW[hidden] = HostArrays.create(wlBar, type, h, 1);
        db[hidden] = new double[] {0};
        for (int k = top; k >= 0; k--) {
            int hk = width[k];
            int baseLen = n * hk;
            int len = big * hk;
            double[] zd = b.zd[k];
            double[] zdd = b.zdd[k];
            double[] d1 = b.f1[k];
            double[] d2 = b.f2[k];
            double[] d3 = b.f3[k];
            double[] b1 = b.adBar[k];
            double[] b2 = b.addBar[k];
            double[] zBar = b.zBar[k];
            double[] zdBar = b.zdBar[k];
            double[] zddBar = b.zddBar[k];
            // z̄ of a data row sums its pairs' terms, plus ā·act′ from the value pass above.
            if (k == top) {
                java.util.Arrays.fill(zBar, 0);
            } else {
                double[] b0 = b.aBar[k];
                for (int i = 0; i < baseLen; i++) {
                    zBar[i] = b0[i] * d1[i];
                }
            }
            if (k > 0) {
                for (int idx = 0, base = 0; idx < len; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                    double s = zd[idx];
                    zddBar[idx] = b2[idx] * d1[base];
                    zdBar[idx] = 2 * b2[idx] * d2[base] * s + b1[idx] * d1[base];
                    zBar[base] += b2[idx] * (d3[base] * s * s + d2[base] * zdd[idx]) + b1[idx] * d2[base] * s;
                }
                HostArrays.write(b.zddBarNd[k], zddBar);
            } else {
                // Layer 0: z̈ = 0 (the input has no second tangent), and z̈̄ feeds nothing below.
                for (int idx = 0, base = 0; idx < len; idx++, base = base + 1 == baseLen ? 0 : base + 1) {
                    double s = zd[idx];
                    zdBar[idx] = 2 * b2[idx] * d2[base] * s + b1[idx] * d1[base];
                    zBar[base] += (b2[idx] * d3[base] * s + b1[idx] * d2[base]) * s;
                }
            }
            HostArrays.write(b.zBarNd[k], zBar);
            HostArrays.write(b.zdBarNd[k], zdBar);
            INDArray prevA = k == 0 ? x : b.aNd[k - 1];
            INDArray prevAd = k == 0 ? v : b.adNd[k - 1];
            dW[k] = Nd4j.create(type, prevA.columns(), hk);
            Nd4j.gemm(prevA, b.zBarNd[k], dW[k], true, false, 1.0, 0.0);
            Nd4j.gemm(prevAd, b.zdBarNd[k], dW[k], true, false, 1.0, 1.0);
            if (k > 0) {
                Nd4j.gemm(b.addNd[k - 1], b.zddBarNd[k], dW[k], true, false, 1.0, 1.0);
            }
            double[] bsum = new double[hk];
            for (int i = 0; i < n; i++) {
                int off = i * hk;
                for (int j = 0; j < hk; j++) {
                    bsum[j] += zBar[off + j];
                }
            }
            db[k] = bsum;
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
        List<INDArray> grads = new ArrayList<>(2 * hidden + 2);
        for (int k = 0; k <= hidden; k++) {
            grads.add(dW[k]);
            INDArray bias = model.bias(k).value();
            grads.add(HostArrays.create(db[k], type, bias.shape()));
        }
        return new Result(value, energies, grads);
    }

    /**
     * act, act′, act″, act‴ from z and t = σ(z) (tanh z for TANH); the switch is outside the loops
     * so that each loop is a tight arithmetic pass.
     */
    private void derivatives(double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
        int len = z.length;
        switch (act) {
            case SILU:
                for (int i = 0; i < len; i++) {
                    double v = z[i];
                    double s = t[i];
                    double s1 = s * (1 - s);
                    double s2 = s1 * (1 - 2 * s);
                    double s3 = s1 * (1 - 6 * s + 6 * s * s);
                    f[i] = v * s;
                    d1[i] = s + v * s1;
                    d2[i] = 2 * s1 + v * s2;
                    d3[i] = 3 * s2 + v * s3;
                }
                break;
            case TANH:
                for (int i = 0; i < len; i++) {
                    double s = t[i];
                    double g = 1 - s * s;
                    f[i] = s;
                    d1[i] = g;
                    d2[i] = -2 * s * g;
                    d3[i] = g * (6 * s * s - 2);
                }
                break;
            case SIGMOID:
                for (int i = 0; i < len; i++) {
                    double s = t[i];
                    double s1 = s * (1 - s);
                    f[i] = s;
                    d1[i] = s1;
                    d2[i] = s1 * (1 - 2 * s);
                    d3[i] = s1 * (1 - 6 * s + 6 * s * s);
                }
                break;
            case SOFTPLUS:
                for (int i = 0; i < len; i++) {
                    double v = z[i];
                    double s = t[i];
                    double s1 = s * (1 - s);
                    f[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
                    d1[i] = s;
                    d2[i] = s1;
                    d3[i] = s1 * (1 - 2 * s);
                }
                break;
            case ELU:
                for (int i = 0; i < len; i++) {
                    double v = z[i];
                    double e = v > 0 ? 1 : Math.exp(v);
                    f[i] = v > 0 ? v : e - 1;
                    d1[i] = e;
                    d2[i] = v > 0 ? 0 : e;
                    d3[i] = v > 0 ? 0 : e;
                }
                break;
            case RELU:
                for (int i = 0; i < len; i++) {
                    double v = z[i];
                    f[i] = v > 0 ? v : 0;
                    d1[i] = v > 0 ? 1 : 0;
                    d2[i] = 0;
                    d3[i] = 0;
                }
                break;
            default:
                throw new AssertionError(act);
        }
    }
}
