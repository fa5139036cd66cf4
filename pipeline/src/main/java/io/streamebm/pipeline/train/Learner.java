package io.streamebm.pipeline.train;

import io.streamebm.losses.DataEnergies;
import io.streamebm.losses.ProbeEnergies;
import io.streamebm.runtime.Stateful;
import io.streamebm.telemetry.StepRecord;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model side of online training: one update per micro-batch, and state that checkpoints can
 * save and restore exactly. {@link EbmLearner} is the real one; the trainer's own tests use simple
 * fakes.
 *
 * <p>Contract: {@link #update} either applies one update and returns what it measured, or throws
 * {@link RejectedUpdateException} and leaves the state as it was. {@link #exportState()} and
 * {@link #importState} round-trip everything that influences later updates, random state included.
 * Only the trainer thread calls a learner, and it trusts the batches it passes: the decoder has
 * checked their dimension and finiteness at the boundary.
 */
public interface Learner extends Stateful {

    /**
     * Applies one update on {@code batch} ({@code [n, d]}, finite) and returns what it measured:
     * a {@link StepRecord} the trainer then numbers and completes.
     */
    StepRecord update(INDArray batch);

    /** Energies of a batch under the current model, without recording a graph ({@code [n]}). */
    INDArray energies(INDArray batch);

    /**
     * The energies of each {@link #update}'s batch under the model before it, when the update
     * measures them anyway (the loss offers {@link DataEnergies}); empty when only a forward pass of
     * their own, {@link #energies}, can tell (the default). Read them only after an update that
     * returned. The answer is fixed for the learner's lifetime.
     */
    default Optional<DataEnergies> batchEnergies() {
        return Optional.empty();
    }

    /**
     * Rows each {@link #update} can measure under the model before it, at the marginal cost of
     * their rows in the update's own pass (the loss offers {@link ProbeEnergies}); empty when it
     * cannot (the default). The answer is fixed for the learner's lifetime.
     */
    default Optional<ProbeEnergies> probeEnergies() {
        return Optional.empty();
    }

    /** The sample dimension d. */
    int dimension();

    /**
     * The settings that make the model what it is (type, dimension, widths, loss, ...): stored in
     * checkpoints and snapshots and compared on restart, so that a checkpoint is never loaded into
     * a different model.
     */
    Map<String, String> architecture();

    /** Multiplies the learning rate by {@code factor} (a divergence reaction). */
    void scaleLearningRate(double factor);

    /**
     * Restarts the persistent chains, if the loss has any, where the loss restarts chains
     * ({@code loss.reinit-source}); restarts at the data take rows of {@code recentData}, a batch
     * of the stream (a divergence reaction).
     */
    void reinitialiseChains(INDArray recentData);

    /** The model's parameters and their metadata, for snapshots and scoring. */
    Map<String, INDArray> modelState();

    /**
     * Replaces the model's parameters with {@code parameters}, named as {@link #modelState()} names
     * them; the optimizer and the loss keep their state (scale-out: the group's merged model).
     */
    void loadModelState(Map<String, INDArray> parameters);
}
