package io.streamebm.pipeline.train;

import io.streamebm.core.Stateful;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model side of online training: one update per micro-batch, and state that checkpoints can
 * save and restore exactly. {@link EbmLearner} is the real one; the trainer's own tests use simple
 * fakes.
 *
 * <p>Contract: {@link #update} either applies one update and returns what it measured, or throws
 * {@link RejectedUpdateException} and leaves the state as it was. {@link #exportState()} and
 * {@link #importState} round-trip everything that influences later updates, random state included.
 * Only the trainer thread calls a learner.
 */
public interface Learner extends Stateful {

    /** What one update measured. */
    record Update(double loss, double energyPositive, double energyNegative, double gradNorm, double paramNorm,
            double acceptanceRate, double chainEnergyMean, long samplingNanos) {
    }

    /** Applies one update on {@code batch} ({@code [n, d]}). */
    Update update(INDArray batch);

    /** Energies of a batch under the current model, without recording a graph ({@code [n]}). */
    INDArray energies(INDArray batch);

    /** The sample dimension d. */
    int dimension();

    /**
     * What shaped the model (type, dimension, widths, loss, ...): stored in checkpoints and
     * compared on restart, so that a checkpoint is never loaded into a different model.
     */
    Map<String, String> shape();

    /** Multiplies the learning rate by {@code factor} (a divergence reaction). */
    void scaleLearningRate(double factor);

    /** Restarts persistent chains, if the loss has any (a divergence reaction). */
    void reinitialiseChains();

    /** The model's parameters and their metadata, for snapshots and scoring. */
    Map<String, INDArray> modelState();
}
