package io.streamebm.pipeline.drift;

import java.util.Optional;

/**
 * Watches a stream of numbers for a change in their mean. The trainer feeds it the energies of
 * the arriving records under the model as it was before it trained on them: when the stream
 * itself changes, those energies move before the model catches up.
 *
 * <p><b>What to feed it.</b> Raw energies also move when the model learns: an energy-based model
 * has no fixed zero, and each update shifts the energies of every record a little. On a stationary
 * stream, a model learning from scratch (the {@code train} defaults) made ADWIN report 12 drifts in
 * 400,000 records, and 59 while it adapted after a real switch ({@code DriftOnTrainingHarness}).
 * Each energy minus the mean energy, under the same model, of the last 1,024 training records
 * cancels that common movement: 1 drift in the same 400,000 records (at record 671, while the
 * reference filled), the switch found 159 records after it, and 2 more drifts in the next 1,000
 * records while the energies fell back, then none.
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
