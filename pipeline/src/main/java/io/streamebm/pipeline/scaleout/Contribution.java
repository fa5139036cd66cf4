package io.streamebm.pipeline.scaleout;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One member's share of the group's model, as it publishes it on the params topic: the sum of the
 * parameter updates the member applied itself (never the ones it took in from others), and the
 * records those updates counted.
 *
 * <p>Why sums and not the members' parameters: the group's model is the initial model plus every
 * contribution ({@link GroupModel}), so each record's update is in it exactly once, whichever
 * member made it and whether or not that member is still alive. An average of parameters would
 * scale every update down by the number of members (measured in {@code bench/RESULTS.md}).
 *
 * @param member          the member's stable name (the record key)
 * @param records         records the member's updates have counted, all incarnations together
 * @param snapshotVersion the newest snapshot version the member has published (0: none); the next
 *                        snapshot of the group must be newer
 * @param updates         the summed updates, by parameter name ({@code model.param.<i>})
 */
public record Contribution(String member, long records, long snapshotVersion, Map<String, INDArray> updates) {

    /** Checks the fields and keeps the updates in name order, read-only. */
    public Contribution {
        Objects.requireNonNull(member, "member");
        if (member.isEmpty()) {
            throw new IllegalArgumentException("member must not be empty");
        }
        if (records < 0 || snapshotVersion < 0) {
            throw new IllegalArgumentException("records and snapshotVersion must be >= 0, got " + records + " and "
                    + snapshotVersion);
        }
        updates = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(updates, "updates")));
    }

    /** A member that has published nothing yet. */
    public static Contribution none(String member, Map<String, INDArray> like) {
        Map<String, INDArray> zeros = new LinkedHashMap<>();
        like.forEach((name, a) -> zeros.put(name, a.like().assign(0)));
        return new Contribution(member, 0, 0, zeros);
    }
}
