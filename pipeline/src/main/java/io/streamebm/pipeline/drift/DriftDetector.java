package io.streamebm.pipeline.drift;

import java.util.Optional;

/**
 * Watches a stream of numbers for a change in their mean. The trainer feeds it the energies of
 * the arriving records under the model as it was before it trained on them: when the stream
 * itself changes, those energies move before the model catches up.
 *
 * <p>One thread adds values; implementations need not be thread-safe.
 */
public interface DriftDetector {

    /**
     * Adds the next value.
     *
     * @return the change this value completed, if it did; the detector has then forgotten what came
     *         before the change and goes on from the values after it
     */
    Optional<Drift> add(double value);

    /** How many of the latest values the detector compares now. */
    long window();

    /** The detector and its parameters, for logs and events, such as {@code adwin(delta=0.002, ...)}. */
    String describe();
}
