package io.streamebm.samplers;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.EnergyFunction;
import io.streamebm.energy.fused.FusedGradient;
import io.streamebm.internal.Inputs;
import io.streamebm.internal.Nd4jRuntime;
import io.streamebm.runtime.RandomSource;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The shared machinery of the samplers in this package: validation, copying, starting chains and
 * diagnostic traces. Subclasses implement {@link #steps} on a C-order, non-view chain matrix they
 * may modify freely, which lets them run plain Java loops over its buffer.
 */
public abstract class ChainSampler implements Sampler {

    static {
        Nd4jRuntime.ensureConfigured();
    }

    /** Seed used when no random source is given; two default samplers draw the same noise. */
    public static final long DEFAULT_SEED = 42L;

    /** The target energy. */
    protected final EnergyFunction model;
    /** Every random draw comes from here. */
    protected final RandomSource random;

    private double lastAcceptance = Double.NaN;
    /** Metropolis proposals and acceptances counted by the current call. */
    protected long proposals;
    /** Accepted proposals of the current call. */
    protected long accepted;

    private INDArray gradBuffer;

    /**
     * @param model  the target energy
     * @param random the random source; null for {@code new RandomSource(DEFAULT_SEED)}
     */
    protected ChainSampler(EnergyFunction model, RandomSource random) {
        if (model == null) {
            throw new IllegalArgumentException("model is null");
        }
        this.model = model;
        this.random = random == null ? new RandomSource(DEFAULT_SEED) : random;
    }

    @Override
    public final EnergyFunction model() {
        return model;
    }

    @Override
    public final RandomSource random() {
        return random;
    }

    @Override
    public final double lastAcceptanceRate() {
        return lastAcceptance;
    }

    @Override
    public final INDArray sample(INDArray x0, int nSteps) {
        checkSteps(nSteps);
        Inputs.requireBatch(x0, model.dimension(), "initial chains x0");
        INDArray chains = x0.dup('c');
        runSteps(chains, 0, nSteps);
        return chains;
    }

    @Override
    public final INDArray sample(int nChains, int dim, int nSteps) {
        return sample(initialChains(nChains, dim), nSteps);
    }

    @Override
    public final void advance(INDArray chains, int nSteps) {
        checkSteps(nSteps);
        Inputs.requireBatch(chains, model.dimension(), "chains");
        if (chains.ordering() == 'c' && !chains.isView()) {
            runSteps(chains, 0, nSteps);
        } else {
            INDArray work = chains.dup('c');
            runSteps(work, 0, nSteps);
            chains.assign(work);
        }
    }

    /**
     * Runs {@code nSteps} steps from a copy of {@code x0} and records the chains and their
     * statistics every {@code thin} steps.
     */
    public final SamplingTrace run(INDArray x0, int nSteps, int thin) {
        checkSteps(nSteps);
        if (thin < 1) {
            throw new IllegalArgumentException("thin must be >= 1, got " + thin);
        }
        Inputs.requireBatch(x0, model.dimension(), "initial chains x0");
        INDArray chains = x0.dup('c');
        int records = nSteps / thin;
        long[] steps = new long[records];
        List<INDArray> samples = new ArrayList<>(records);
        double[][] mean = new double[records][];
        double[][] variance = new double[records][];
        double[] energy = new double[records];
        double[] acceptance = new double[records];
        long totalProposals = 0;
        long totalAccepted = 0;
        int done = 0;
        for (int r = 0; r < records; r++) {
            runSteps(chains, done, thin);
            totalProposals += proposals;
            totalAccepted += accepted;
            done += thin;
            steps[r] = done;
            samples.add(chains.dup());
            mean[r] = chains.mean(0).castTo(DataType.DOUBLE).toDoubleVector();
            variance[r] = chains.var(false, 0).castTo(DataType.DOUBLE).toDoubleVector();
            energy[r] = model.energyValues(chains).meanNumber().doubleValue();
            acceptance[r] = lastAcceptance;
        }
        if (done < nSteps) {
            runSteps(chains, done, nSteps - done);
            totalProposals += proposals;
            totalAccepted += accepted;
        }
        lastAcceptance = totalProposals == 0 ? Double.NaN : (double) totalAccepted / totalProposals;
        return new SamplingTrace(steps, samples, mean, variance, energy, acceptance, chains);
    }

    private void runSteps(INDArray chains, long firstStep, int nSteps) {
        proposals = 0;
        accepted = 0;
        if (nSteps > 0) {
            steps(chains, firstStep, nSteps);
        }
        lastAcceptance = proposals == 0 ? Double.NaN : (double) accepted / proposals;
    }

    /**
     * Moves {@code chains} ({@code [n, d]}, C order, not a view, validated) by {@code nSteps}
     * steps in place. Steps are numbered from {@code firstStep} within the current call, for
     * schedules. Samplers with a Metropolis step add to {@link #proposals} and {@link #accepted}.
     */
    protected abstract void steps(INDArray chains, long firstStep, int nSteps);

    /** Standard-normal starting chains {@code [nChains, dim]} in the model's data type. */
    public INDArray initialChains(int nChains, int dim) {
        if (nChains < 1) {
            throw new IllegalArgumentException("nChains must be >= 1, got " + nChains);
        }
        if (dim < 1 || (model.dimension() > 0 && dim != model.dimension())) {
            throw new IllegalArgumentException("dim " + dim + " does not match the model's dimension "
                    + model.dimension());
        }
        return random.gaussian(modelType(model), nChains, dim);
    }

    /** The data type of the model's first parameter, FLOAT for energies without parameters. */
    public static DataType modelType(EnergyFunction model) {
        List<Tensor> params = model.parameters();
        return params.isEmpty() ? DataType.FLOAT : params.get(0).dataType();
    }

    /** ∇E(chains) into a reused buffer when the model supports it, else the model's new array. */
    protected final INDArray gradient(INDArray chains) {
        if (model instanceof FusedGradient fused
                && (chains.dataType() == modelType(model) || model.parameters().isEmpty())) {
            if (gradBuffer == null || gradBuffer.dataType() != chains.dataType()
                    || gradBuffer.size(0) != chains.size(0) || gradBuffer.size(1) != chains.size(1)) {
                gradBuffer = Nd4j.create(chains.dataType(), chains.size(0), chains.size(1));
            }
            fused.gradientInto(chains, gradBuffer);
            return gradBuffer;
        }
        INDArray g = model.gradient(chains);
        if (g.dataType() != chains.dataType()) {
            g = g.castTo(chains.dataType());
        }
        return g.ordering() == 'c' && !g.isView() ? g : g.dup('c');
    }

    private static void checkSteps(int nSteps) {
        if (nSteps < 0) {
            throw new IllegalArgumentException("nSteps must be >= 0, got " + nSteps);
        }
    }
}
