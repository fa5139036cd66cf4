package io.streamebm.pipeline.scaleout;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model a group of trainers trains together, as one member knows it: the initial parameters
 * (the same seed and shape give every member the same ones) plus the newest {@link Contribution}
 * of every member that ever published one.
 *
 * <p>A contribution is never left out for being old: it holds updates whose records the group has
 * counted and committed, so dropping it would un-learn them. A member that left for good keeps its
 * last contribution in the sum; a restarted member continues its own.
 *
 * <p>Not thread-safe: the trainer thread owns it.
 */
public final class GroupModel {

    private final Map<String, INDArray> initial;
    /** By member name, so that every member adds the contributions in the same order. */
    private final Map<String, Contribution> newest = new TreeMap<>();

    /** @param initial the parameters every member starts from, by name (copied) */
    public GroupModel(Map<String, INDArray> initial) {
        this.initial = copy(Objects.requireNonNull(initial, "initial"));
    }

    /**
     * Takes in a member's contribution; the params topic keeps them in publication order, so a
     * later one replaces the member's earlier one.
     *
     * @throws IllegalArgumentException if its parameters are not the model's
     */
    public void offer(Contribution c) {
        if (!c.updates().keySet().equals(initial.keySet())) {
            throw new IllegalArgumentException("the contribution of " + c.member() + " has parameters "
                    + c.updates().keySet() + " but the model has " + initial.keySet());
        }
        c.updates().forEach((name, a) -> {
            if (!java.util.Arrays.equals(a.shape(), initial.get(name).shape())) {
                throw new IllegalArgumentException("the contribution of " + c.member() + " has " + name + " of shape "
                        + java.util.Arrays.toString(a.shape()) + " but the model's is "
                        + java.util.Arrays.toString(initial.get(name).shape()));
            }
        });
        newest.put(c.member(), c);
    }

    /** The group's parameters: the initial ones plus every contribution (new arrays). */
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> out = copy(initial);
        for (Contribution c : newest.values()) {
            c.updates().forEach((name, a) -> out.get(name).addi(a.castTo(out.get(name).dataType())));
        }
        return out;
    }

    /** The records the group's model has counted: the sum over its members' contributions. */
    public long recordsCounted() {
        return newest.values().stream().mapToLong(Contribution::records).sum();
    }

    /** The newest snapshot version any member has published (0: none). */
    public long newestSnapshotVersion() {
        return newest.values().stream().mapToLong(Contribution::snapshotVersion).max().orElse(0);
    }

    /** The records each member's newest contribution counts, by member. */
    public Map<String, Long> recordsByMember() {
        Map<String, Long> out = new TreeMap<>();
        newest.forEach((member, c) -> out.put(member, c.records()));
        return out;
    }

    /** The newest contribution of {@code member}, if it published one. */
    public Optional<Contribution> of(String member) {
        return Optional.ofNullable(newest.get(member));
    }

    /** The newest contribution of every member, in member order (read-only). */
    public java.util.Collection<Contribution> contributions() {
        return java.util.Collections.unmodifiableCollection(newest.values());
    }

    /** How many members have contributed. */
    public int members() {
        return newest.size();
    }

    static Map<String, INDArray> copy(Map<String, INDArray> arrays) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        arrays.forEach((name, a) -> out.put(name, a.dup()));
        return out;
    }
}
