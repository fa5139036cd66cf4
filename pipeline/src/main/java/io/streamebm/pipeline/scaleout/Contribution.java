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
 * <p>Why sums of updates and not the members' parameters: the group's model is the initial model
 * plus every contribution ({@link GroupModel}), so the updates of every record are in it once,
 * whichever member made them and whether or not that member is still alive. Each update enters
 * the sum with the weight its member gave it when it published ({@link Replica#publish}): its share
 * of the records the group trained since the member's previous publication, which makes the group's model
 * the records-weighted average of the members' models (local SGD), or 1 (a plain sum).
 *
 * @param member            the member's stable name (the record key)
 * @param records           records the member's updates have counted, all incarnations together
 * @param snapshotVersion   the newest snapshot version the member has published (0: none); the
 *                          next snapshot of the group must be newer
 * @param updates           the weighted sum of the member's own updates, by parameter name
 *                          ({@code model.param.<i>})
 * @param lastRecords       records counted by the newest publication alone (its share of the
 *                          others' weights)
 * @param publishedAtMillis when the newest publication was made (epoch milliseconds; whether the
 *                          member is still active)
 * @param round             the sync round of the newest publication ({@link SyncRounds}; 0: none, or
 *                          published by a member syncing without rounds)
 */
public record Contribution(String member, long records, long snapshotVersion, Map<String, INDArray> updates,
        long lastRecords, long publishedAtMillis, long round) {

    /** Checks the fields and keeps the updates in name order, read-only. */
    public Contribution {
        Objects.requireNonNull(member, "member");
        if (member.isEmpty()) {
            throw new IllegalArgumentException("member must not be empty");
        }
        if (records < 0 || snapshotVersion < 0 || lastRecords < 0 || lastRecords > records || round < 0) {
            throw new IllegalArgumentException("records, snapshotVersion, lastRecords and round must be >= 0, lastRecords"
                    + " at most records; got " + records + ", " + snapshotVersion + ", " + lastRecords + " and " + round);
        }
        updates = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(updates, "updates")));
    }

    /** A member that has published nothing yet. */
    public static Contribution none(String member, Map<String, INDArray> like) {
        Map<String, INDArray> zeros = new LinkedHashMap<>();
        like.forEach((name, a) -> zeros.put(name, a.like().assign(0)));
        return new Contribution(member, 0, 0, zeros, 0, 0, 0);
    }
}
