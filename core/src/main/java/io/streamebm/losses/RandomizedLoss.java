package io.streamebm.losses;

import io.streamebm.runtime.RandomSource;
import io.streamebm.runtime.Stateful;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss whose only state is the random source it draws from (negatives, noise, projections):
 * {@link #exportState()} holds just that source, under the key {@code random}, so a restored loss
 * draws exactly what the original would have.
 */
public abstract class RandomizedLoss extends BaseLoss implements Stateful {

    /** The random source this loss draws from. */
    public abstract RandomSource random();

    @Override
    public Map<String, INDArray> exportState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(LossSupport.KEY_RANDOM, LossSupport.exportRandom(random()));
        return out;
    }

    @Override
    public void importState(Map<String, INDArray> state) {
        random().restore(LossSupport.readRandom(name(), state));
    }
}
