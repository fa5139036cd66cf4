package io.streamebm.losses;

import io.streamebm.autograd.Autograd;
import io.streamebm.autograd.Tensor;
import io.streamebm.core.EnergyFunction;
import io.streamebm.core.RandomSource;
import io.streamebm.core.Stateful;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
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
 * {@code nProjections} times on {@code [n, d]}. For an {@link io.streamebm.core.MlpEnergy} the
 * loss and its gradient come from a fused kernel (second-order forward mode along v) instead of
 * the recorded graph. State key {@code "random"}.
 */
public final class SlicedScoreMatchingLoss implements Loss, Stateful {

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
    private LossDiagnostics diagnostics = LossDiagnostics.NONE;
    private MlpScoreKernel kernel;

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
        kernel = MlpScoreKernel.forModel(model, kernel);
        if (kernel != null) {
            MlpScoreKernel.Result r = kernel.evaluate(xv, vv, 1.0 / rows);
            diagnostics = new LossDiagnostics(LossSupport.mean(r.energies(), 0, (int) n), Double.NaN, Double.NaN,
                    Double.NaN, 0);
            return MlpKernel.surrogate(r.value(), kernel.model().parameters(), r.grads());
        }
        INDArray xr = nProjections == 1 ? xv : Nd4j.tile(xv, nProjections, 1);
        Tensor x = Tensor.variable(xr);
        Tensor v = Tensor.constant(vv);
        Tensor e = model.energy(x);
        Tensor g = Autograd.grad(e, x, true);
        Tensor gv = g.mul(v).sum(1);
        Tensor hv = Autograd.grad(gv, x, true);
        Tensor loss = gv.square().sum().mul(0.5).sub(hv.mul(v).sum()).mul(1.0 / rows);
        double[] ev = LossSupport.values(e.value());
        diagnostics = new LossDiagnostics(LossSupport.mean(ev, 0, (int) n), Double.NaN, Double.NaN, Double.NaN, 0);
        return loss;
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

    @Override
    public LossDiagnostics lastDiagnostics() {
        return diagnostics;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(LossSupport.KEY_RANDOM, LossSupport.exportRandom(random));
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        random.restore(LossSupport.readRandom(NAME, state));
    }
}
