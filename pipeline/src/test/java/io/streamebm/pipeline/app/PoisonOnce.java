package io.streamebm.pipeline.app;

import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.Learner;
import io.streamebm.telemetry.StepRecord;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Corrupts the model with NaN before one update, as a diverging run would; otherwise delegates. */
final class PoisonOnce implements Learner {

    private final EbmLearner inner;
    private final int poisonAt;
    private int updates;

    /** Poisons {@code learner}'s first parameter right before its {@code poisonAt}-th update. */
    PoisonOnce(EbmLearner learner, int poisonAt) {
        this.inner = learner;
        this.poisonAt = poisonAt;
    }

    @Override
    public StepRecord update(INDArray batch) {
        if (++updates == poisonAt) {
            inner.model().parameters().get(0).value().putScalar(0, Double.NaN);
        }
        return inner.update(batch);
    }

    @Override
    public INDArray energies(INDArray batch) {
        return inner.energies(batch);
    }

    @Override
    public int dimension() {
        return inner.dimension();
    }

    @Override
    public Map<String, String> architecture() {
        return inner.architecture();
    }

    @Override
    public void scaleLearningRate(double factor) {
        inner.scaleLearningRate(factor);
    }

    @Override
    public void reinitialiseChains(INDArray recentData) {
        inner.reinitialiseChains(recentData);
    }

    @Override
    public Map<String, INDArray> modelState() {
        return inner.modelState();
    }

    @Override
    public void loadModelState(Map<String, INDArray> parameters) {
        inner.loadModelState(parameters);
    }

    @Override
    public Map<String, INDArray> exportState() {
        return inner.exportState();
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        inner.importState(state);
    }
}
