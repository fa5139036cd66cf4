package io.streamebm.energy.residual;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.fused.FusedEnergyTerms;
import io.streamebm.energy.fused.FusedInputGradientTerms;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.energy.fused.FusedResult.ParameterGradient;
import io.streamebm.internal.HostArrays;
import io.streamebm.energy.fused.RowBlocks;
import io.streamebm.energy.fused.RowTerms;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused kernels of {@link ResidualMlpEnergy}, written for clarity rather than speed: one row at
 * a time in plain Java, with the forward pass, the input gradient and both backward passes spelled
 * out (hand-derived, and checked against autograd and finite differences by the test). Rows are
 * split by {@link RowBlocks#run}, as the capabilities' contract asks.
 *
 * <p>Per row: z₁ = xW₁ + b₁, h = tanh z₁, z₂ = hW₂ + b₂, g = tanh z₂, h₂ = h + g, E = h₂·w₃ + b₃.
 */
final class ResidualMlpKernels implements FusedEnergyTerms, FusedInputGradientTerms {

    private final ResidualMlpEnergy model;
    private final AtomicLong calls = new AtomicLong();

    ResidualMlpKernels(ResidualMlpEnergy model) {
        this.model = model;
    }

    /** How many times a loss has called a kernel. */
    long calls() {
        return calls.get();
    }

    /** The parameters as Java arrays, row-major, read once per evaluation and shared by the blocks. */
    private record Weights(int d, int h, double[] w1, double[] b1, double[] w2, double[] b2, double[] w3, double b3) {
    }

    private Weights weights() {
        return new Weights(model.dimension(), (int) model.b1.value().length(), HostArrays.toDoubles(model.w1.value()),
                HostArrays.toDoubles(model.b1.value()), HostArrays.toDoubles(model.w2.value()),
                HostArrays.toDoubles(model.b2.value()), HostArrays.toDoubles(model.w3.value()),
                model.b3.value().getDouble(0));
    }

    /** One row's forward pass: h, g, h₂ and E. */
    private static final class Row {
        final double[] h;
        final double[] g;
        double energy;

        Row(Weights p, double[] x, int offset) {
            h = new double[p.h()];
            g = new double[p.h()];
            for (int j = 0; j < p.h(); j++) {
                double z1 = p.b1()[j];
                for (int a = 0; a < p.d(); a++) {
                    z1 += x[offset + a] * p.w1()[a * p.h() + j];
                }
                h[j] = Math.tanh(z1);
            }
            energy = p.b3();
            for (int k = 0; k < p.h(); k++) {
                double z2 = p.b2()[k];
                for (int j = 0; j < p.h(); j++) {
                    z2 += h[j] * p.w2()[j * p.h() + k];
                }
                g[k] = Math.tanh(z2);
                energy += (h[k] + g[k]) * p.w3()[k];
            }
        }
    }

    /** ∂loss/∂parameter, accumulated over rows. */
    private static final class Gradients {
        final double[] w1;
        final double[] b1;
        final double[] w2;
        final double[] b2;
        final double[] w3;
        final double[] b3 = new double[1];

        Gradients(Weights p) {
            w1 = new double[p.d() * p.h()];
            b1 = new double[p.h()];
            w2 = new double[p.h() * p.h()];
            b2 = new double[p.h()];
            w3 = new double[p.h()];
        }

        /** Adds the gradient of a pre-activation: dW += inputᵀ z̄, db += z̄. */
        static void layer(double[] input, int offset, int in, double[] zBar, double[] dW, double[] db) {
            for (int a = 0; a < in; a++) {
                for (int j = 0; j < zBar.length; j++) {
                    dW[a * zBar.length + j] += input[offset + a] * zBar[j];
                }
            }
            for (int j = 0; j < zBar.length; j++) {
                db[j] += zBar[j];
            }
        }

        Map<String, ParameterGradient> named(ResidualMlpEnergy m) {
            Map<String, ParameterGradient> out = new LinkedHashMap<>();
            double[][] values = {w1, b1, w2, b2, w3, b3};
            Tensor[] params = {m.w1, m.b1, m.w2, m.b2, m.w3, m.b3};
            for (int i = 0; i < params.length; i++) {
                INDArray g = HostArrays.create(values[i], DataType.DOUBLE, params[i].value().shape());
                out.put(ResidualMlpEnergy.NAMES[i], new ParameterGradient(params[i], g));
            }
            return out;
        }
    }

    @Override
    public FusedResult energyTerms(int n, RowBlocks.Rows rows, RowTerms terms) {
        calls.incrementAndGet();
        Weights p = weights();
        return RowBlocks.run(n, rows, (slot, block, first) -> {
            double[] x = HostArrays.toDoubles(block);
            int m = (int) block.rows();
            Row[] forward = new Row[m];
            double[] energies = new double[m];
            for (int i = 0; i < m; i++) {
                forward[i] = new Row(p, x, i * p.d());
                energies[i] = forward[i].energy;
            }
            double[] slopes = new double[m];
            double value = terms.apply(first, energies, slopes);
            Gradients grad = new Gradients(p);
            for (int i = 0; i < m; i++) {
                backwardEnergy(p, x, i * p.d(), forward[i], slopes[i], grad);
            }
            return new FusedResult(value, energies, grad.named(model));
        });
    }

    /** Adds c·∂E/∂θ of one row. */
    private static void backwardEnergy(Weights p, double[] x, int offset, Row r, double c, Gradients grad) {
        int h = p.h();
        double[] z2Bar = new double[h];
        double[] z1Bar = new double[h];
        for (int k = 0; k < h; k++) {
            grad.w3[k] += c * (r.h[k] + r.g[k]);
            z2Bar[k] = c * p.w3()[k] * (1 - r.g[k] * r.g[k]);
        }
        grad.b3[0] += c;
        Gradients.layer(r.h, 0, h, z2Bar, grad.w2, grad.b2);
        for (int j = 0; j < h; j++) {
            // h feeds E directly (the skip) and through z₂.
            double hBar = c * p.w3()[j];
            for (int k = 0; k < h; k++) {
                hBar += p.w2()[j * h + k] * z2Bar[k];
            }
            z1Bar[j] = hBar * (1 - r.h[j] * r.h[j]);
        }
        Gradients.layer(x, offset, p.d(), z1Bar, grad.w1, grad.b1);
    }

    @Override
    public FusedResult inputGradientTerms(INDArray x, RowTerms terms) {
        calls.incrementAndGet();
        Weights p = weights();
        int d = p.d();
        int h = p.h();
        return RowBlocks.run((int) x.rows(), RowBlocks.Rows.of(x), (slot, block, first) -> {
            double[] xs = HostArrays.toDoubles(block);
            int m = (int) block.rows();
            Row[] forward = new Row[m];
            double[] energies = new double[m];
            double[] inputGradients = new double[m * d];
            for (int i = 0; i < m; i++) {
                forward[i] = new Row(p, xs, i * d);
                energies[i] = forward[i].energy;
                double[] p1 = p1(p, forward[i], q(p, forward[i], p2(p, forward[i])));
                for (int a = 0; a < d; a++) {
                    for (int j = 0; j < h; j++) {
                        inputGradients[i * d + a] += p.w1()[a * h + j] * p1[j];
                    }
                }
            }
            double[] slopes = new double[m * d];
            double value = terms.apply(first, inputGradients, slopes);
            Gradients grad = new Gradients(p);
            for (int i = 0; i < m; i++) {
                backwardInputGradient(p, xs, i * d, forward[i], slopes, grad);
            }
            return new FusedResult(value, energies, grad.named(model));
        });
    }

    // ∇ₓE = W₁ p₁ with p₂ = w₃ ∘ g′, q = w₃ + W₂ p₂ (= ∂E/∂h), p₁ = q ∘ h′ (= ∂E/∂z₁).

    private static double[] p2(Weights p, Row r) {
        double[] out = new double[p.h()];
        for (int k = 0; k < p.h(); k++) {
            out[k] = p.w3()[k] * (1 - r.g[k] * r.g[k]);
        }
        return out;
    }

    private static double[] q(Weights p, Row r, double[] p2) {
        double[] out = new double[p.h()];
        for (int j = 0; j < p.h(); j++) {
            out[j] = p.w3()[j];
            for (int k = 0; k < p.h(); k++) {
                out[j] += p.w2()[j * p.h() + k] * p2[k];
            }
        }
        return out;
    }

    private static double[] p1(Weights p, Row r, double[] q) {
        double[] out = new double[p.h()];
        for (int j = 0; j < p.h(); j++) {
            out[j] = q[j] * (1 - r.h[j] * r.h[j]);
        }
        return out;
    }

    /** Adds ∂(rᵀ∇ₓE)/∂θ of one row, r being its slopes: reverse mode through the input-gradient pass. */
    private static void backwardInputGradient(Weights p, double[] x, int offset, Row r, double[] slopes,
            Gradients grad) {
        int d = p.d();
        int h = p.h();
        double[] p2 = p2(p, r);
        double[] q = q(p, r, p2);
        double[] p1 = p1(p, r, q);
        // ∇ₓE = W₁p₁: W̄₁ += r p₁ᵀ, p̄₁ = W₁ᵀ r.
        double[] qBar = new double[h];
        double[] hBar = new double[h];
        for (int j = 0; j < h; j++) {
            double p1Bar = 0;
            for (int a = 0; a < d; a++) {
                grad.w1[a * h + j] += slopes[offset + a] * p1[j];
                p1Bar += p.w1()[a * h + j] * slopes[offset + a];
            }
            double hp = 1 - r.h[j] * r.h[j];
            qBar[j] = p1Bar * hp;
            hBar[j] = p1Bar * q[j] * -2 * r.h[j];   // through h′ = 1 − h²
        }
        // q = w₃ + W₂p₂ and p₂ = w₃ ∘ g′, g′ = 1 − g²: down to z̄₂.
        double[] z2Bar = new double[h];
        for (int k = 0; k < h; k++) {
            double p2Bar = 0;
            for (int j = 0; j < h; j++) {
                grad.w2[j * h + k] += qBar[j] * p2[k];
                p2Bar += p.w2()[j * h + k] * qBar[j];
            }
            double gp = 1 - r.g[k] * r.g[k];
            grad.w3[k] += qBar[k] + p2Bar * gp;
            z2Bar[k] = p2Bar * p.w3()[k] * -2 * r.g[k] * gp;
        }
        Gradients.layer(r.h, 0, h, z2Bar, grad.w2, grad.b2);
        double[] z1Bar = new double[h];
        for (int j = 0; j < h; j++) {
            for (int k = 0; k < h; k++) {
                hBar[j] += p.w2()[j * h + k] * z2Bar[k];
            }
            z1Bar[j] = hBar[j] * (1 - r.h[j] * r.h[j]);
        }
        Gradients.layer(x, offset, d, z1Bar, grad.w1, grad.b1);
    }
}
