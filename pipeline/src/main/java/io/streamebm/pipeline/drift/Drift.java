package io.streamebm.pipeline.drift;

/**
 * A change in the mean of a watched stream, as a {@link DriftDetector} found it: the mean of the
 * values before the change and of those after it, and how many values each side held.
 *
 * @param meanBefore    mean of the values before the change (those the detector dropped)
 * @param meanAfter     mean of the values after it (those the detector keeps)
 * @param recordsBefore values before the change, at least 1
 * @param recordsAfter  values after the change, at least 1
 */
public record Drift(double meanBefore, double meanAfter, long recordsBefore, long recordsAfter) {

    /** Checks the counts. */
    public Drift {
        if (recordsBefore < 1 || recordsAfter < 1) {
            throw new IllegalArgumentException("both sides need values, got " + recordsBefore + " and " + recordsAfter);
        }
    }

    /** The size of the change: {@code meanAfter - meanBefore}, positive when the values rose. */
    public double change() {
        return meanAfter - meanBefore;
    }
}
