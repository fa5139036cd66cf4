package io.streamebm.core;

import io.streamebm.autograd.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.strict.ELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftPlus;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Hidden-layer activations of {@link MlpEnergy}, each with its autograd form and an in-place
 * kernel that produces the value and the derivative together for fused input gradients. Smooth
 * ones (SiLU, tanh, softplus, ELU) suit samplers, which follow input gradients.
 */
public enum Activation {
    /** x·σ(x). */
    SILU,
    /** tanh x. */
    TANH,
    /** max(x, 0); derivative 0 at 0. */
    RELU,
    /** x for x > 0, eˣ − 1 otherwise. */
    ELU,
    /** log(1 + eˣ). */
    SOFTPLUS,
    /** σ(x). */
    SIGMOID;

    /** The activation as recorded tensor operations. */
    public Tensor apply(Tensor z) {
        switch (this) {
            case SILU:
                return z.silu();
            case TANH:
                return z.tanh();
            case RELU:
                return z.relu();
            case ELU:
                return z.elu();
            case SOFTPLUS:
                return z.softplus();
            case SIGMOID:
                return z.sigmoid();
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * Writes act(z) into {@code a} and act′(z) into {@code deriv}; {@code z} may be overwritten
     * (it serves as scratch). All three are preallocated {@code [n, h]} C-order arrays. SiLU in
     * float32 takes a vectorised Java path accurate to 2.5e-7 in σ (see {@code FastSilu}).
     */
    public void applyWithDerivative(INDArray z, INDArray a, INDArray deriv) {
        switch (this) {
            case SILU:
                if (FastSilu.applies(z, a, deriv)) {
                    FastSilu.siluWithDerivative(z, a, deriv);
                    break;
                }
                // σ via the stable sigmoid op: ND4J's SwishDerivative evaluates eˣ(x+eˣ+1)/(eˣ+1)²,
                // which is NaN once eˣ overflows. silu′ = s + a(1 − s) with s = σ(z), a = z·s.
                Nd4j.exec(new Sigmoid(z, deriv));
                z.mul(deriv, a);
                a.mul(deriv, z);
                a.sub(z, z);
                deriv.addi(z);
                break;
            case TANH:
                Nd4j.exec(new Tanh(z, a));
                a.mul(a, deriv);
                deriv.rsubi(1.0);
                break;
            case RELU:
                Nd4j.exec(new RectifiedLinear(z, a, 0.0));
                Nd4j.exec(new Step(z, deriv));
                break;
            case ELU:
                Nd4j.exec(new ELU(z, a));
                // elu′ = eˣ = a + 1 for x ≤ 0 and 1 for x > 0, i.e. min(a + 1, 1).
                a.add(1.0, deriv);
                Transforms.min(deriv, 1.0, false);
                break;
            case SOFTPLUS:
                Nd4j.exec(new SoftPlus(z, a));
                Nd4j.exec(new Sigmoid(z, deriv));
                break;
            case SIGMOID:
                Nd4j.exec(new Sigmoid(z, a));
                a.mul(a, deriv);
                a.sub(deriv, deriv);
                break;
            default:
                throw new AssertionError(this);
        }
    }
}
