package io.streamebm.losses;

import io.streamebm.core.Activation;
import io.streamebm.core.HostArrays;
import io.streamebm.core.MlpEnergy;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.XwPlusB;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The work of {@link MlpKernel} on one block of rows, single-threaded: matrix products by ND4J
 * {@code gemm} into buffers reused while the block size stays the same, element-wise steps in
 * Java passes over whole layers (double precision for the second-order path).
 *
 * <p>Call order: {@link #forward}, then either {@link #backwardEnergies} (first order), or
 * {@link #inputGradient} and then {@link #backwardInputGradient} (second order), on the same x.
 * Results are owned by the pass and valid until its next call. Not thread-safe; one pass per
 * block and kernel.
 */
final class MlpPass {

    private final MlpEnergy model;
    private final Activation act;
    private final DataType type;
    private final int hidden;      // H, the number of hidden layers
    private final int[] width;     // width[k] of hidden layer k
    private final int d;

    private int n = -1;
    private double[][] z;
    private double[][] a;
    private double[][] s1;
    private double[][] s2;
    private double[][] delta;
    private double[][] work;
    private double[][] rhoBuf;
    private double[][] muBuf;
    private double[][] zetaBuf;
    private INDArray[] zNd;
    private INDArray[] aNd;
    private INDArray[] bufNd;
    private INDArray[] derivNd;
    private INDArray inputNd;
    private INDArray colNd;
    private INDArray ones;
    private double[] energies;
    private INDArray[] ownGradients;
    private double[] inputGrad;

    MlpPass(MlpEnergy model) {
        this.model = model;
        this.act = model.config().activation();
        this.type = model.dataType();
        this.width = model.config().hidden();
        this.hidden = width.length;
        this.d = model.config().inputDim();
    }

    private void ensure(int rows) {
        if (rows == n) {
            return;
        }
        n = rows;
        z = new double[hidden][];
        a = new double[hidden][];
        s1 = new double[hidden][];
        s2 = new double[hidden][];
        delta = new double[hidden][];
        work = new double[hidden][];
        rhoBuf = new double[hidden][];
        muBuf = new double[hidden][];
        zetaBuf = new double[hidden][];
        zNd = new INDArray[hidden];
        aNd = new INDArray[hidden];
        bufNd = new INDArray[hidden];
        derivNd = new INDArray[hidden];
        for (int k = 0; k < hidden; k++) {
            int len = rows * width[k];
            z[k] = new double[len];
            a[k] = new double[len];
            s1[k] = new double[len];
            s2[k] = new double[len];
            delta[k] = new double[len];
            work[k] = new double[len];
            rhoBuf[k] = new double[len];
            muBuf[k] = new double[len];
            zetaBuf[k] = new double[len];
            zNd[k] = Nd4j.create(type, rows, width[k]);
            aNd[k] = Nd4j.create(type, rows, width[k]);
            bufNd[k] = Nd4j.create(type, rows, width[k]);
            derivNd[k] = Nd4j.create(type, rows, width[k]);
        }
        inputNd = Nd4j.create(type, rows, d);
        colNd = Nd4j.create(type, rows);
        ones = Nd4j.ones(type, rows);
        energies = new double[rows];
        inputGrad = new double[rows * d];
    }

    // ------------------------------------------------------------------ forward

    /**
     * The forward pass on {@code x} ({@code [n, d]} in the model's type, C order), keeping what the
     * backward passes need; returns the energies (owned by the kernel, valid until the next call).
     *
     * @param second whether the double backward ({@link #inputGradient}, {@link #backwardInputGradient})
     *               follows; it needs the activations and their first and second derivatives in Java,
     *               while the first-order {@link #backwardEnergies} stays in ND4J
     */
    double[] forward(INDArray x, boolean second) {
        ensure((int) x.rows());
        INDArray in = x;
        for (int k = 0; k < hidden; k++) {
            // x·W + b in one native op: 10% faster here than gemm followed by a broadcast add.
            Nd4j.exec(new XwPlusB(new INDArray[] {in, model.weight(k).value(), model.bias(k).value()}, zNd[k]));
            if (second) {
                // The transcendental part by one vectorised ND4J op, the rest in one Java pass.
                if (act == Activation.TANH) {
                    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh(zNd[k], aNd[k]));
                } else {
                    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid(zNd[k], aNd[k]));
                }
                HostArrays.read(zNd[k], z[k]);
                HostArrays.read(aNd[k], work[k]);
                activate(z[k], work[k], a[k], s1[k], s2[k]);
                HostArrays.write(aNd[k], a[k]);
            } else {
                act.applyWithDerivative(zNd[k], aNd[k], derivNd[k]);
            }
            in = aNd[k];
        }
        matVec(aNd[hidden - 1], false, model.weight(hidden).value().reshape(width[hidden - 1]), colNd);
        HostArrays.read(colNd, energies);
        double bl = model.bias(hidden).value().getDouble(0);
        for (int i = 0; i < n; i++) {
            energies[i] += bl;
        }
        return energies;
    }

    /**
     * act(z), act′ and act″ element-wise, given {@code t} = σ(z) (or tanh z for TANH) from ND4J,
     * so that no exponential is evaluated here except for ELU and softplus values.
     */
    private void activate(double[] zz, double[] t, double[] out, double[] d1, double[] d2) {
        int len = zz.length;
        for (int idx = 0; idx < len; idx++) {
            double v = zz[idx];
            double s = t[idx];
            switch (act) {
                case SILU:
                    out[idx] = v * s;
                    d1[idx] = s * (1 + v * (1 - s));
                    d2[idx] = s * (1 - s) * (2 + v * (1 - 2 * s));
                    break;
                case TANH:
                    out[idx] = s;
                    d1[idx] = 1 - s * s;
                    d2[idx] = -2 * s * (1 - s * s);
                    break;
                case SOFTPLUS:
                    out[idx] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
                    d1[idx] = s;
                    d2[idx] = s * (1 - s);
                    break;
                case SIGMOID:
                    out[idx] = s;
                    d1[idx] = s * (1 - s);
                    d2[idx] = s * (1 - s) * (1 - 2 * s);
                    break;
                case ELU: {
                    double e = v > 0 ? 1 : Math.exp(v);
                    out[idx] = v > 0 ? v : e - 1;
                    d1[idx] = e;
                    d2[idx] = v > 0 ? 0 : e;
                    break;
                }
                case RELU:
                    out[idx] = v > 0 ? v : 0;
                    d1[idx] = v > 0 ? 1 : 0;
                    d2[idx] = 0;
                    break;
                default:
                    throw new AssertionError(act);
            }
        }
    }

    // ------------------------------------------------------------------ backward of Σ cᵢ Eᵢ

    /**
     * Parameter gradients of Σᵢ cᵢE(xᵢ) after {@code forward(x, false)} on the same x, entirely in
     * ND4J in place: per layer one GEMM for the weight gradient, one gemv with a vector of ones for
     * the bias and one GEMM plus one multiply to go down. One array per parameter, in the order of
     * {@link MlpKernel#parameters()}: new ones if {@code fresh}, else the pass's own, overwritten by
     * its next call (for gradients that are only added to others).
     */
    List<INDArray> backwardEnergies(INDArray x, double[] c, boolean fresh) {
        int top = hidden - 1;
        INDArray[] dW = new INDArray[hidden + 1];
        INDArray[] db = new INDArray[hidden + 1];
        INDArray[] own = fresh ? null : ownGradients();
        HostArrays.write(colNd, c);
        double sc = 0;
        for (double ci : c) {
            sc += ci;
        }
        // Gradients are created in their parameters' shapes and filled through vector views, so
        // that none is a view itself (autograd would copy each view it receives).
        dW[hidden] = own != null ? own[2 * hidden] : Nd4j.create(type, model.weight(hidden).value().shape());
        matVec(aNd[top], true, colNd, dW[hidden].reshape(width[top]));
        db[hidden] = (own != null ? own[2 * hidden + 1] : Nd4j.create(type, model.bias(hidden).value().shape()))
                .assign(sc);
        // dL/dz_top = c ⊗ w_L ∘ act′(z_top)
        Nd4j.gemm(colNd.reshape(n, 1), model.weight(hidden).value(), bufNd[top], false, true, 1.0, 0.0);
        bufNd[top].muli(derivNd[top]);
        for (int k = top; k >= 0; k--) {
            INDArray prev = k == 0 ? x : aNd[k - 1];
            dW[k] = own != null ? own[2 * k] : Nd4j.create(type, prev.columns(), width[k]);
            Nd4j.gemm(prev, bufNd[k], dW[k], true, false, 1.0, 0.0);
            db[k] = own != null ? own[2 * k + 1] : Nd4j.create(type, model.bias(k).value().shape());
            matVec(bufNd[k], true, ones, db[k].reshape(width[k]));
            if (k > 0) {
                Nd4j.gemm(bufNd[k], model.weight(k).value(), bufNd[k - 1], false, true, 1.0, 0.0);
                bufNd[k - 1].muli(derivNd[k - 1]);
            }
        }
        List<INDArray> out = new ArrayList<>(2 * hidden + 2);
        for (int k = 0; k <= hidden; k++) {
            out.add(dW[k]);
            out.add(db[k]);
        }
        return out;
    }

    /**
     * y = a·v, or aᵀ·v, for a vector v, by BLAS gemv. Why not gemm: with a single column, gemm
     * took 60–80 µs on [1408, 128] and gemv 15–25 µs.
     */
    private static void matVec(INDArray a, boolean transpose, INDArray v, INDArray y) {
        Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, transpose ? a.transpose() : a, v, 0.0, y);
    }

    /** The pass's own gradient buffers W₀, b₀, W₁, b₁, …, made on first use. */
    private INDArray[] ownGradients() {
        if (ownGradients == null) {
            ownGradients = new INDArray[2 * hidden + 2];
            for (int k = 0; k <= hidden; k++) {
                ownGradients[2 * k] = Nd4j.create(type, model.weight(k).value().shape());
                ownGradients[2 * k + 1] = Nd4j.create(type, model.bias(k).value().shape());
            }
        }
        return ownGradients;
    }

    /**
     * From dL/dz_from = e (Java, row-major), accumulates dW, db of layers from..0, walking down;
     * {@code zeta[k]} (null for first-order use) is the double backward's extra term of dL/dz_k.
     */
    private void backThroughLayers(INDArray x, int from, double[] e, double[][] zeta, INDArray[] dW,
            double[][] db) {
        for (int k = from; k >= 0; k--) {
            int h = width[k];
            HostArrays.write(bufNd[k], e);
            INDArray prev = k == 0 ? x : aNd[k - 1];
            INDArray g = dW[k] == null ? Nd4j.create(type, prev.columns(), h) : dW[k];
            Nd4j.gemm(prev, bufNd[k], g, true, false, 1.0, dW[k] == null ? 0.0 : 1.0);
            dW[k] = g;
            db[k] = add(db[k], colSum(e, h));
            if (k > 0) {
                Nd4j.gemm(bufNd[k], model.weight(k).value(), zNd[k - 1], false, true, 1.0, 0.0);
                double[] t = work[k - 1];
                HostArrays.read(zNd[k - 1], t);
                double[] s = s1[k - 1];
                double[] extra = zeta == null ? null : zeta[k - 1];
                for (int idx = 0; idx < t.length; idx++) {
                    t[idx] = t[idx] * s[idx] + (extra == null ? 0 : extra[idx]);
                }
                e = t;
            }
        }
    }

    // ------------------------------------------------------------------ backward of Σ rᵢ·∇ₓEᵢ

    /**
     * ∇ₓE of the rows of the last {@link #forward(INDArray, boolean)} (with {@code second = true});
     * returns {@code [n·d]} row-major, owned by the kernel.
     */
    double[] inputGradient() {
        int top = hidden - 1;
        double[] wl = HostArrays.toDoubles(model.weight(hidden).value());
        int h = width[top];
        double[] dl = delta[top];
        for (int i = 0; i < n; i++) {
            int off = i * h;
            for (int j = 0; j < h; j++) {
                dl[off + j] = s1[top][off + j] * wl[j];
            }
        }
        // δ_k = (δ_{k+1} W_{k+1}ᵀ) ∘ act′(z_k); keep u_k = δ_{k+1} W_{k+1}ᵀ in work[k].
        for (int k = top - 1; k >= 0; k--) {
            HostArrays.write(bufNd[k + 1], delta[k + 1]);
            Nd4j.gemm(bufNd[k + 1], model.weight(k + 1).value(), zNd[k], false, true, 1.0, 0.0);
            HostArrays.read(zNd[k], work[k]);
            for (int idx = 0; idx < work[k].length; idx++) {
                delta[k][idx] = work[k][idx] * s1[k][idx];
            }
        }
        HostArrays.write(bufNd[0], delta[0]);
        Nd4j.gemm(bufNd[0], model.weight(0).value(), inputNd, false, true, 1.0, 0.0);
        HostArrays.read(inputNd, inputGrad);
        return inputGrad;
    }

    /**
     * Parameter gradients of Σᵢ rᵢ·∇ₓE(xᵢ), after {@link #inputGradient()}; {@code r} is
     * {@code [n·d]} row-major. One new array per parameter, in the order of {@link MlpKernel#parameters()}.
     */
    List<INDArray> backwardInputGradient(INDArray x, double[] r) {
        int top = hidden - 1;
        INDArray[] dW = new INDArray[hidden + 1];
        double[][] db = new double[hidden + 1][];
        double[][] zeta = new double[hidden][];
        // g = δ_0 W_0ᵀ: dW_0 += rᵀ δ_0 and ρ_0 = r W_0. (bufNd[0] still holds δ_0.)
        HostArrays.write(inputNd, r);
        dW[0] = Nd4j.create(type, d, width[0]);
        Nd4j.gemm(inputNd, bufNd[0], dW[0], true, false, 1.0, 0.0);
        Nd4j.gemm(inputNd, model.weight(0).value(), zNd[0], false, false, 1.0, 0.0);
        double[] rho = rhoBuf[0];
        HostArrays.read(zNd[0], rho);
        double[] wl = HostArrays.toDoubles(model.weight(hidden).value());
        for (int k = 0; k <= top; k++) {
            int h = width[k];
            double[] mu = muBuf[k];
            double[] zk = zetaBuf[k];
            for (int idx = 0; idx < mu.length; idx++) {
                mu[idx] = rho[idx] * s1[k][idx];
                double u = k < top ? work[k][idx] : wl[idx % h];
                zk[idx] = rho[idx] * u * s2[k][idx];
            }
            zeta[k] = zk;
            if (k < top) {
                // u_k = δ_{k+1} W_{k+1}ᵀ: dW_{k+1} += μ_kᵀ δ_{k+1}; ρ_{k+1} = μ_k W_{k+1}.
                HostArrays.write(bufNd[k], mu);
                INDArray deltaNext = aNd[k + 1];
                HostArrays.write(deltaNext, delta[k + 1]);
                dW[k + 1] = Nd4j.create(type, h, width[k + 1]);
                Nd4j.gemm(bufNd[k], deltaNext, dW[k + 1], true, false, 1.0, 0.0);
                Nd4j.gemm(bufNd[k], model.weight(k + 1).value(), zNd[k + 1], false, false, 1.0, 0.0);
                rho = rhoBuf[k + 1];
                HostArrays.read(zNd[k + 1], rho);
            } else {
                // δ_top = act′(z_top) ∘ w_L: dw_L = colsum(μ_top); the output bias gets nothing.
                dW[hidden] = create(colSum(mu, h), h, 1);
                db[hidden] = new double[] {0};
            }
        }
        // The forward pass in reverse: dL/dz_k = ζ_k + (dL/dz_{k+1} W_{k+1}ᵀ) ∘ act′(z_k).
        // aNd[k] was overwritten above with δ's, so restore the activations first.
        for (int k = 0; k < hidden; k++) {
            HostArrays.write(aNd[k], a[k]);
        }
        backThroughLayers(x, top, zeta[top], zeta, dW, db);
        return pack(dW, db);
    }

    // ------------------------------------------------------------------ results

    private List<INDArray> pack(INDArray[] dW, double[][] db) {
        List<INDArray> out = new ArrayList<>(2 * hidden + 2);
        for (int k = 0; k <= hidden; k++) {
            out.add(dW[k]);
            INDArray b = model.bias(k).value();
            out.add(create(db[k], b.shape()));
        }
        return out;
    }

    // ------------------------------------------------------------------ array helpers

    private static double[] add(double[] acc, double[] v) {
        if (acc == null) {
            return v;
        }
        for (int i = 0; i < v.length; i++) {
            acc[i] += v[i];
        }
        return acc;
    }

    private double[] colSum(double[] e, int h) {
        double[] out = new double[h];
        for (int i = 0; i < n; i++) {
            int off = i * h;
            for (int j = 0; j < h; j++) {
                out[j] += e[off + j];
            }
        }
        return out;
    }

    private INDArray create(double[] v, long... shape) {
        return HostArrays.create(v, type, shape);
    }

}
