package io.streamebm.pipeline.scaleout;

/**
 * How a member's update enters the group's model at a sync ({@code scale-out.merge}), spelled
 * {@code average} and {@code sum} in configuration.
 */
public enum MergeRule {
    /**
     * The records-weighted average of the members' models (local SGD): an update is weighted by its
     * member's share of the records the group trained since the member's previous publication, 1
     * alone.
     */
    AVERAGE,
    /**
     * The plain sum: every update at full weight, as if the members' steps were made one after the
     * other. With PCD it fails: each member's chains never follow the others' updates, so the model
     * stays a ring with two members and diverges from four (bench/RESULTS.md, Scale-out). Kept for
     * comparison and for losses without persistent chains, which were not measured.
     */
    SUM;

    /**
     * The weight of an update of {@code ownRecords} records when the other members trained
     * {@code othersRecords} meanwhile.
     */
    public double weight(long ownRecords, long othersRecords) {
        if (this == SUM || ownRecords + othersRecords == 0) {
            return 1.0;
        }
        return (double) ownRecords / (ownRecords + othersRecords);
    }
}
