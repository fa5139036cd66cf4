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
     * {@code othersRecords} meanwhile and {@code unheard} more members are expected that have not
     * published anything yet. Each of those counts as if it had trained as much as this member:
     * without them the first member to publish in a new group would get weight 1, the second 1/2,
     * and so on, and the group's first round would move the model about ln N + 0.58 times one
     * member's update, far beyond what the members' chains follow (bench/RESULTS.md, Scale-out:
     * eight members never reached TV 0.35 that way, in one simulation of the pipeline's syncs).
     *
     * @param unheard members {@code scale-out.members} expects beyond those that weigh in: in sync
     *                rounds, those taking no part in the round ({@link SyncRounds#absent}); 0 when
     *                every expected member is there (syncs without rounds always pass 0)
     */
    public double weight(long ownRecords, long othersRecords, int unheard) {
        if (unheard < 0) {
            throw new IllegalArgumentException("unheard must be >= 0, got " + unheard);
        }
        double total = ownRecords + othersRecords + (double) unheard * ownRecords;
        if (this == SUM || total == 0) {
            return 1.0;
        }
        return ownRecords / total;
    }
}
