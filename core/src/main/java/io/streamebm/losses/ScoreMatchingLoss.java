package io.streamebm.losses;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedResult;
import io.streamebm.energy.fused.FusedScoreMatchingTerms;
import io.streamebm.internal.HostArrays;
import io.streamebm.runtime.RandomSource;
import io.streamebm.telemetry.LossDiagnostics;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Score matching (Hyvärinen 2005), which fits the score −∇ₓE to the data without sampling and
 * without the normaliser:
 * <pre>
 *   loss = mean over the batch of [ ½‖∇ₓE(x)‖² − tr ∇²ₓE(x) ]
 * </pre>
 * By default the trace is exact: one extra differentiation of the input gradient per dimension
 * gives the Hessian diagonal (d + 1 backward passes, fine in low dimension). For an energy that
 * offers {@link FusedScoreMatchingTerms} (such as the MLP) the exact loss and its gradient come
 * from its fused kernel (along each coordinate direction) instead of the recorded graph. With
 * {@link #hutchinson(int, RandomSource)} the trace is estimated by Hutchinson's estimator
 * tr H ≈ mean over probes of vᵀHv with Rademacher probes v, which costs one Hessian-vector product
 * per probe whatever the dimension.
 *
 * <p>Diagnostics: the mean data energy (no negatives). State key {@code "random"} (the probes'
 * source; unused by the exact variant).
 */
public final class ScoreMatchingLoss extends RandomizedLoss {

    private static final String NAME = "sm";

    private final int probes;      // 0: exact trace
    private final RandomSource random;

    /** Exact score matching, through the Hessian diagonal. */
    public ScoreMatchingLoss() {
        this(0, new RandomSource(0));
    }

    private ScoreMatchingLoss(int probes, RandomSource random) {
        this.probes = probes;
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Score matching with the trace estimated by Hutchinson's estimator over {@code probes} Rademacher probes. */
    public static ScoreMatchingLoss hutchinson(int probes, RandomSource random) {
        LossSupport.checkPositiveInt("probes", probes);
        return new ScoreMatchingLoss(probes, random);
    }

    /** Whether the trace is exact (rather than Hutchinson's estimate). */
    public boolean isExact() {
        return probes == 0;
    }

    /** The number of Hutchinson probes, 0 for the exact trace. */
    public int probes() {
        return probes;
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray xv = LossSupport.checkData(NAME, model, data);
        long n = xv.rows();
        long d = xv.columns();
        Optional<FusedScoreMatchingTerms> fused = probes == 0 ? model.fusedScoreMatchingTerms() : Optional.empty();
        if (fused.isPresent()) {
            // Fused: Σⱼ [½(∂ⱼE)² − ∂²ⱼⱼE] through the basis directions, one block of rows per j.
            INDArray basis = Nd4j.zeros(xv.dataType(), n * d, d);
            for (long j = 0; j < d; j++) {
                basis.get(NDArrayIndex.interval(j * n, (j + 1) * n), NDArrayIndex.point(j)).assign(1.0);
            }
            FusedResult r = fused.get().scoreMatchingTerms(xv, basis, 1.0 / n);
            record(LossSupport.dataOnly(r.energies(), (int) n), r.energies(), (int) n);
            return r.toLoss();
        }
        Tensor x = Tensor.variable(xv);
        Tensor e = model.energy(x);
        Tensor g = Autograd.grad(e, x, true);
        Tensor trace;
        if (probes == 0) {
            trace = null;
            for (long j = 0; j < d; j++) {
                Tensor hj = Autograd.grad(g.column(j), x, true).column(j);
                trace = trace == null ? hj : trace.add(hj);
            }
            trace = trace.sum();
        } else {
            trace = null;
            for (int p = 0; p < probes; p++) {
                Tensor v = Tensor.constant(SlicedScoreMatchingLoss.rademacher(random, xv.dataType(), n, d));
                Tensor hv = Autograd.grad(g.mul(v).sum(), x, true);
                Tensor t = hv.mul(v).sum();
                trace = trace == null ? t : trace.add(t);
            }
            trace = trace.mul(1.0 / probes);
        }
        Tensor loss = g.square().sum().mul(0.5).sub(trace).mul(1.0 / n);
        double[] ev = HostArrays.toDoubles(e.value());
        record(LossSupport.dataOnly(ev, (int) n), ev, (int) n);
        return loss;
    }

    /** The data's energies, measured on the way to their derivatives. */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return offerDataEnergies();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The random source of the Hutchinson probes. */
    @Override
    public RandomSource random() {
        return random;
    }
}
