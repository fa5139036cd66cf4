package io.streamebm.energy.mlp;

import io.streamebm.autograd.Tensor;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Hidden-layer activations of {@link MlpEnergy}. Each one is written down once, here: its autograd
 * form ({@link #apply(Tensor)}) and its table of f, f′, f″ and f‴ for the fused kernels
 * ({@link #derivatives}), which every kernel reads — the input gradient needs f′, the double
 * backward of denoising score matching f″, the score-matching kernel f‴. The one other formula is
 * {@link FastSilu}, a vectorised float32 approximation of SiLU and its derivative, kept for speed.
 *
 * <p>Smooth activations (SiLU, tanh, softplus, ELU) suit samplers, which follow input gradients.
 */
public enum Activation {

    /** x·σ(x). */
    SILU(Tensor::silu) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double v = z[i];
                double s = t[i];
                double s1 = s * (1 - s);          // σ′
                double s2 = s1 * (1 - 2 * s);     // σ″
                f[i] = v * s;
                d1[i] = s + v * s1;
                if (d2 != null) {
                    d2[i] = 2 * s1 + v * s2;
                }
                if (d3 != null) {
                    double s3 = s1 * (1 - 6 * s + 6 * s * s);   // σ‴
                    d3[i] = 3 * s2 + v * s3;
                }
            }
        }
    },

    /** tanh x. */
    TANH(Tensor::tanh) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double s = t[i];
                double g = 1 - s * s;
                f[i] = s;
                d1[i] = g;
                if (d2 != null) {
                    d2[i] = -2 * s * g;
                }
                if (d3 != null) {
                    d3[i] = g * (6 * s * s - 2);
                }
            }
        }
    },

    /** max(x, 0); derivative 0 at 0. */
    RELU(Tensor::relu) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double v = z[i];
                f[i] = v > 0 ? v : 0;
                d1[i] = v > 0 ? 1 : 0;
                if (d2 != null) {
                    d2[i] = 0;
                }
                if (d3 != null) {
                    d3[i] = 0;
                }
            }
        }
    },

    /** x for x > 0, eˣ − 1 otherwise. */
    ELU(Tensor::elu) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double v = z[i];
                double e = v > 0 ? 1 : Math.exp(v);
                f[i] = v > 0 ? v : e - 1;
                d1[i] = e;
                if (d2 != null) {
                    d2[i] = v > 0 ? 0 : e;
                }
                if (d3 != null) {
                    d3[i] = v > 0 ? 0 : e;
                }
            }
        }
    },

    /** log(1 + eˣ). */
    SOFTPLUS(Tensor::softplus) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double v = z[i];
                double s = t[i];
                double s1 = s * (1 - s);
                f[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
                d1[i] = s;
                if (d2 != null) {
                    d2[i] = s1;
                }
                if (d3 != null) {
                    d3[i] = s1 * (1 - 2 * s);
                }
            }
        }
    },

    /** σ(x). */
    SIGMOID(Tensor::sigmoid) {
        @Override
        void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3) {
            for (int i = 0; i < len; i++) {
                double s = t[i];
                double s1 = s * (1 - s);
                f[i] = s;
                d1[i] = s1;
                if (d2 != null) {
                    d2[i] = s1 * (1 - 2 * s);
                }
                if (d3 != null) {
                    d3[i] = s1 * (1 - 6 * s + 6 * s * s);
                }
            }
        }
    };

    private final UnaryOperator<Tensor> recorded;

    Activation(UnaryOperator<Tensor> recorded) {
        this.recorded = recorded;
    }

    /** The activation as recorded tensor operations. */
    public Tensor apply(Tensor z) {
        return recorded.apply(z);
    }

    /**
     * The transcendental part of the table, {@code t} = tanh z for TANH and σ(z) for the others, by
     * one vectorised ND4J op; {@link #derivatives} then evaluates no exponential except for ELU and
     * softplus values. {@code t} is a preallocated array of z's shape and type.
     */
    void transcendental(INDArray z, INDArray t) {
        if (this == TANH) {
            Nd4j.exec(new Tanh(z, t));
        } else {
            Nd4j.exec(new Sigmoid(z, t));
        }
    }

    /**
     * The table: f = act(z), d1 = act′(z), d2 = act″(z) and d3 = act‴(z) for the first {@code len}
     * elements, given {@code t} from {@link #transcendental}. {@code d2} and {@code d3} may be null
     * when the caller needs fewer orders (the check is loop-invariant, so the JIT hoists it). Each
     * element is read before it is written, so {@code f} may be {@code z} and {@code d1} may be
     * {@code t}.
     */
    abstract void derivatives(int len, double[] z, double[] t, double[] f, double[] d1, double[] d2, double[] d3);
}
