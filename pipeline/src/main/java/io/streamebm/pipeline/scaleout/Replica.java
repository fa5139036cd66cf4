package io.streamebm.pipeline.scaleout;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One member's side of training a {@link GroupModel}: it remembers the group's parameters as it
 * last took them in, so that it can tell its own updates since then from everybody else's.
 *
 * <p>Between syncs the member trains its replica on its own partitions. At a sync,
 * {@link #publish} moves its updates since the last publish into its contribution, and
 * {@link #merge} adds what the others published meanwhile; the member's own unpublished updates
 * stay in its replica either way. The optimizer's moments and the persistent chains are the
 * member's own and are not touched: they follow their member's data, and the next steps adapt them
 * to the merged parameters.
 *
 * <p>Not thread-safe: the trainer thread owns it.
 */
public final class Replica {

    private final String member;
    private Contribution own;
    /** The group's parameters as this member last took them in, its own publications included. */
    private Map<String, INDArray> known;

    /**
     * Joins {@code group} as {@code member}, continuing that member's contribution if it published
     * one (a restart); the replica's parameters should then be {@link #known()}.
     */
    public Replica(String member, GroupModel group) {
        this.member = Objects.requireNonNull(member, "member");
        this.known = group.parameters();
        this.own = group.of(member).orElseGet(() -> Contribution.none(member, known));
    }

    /** The group's parameters as this member last took them in (copies). */
    public Map<String, INDArray> known() {
        return GroupModel.copy(known);
    }

    /** This member's contribution as last published. */
    public Contribution contribution() {
        return own;
    }

    /**
     * Moves the replica's updates since the last publish into this member's contribution.
     *
     * @param current         the replica's parameters now
     * @param newRecords      records counted since the last publish
     * @param snapshotVersion the newest snapshot version this member has published
     * @return the contribution to publish (and to offer to the group model)
     */
    public Contribution publish(Map<String, INDArray> current, long newRecords, long snapshotVersion) {
        if (newRecords < 0) {
            throw new IllegalArgumentException("newRecords must be >= 0, got " + newRecords);
        }
        Map<String, INDArray> sum = new LinkedHashMap<>();
        own.updates().forEach((name, a) -> sum.put(name, a.add(current.get(name).sub(known.get(name)))));
        own = new Contribution(member, own.records() + newRecords, Math.max(own.snapshotVersion(), snapshotVersion), sum);
        known = GroupModel.copy(current);
        return own;
    }

    /**
     * Records that this member published snapshot {@code version} of the group's model, so that
     * its next contribution tells the group (the next snapshot must be newer, whoever publishes it).
     *
     * @return the contribution to publish
     */
    public Contribution publishedSnapshot(long version) {
        own = new Contribution(member, own.records(), Math.max(own.snapshotVersion(), version), own.updates());
        return own;
    }

    /**
     * The replica's parameters once it takes in what the others published since its last merge:
     * {@code current} plus the change of the group's model, so that its own unpublished updates
     * stay. Remembers the group's model for the next sync.
     */
    public Map<String, INDArray> merge(Map<String, INDArray> current, GroupModel group) {
        Map<String, INDArray> now = group.parameters();
        Map<String, INDArray> out = new LinkedHashMap<>();
        current.forEach((name, a) -> out.put(name, a.add(now.get(name).sub(known.get(name)))));
        known = now;
        return out;
    }
}
