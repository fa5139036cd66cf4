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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sliced score matching (Song et al. 2019): score matching along random projections v, so that
 * only one Hessian-vector product is needed per projection whatever the dimension:
 * <pre>
 *   loss = mean over data and projections of [ ½(vᵀ∇ₓE)² − vᵀ∇ₓ(vᵀ∇ₓE) ]
 * </pre>
 * Projections have E[vvᵀ] = I: {@link Projection#RADEMACHER} (±1, the default and the
 * lowest-variance choice), {@link Projection#GAUSSIAN} (N(0, I)) or {@link Projection#SPHERE}
 * (uniform on the sphere of radius √d).
 *
 * <p>All projections of a batch are handled in one pass: the batch is repeated
 * {@code nProjections} times, so the model runs once on {@code [nProjections·n, d]} rather than
 * {@code nProjections} times on {@code [n, d]}. For an energy that offers
 * {@link FusedScoreMatchingTerms} (such as the MLP) the loss and its gradient come from its fused
 * kernel instead of the recorded graph; with Rademacher projections in low dimension
 * (2^(d−1) &lt; nProjections, so
 * d = 2 with 3 or more projections) it evaluates each distinct direction once, weighted by how
 * often it was drawn, which gives the same value and gradient. State key {@code "random"}.
 */
public final class SlicedScoreMatchingLoss extends RandomizedLoss {

    /** The distribution of the projection vectors. */
    public enum Projection {
        /** Independent ±1 entries. */
        RADEMACHER,
        /** Independent standard normal entries. */
        GAUSSIAN,
        /** Uniform on the sphere of radius √d. */
        SPHERE
    }

    private static final String NAME = "ssm";

    private final int nProjections;
    private final Projection projection;
    private final RandomSource random;

    /** Rademacher projections, seeded with 0. */
    public SlicedScoreMatchingLoss(int nProjections) {
        this(nProjections, Projection.RADEMACHER, new RandomSource(0));
    }

    /**
     * @param nProjections projections per data point, at least 1
     * @param projection   their distribution
     * @param random       the source they are drawn from
     */
    public SlicedScoreMatchingLoss(int nProjections, Projection projection, RandomSource random) {
        LossSupport.checkPositiveInt("nProjections", nProjections);
        this.nProjections = nProjections;
        this.projection = Objects.requireNonNull(projection, "projection");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Projections per data point. */
    public int nProjections() {
        return nProjections;
    }

    /** Their distribution. */
    public Projection projection() {
        return projection;
    }

    /** The random source of the projections. */
    @Override
    public RandomSource random() {
        return random;
    }

    @Override
    public Tensor apply(EnergyFunction model, INDArray data) {
        INDArray xv = LossSupport.checkData(NAME, model, data);
        long n = xv.rows();
        long d = xv.columns();
        long rows = n * nProjections;
        INDArray vv = projections(rows, d, xv.dataType());
        Optional<FusedScoreMatchingTerms> fused = model.fusedScoreMatchingTerms();
        if (fused.isPresent()) {
            FusedResult r = projection == Projection.RADEMACHER && d < 31 && (1L << (d - 1)) < nProjections
                    ? distinctRademacher(fused.get(), xv, vv, n, d)
                    : fused.get().scoreMatchingTerms(xv, vv, 1.0 / rows);
            record(LossSupport.dataOnly(r.energies(), (int) n), r.energies(), (int) n);
            return r.toLoss();
        }
        INDArray xr = nProjections == 1 ? xv : Nd4j.tile(xv, nProjections, 1);
        Tensor x = Tensor.variable(xr);
        Tensor v = Tensor.constant(vv);
        Tensor e = model.energy(x);
        Tensor g = Autograd.grad(e, x, true);
        Tensor gv = g.mul(v).sum(1);
        Tensor hv = Autograd.grad(gv, x, true);
        Tensor loss = gv.square().sum().mul(0.5).sub(hv.mul(v).sum()).mul(1.0 / rows);
        double[] ev = HostArrays.toDoubles(e.value());
        record(LossSupport.dataOnly(ev, (int) n), ev, (int) n);
        return loss;
    }

    /**
     * The same loss through the distinct Rademacher directions only. Both terms are even in v, so
     * v and −v contribute identically, and in d dimensions there are only 2^(d−1) directions up to
     * sign. When that is fewer than the projections drawn (d = 2 has two: (1, 1) and (1, −1)), each
     * data point's draws are counted per direction and the kernel evaluates every direction once,
     * weighted by its count: the same value and gradient as the m drawn projections, for a fraction
     * of the work. The draws themselves are unchanged, so the random stream is too.
     */
    private FusedResult distinctRademacher(FusedScoreMatchingTerms kernel, INDArray xv, INDArray vv, long n,
            long d) {
        int c = 1 << (d - 1);
        int ni = (int) n;
        int di = (int) d;
        double[] drawn = HostArrays.toDoubles(vv);
        double[] weights = new double[c * ni];
        double unit = 1.0 / ((double) n * nProjections);
        for (int p = 0; p < nProjections; p++) {
            for (int i = 0; i < ni; i++) {
                int off = (p * ni + i) * di;
                double flip = drawn[off] < 0 ? -1 : 1;
                int code = 0;
                for (int j = 1; j < di; j++) {
                    if (drawn[off + j] * flip > 0) {
                        code |= 1 << (j - 1);
                    }
                }
                weights[code * ni + i] += unit;
            }
        }
        double[] dirs = new double[c * ni * di];
        for (int code = 0; code < c; code++) {
            for (int i = 0; i < ni; i++) {
                int off = (code * ni + i) * di;
                dirs[off] = 1;
                for (int j = 1; j < di; j++) {
                    dirs[off + j] = (code >> (j - 1) & 1) == 1 ? 1 : -1;
                }
            }
        }
        INDArray directions = Nd4j.createFromArray(dirs).reshape('c', (long) c * ni, d).castTo(xv.dataType());
        return kernel.scoreMatchingTerms(xv, directions, weights);
    }

    private INDArray projections(long rows, long d, DataType type) {
        switch (projection) {
            case GAUSSIAN:
                return random.gaussian(type, rows, d);
            case SPHERE: {
                double[] buf = new double[(int) (rows * d)];
                for (int i = 0; i < rows; i++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        double z = random.nextGaussian();
                        buf[(int) (i * d + j)] = z;
                        s += z * z;
                    }
                    double scale = Math.sqrt(d / s);
                    for (int j = 0; j < d; j++) {
                        buf[(int) (i * d + j)] *= scale;
                    }
                }
                return Nd4j.createFromArray(buf).reshape('c', rows, d).castTo(type);
            }
            default:
                return rademacher(random, type, rows, d);
        }
    }

    /** A {@code [rows, d]} array of independent ±1. */
    static INDArray rademacher(RandomSource random, DataType type, long rows, long d) {
        double[] buf = new double[(int) (rows * d)];
        int i = 0;
        while (i < buf.length) {
            long bits = random.nextLong();
            for (int b = 0; b < 64 && i < buf.length; b++, i++) {
                buf[i] = ((bits >>> b) & 1) == 0 ? -1 : 1;
            }
        }
        return Nd4j.createFromArray(buf).reshape('c', rows, d).castTo(type);
    }

    /** The data's energies (the first copy of the rows the projections repeat). */
    @Override
    public Optional<DataEnergies> dataEnergies() {
        return offerDataEnergies();
    }

    @Override
    public String name() {
        return NAME;
    }
}
