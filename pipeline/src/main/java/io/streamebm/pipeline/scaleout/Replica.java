package io.streamebm.pipeline.scaleout;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One member's side of training a {@link GroupModel}: it remembers where its replica stood when it
 * last published or took in the group's model, so that it can tell its own updates since then
 * from everybody else's.
 *
 * <p>Between syncs the member trains its replica on its own partitions. At a sync,
 * {@link #publish} moves its updates since the last publish, weighted, into its contribution, and
 * {@link #merge} then sets the replica to the group's model: the initial model plus every
 * contribution, its own weighted updates included, plus whatever it trained after publishing.
 * The optimizer's moments and the persistent chains are the member's own and are not touched: they follow their member's data, and the next steps adapt them
 * to the merged parameters.
 *
 * <p>With an outer momentum β &gt; 0 (heavy-ball momentum on the group's update, local SGD's
 * "outer optimizer"), what a publish adds is not the weighted update w·δ but the member's momentum
 * buffer u := β·u + w·δ. The buffers are linear in the updates, so the members' buffers sum to the
 * group's: with every member publishing once per round, the group's model moves by
 * U := β·U + (the round's average update), and no buffer needs to go on the topic. The buffer is
 * the member's own state, like its optimizer's moments: a member that starts again begins with an
 * empty one, which only slows the group's next rounds a little.
 *
 * <p>Not thread-safe: the trainer thread owns it.
 */
public final class Replica {

    private final String member;
    /** The member's share of the group's momentum: what its last publish added. Null until then. */
    private Map<String, INDArray> velocity;
    private Contribution own;
    /**
     * Where the replica stood when it last published or merged: its updates since then are
     * {@code current - base}, not yet published.
     */
    private Map<String, INDArray> base;

    /**
     * Joins {@code group} as {@code member}, continuing that member's contribution if it published
     * one (a restart); the replica's parameters should then be {@link #known()}.
     */
    public Replica(String member, GroupModel group) {
        this.member = Objects.requireNonNull(member, "member");
        this.base = group.parameters();
        this.own = group.of(member).orElseGet(() -> Contribution.none(member, base));
    }

    /** The group's parameters as this member last took them in (copies): where its replica starts after joining. */
    public Map<String, INDArray> known() {
        return GroupModel.copy(base);
    }

    /** This member's contribution as last published. */
    public Contribution contribution() {
        return own;
    }

    /**
     * Moves the replica's updates since the last publish into this member's contribution, weighted
     * by {@code weight} (and through the momentum buffer, if any); the replica keeps what was added
     * too once it {@link #merge}s.
     *
     * @param current         the replica's parameters now
     * @param newRecords      records counted since the last publish
     * @param weight          the share of this update in the group's model: 1 for a plain sum;
     *                        for the records-weighted average, {@code newRecords} over the records
     *                        of the group they are averaged with ({@link MergeRule#weight})
     * @param round           the sync round of this publication (0: syncing without rounds)
     * @param nowMillis       the time of publication
     * @return the contribution to publish (and to offer to the group model)
     */
    public Contribution publish(Map<String, INDArray> current, long newRecords, double weight, long round,
            long nowMillis) {
        return publish(current, newRecords, weight, 0, round, nowMillis);
    }

    /**
     * {@link #publish(Map, long, double, long, long)} through the member's momentum buffer: adds
     * u := momentum·u + weight·(current − base) instead of the weighted update alone.
     *
     * @param momentum β in [0, 1); 0 adds the weighted update alone (and the buffer becomes it)
     */
    public Contribution publish(Map<String, INDArray> current, long newRecords, double weight, double momentum,
            long round, long nowMillis) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (newRecords < 0) {
            throw new IllegalArgumentException("newRecords must be >= 0, got " + newRecords);
        }
        if (!(weight > 0 && weight <= 1)) {
            throw new IllegalArgumentException("weight must be in (0, 1], got " + weight);
        }
        Map<String, INDArray> added = new LinkedHashMap<>();
        own.updates().forEach((name, a) -> {
            INDArray step = current.get(name).sub(base.get(name)).muli(weight);
            added.put(name, velocity == null || momentum == 0 ? step : step.addi(velocity.get(name).mul(momentum)));
        });
        velocity = added;
        Map<String, INDArray> sum = new LinkedHashMap<>();
        own.updates().forEach((name, a) -> sum.put(name, a.add(added.get(name))));
        own = new Contribution(member, own.records() + newRecords, own.snapshotVersion(), sum, newRecords, nowMillis,
                round);
        base = GroupModel.copy(current);
        return own;
    }

    /**
     * Records that this member published snapshot {@code version} of the group's model, so that
     * its next contribution tells the group (the next snapshot must be newer, whoever publishes it).
     *
     * @return the contribution to publish
     */
    public Contribution publishedSnapshot(long version) {
        own = new Contribution(member, own.records(), Math.max(own.snapshotVersion(), version), own.updates(),
                own.lastRecords(), own.publishedAtMillis(), own.round());
        return own;
    }

    /**
     * Takes this member out of the sync rounds until it publishes again ({@link SyncRounds}): the
     * others stop waiting for it. For a member that has nothing to publish (its partitions are
     * quiet) or stops; what it published stays in the group's model.
     *
     * @return the contribution to publish
     */
    public Contribution withdraw() {
        velocity = null; // momentum from before a pause would push the group in a stale direction
        own = new Contribution(member, own.records(), own.snapshotVersion(), own.updates(), own.lastRecords(),
                own.publishedAtMillis(), 0);
        return own;
    }

    /**
     * The replica's parameters once it takes in the group's model: the group's model plus this
     * member's updates not yet published (none right after {@link #publish}, so the replica then
     * is the group's model, its own update weighted like everybody's). Remembers the group's
     * model for the next sync.
     */
    public Map<String, INDArray> merge(Map<String, INDArray> current, GroupModel group) {
        Map<String, INDArray> now = group.parameters();
        Map<String, INDArray> out = new LinkedHashMap<>();
        current.forEach((name, a) -> out.put(name, now.get(name).add(a.sub(base.get(name)))));
        base = now;
        return out;
    }
}
