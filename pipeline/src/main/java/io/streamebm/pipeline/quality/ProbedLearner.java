package io.streamebm.pipeline.quality;

import io.streamebm.pipeline.train.Learner;
import io.streamebm.telemetry.StepRecord;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link Learner} that hands the input of every update to a {@link QualityProbe}: the trainer
 * drives it like the learner it wraps, so probing needs no change to the trainer.
 */
public final class ProbedLearner implements Learner {

    private final Learner delegate;
    private final QualityProbe probe;
    private final java.util.function.LongSupplier stepOfUpdate;

    /**
     * Wraps {@code delegate}; {@code probe} sees each batch after its update.
     *
     * @param stepOfUpdate the trainer step number an update in progress will get (for the measurements)
     */
    public ProbedLearner(Learner delegate, QualityProbe probe, java.util.function.LongSupplier stepOfUpdate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.stepOfUpdate = Objects.requireNonNull(stepOfUpdate, "stepOfUpdate");
    }

    @Override
    public StepRecord update(INDArray batch) {
        StepRecord u = delegate.update(batch);
        probe.afterUpdate(stepOfUpdate.getAsLong(), batch);
        return u;
    }

    @Override
    public INDArray energies(INDArray batch) {
        return delegate.energies(batch);
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    @Override
    public Map<String, String> architecture() {
        return delegate.architecture();
    }

    @Override
    public void scaleLearningRate(double factor) {
        delegate.scaleLearningRate(factor);
    }

    @Override
    public void reinitialiseChains(INDArray recentData) {
        delegate.reinitialiseChains(recentData);
    }

    @Override
    public Map<String, INDArray> modelState() {
        return delegate.modelState();
    }

    @Override
    public void loadModelState(Map<String, INDArray> parameters) {
        delegate.loadModelState(parameters);
    }

    @Override
    public Map<String, INDArray> exportState() {
        return delegate.exportState();
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        delegate.importState(state);
    }
}
