package io.streamebm.runtime;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A component whose state must survive a restart exactly: optimizers (moments, step count), losses
 * with persistent chains or a learned normalizer, and random sources.
 *
 * <p>Contract: {@link #exportState()} returns copies, keyed by stable names; feeding them to
 * {@link #importState} of a component built with the same configuration makes it continue exactly
 * as the original would have, bit for bit. Checkpoints store these arrays by name, so names must
 * not change between versions without a migration. A state that does not fit (a missing key, a
 * wrong shape) is refused with an exception naming it, and leaves the component unchanged.
 */
public interface Stateful {

    /** Copies of the state arrays, by name. */
    Map<String, INDArray> exportState();

    /** Restores a state produced by {@link #exportState()} of an equally configured component. */
    void importState(Map<String, INDArray> state);
}
