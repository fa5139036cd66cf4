package io.streamebm.pipeline.scaleout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The group's model holds every member's updates exactly once, whatever the order of syncs. */
class ReplicaTest {

    private static Map<String, INDArray> params(float... w) {
        return Map.of("model.param.0", Nd4j.createFromArray(w));
    }

    private static float[] w(Map<String, INDArray> p) {
        return p.get("model.param.0").toFloatVector();
    }

    private static Map<String, INDArray> step(Map<String, INDArray> p, float... delta) {
        return Map.of("model.param.0", p.get("model.param.0").add(Nd4j.createFromArray(delta)));
    }

    @Test
    void everyUpdateCountsOnceAcrossMembersThatSyncAtDifferentTimes() {
        GroupModel seenByA = new GroupModel(params(0, 0));
        GroupModel seenByB = new GroupModel(params(0, 0));
        Replica a = new Replica("a", seenByA);
        Replica b = new Replica("b", seenByB);
        Map<String, INDArray> ta = step(a.known(), 1, 0);          // a learns +1 on x
        Map<String, INDArray> tb = step(b.known(), 0, 2);          // b learns +2 on y
        Contribution ca = a.publish(ta, 10, 1.0, 0, 1);
        seenByA.offer(ca);
        seenByB.offer(ca);
        tb = step(tb, 0, 1);                                        // b goes on, unpublished: y = 3
        tb = b.merge(tb, seenByB);                                  // b takes in a's +1, keeps its own
        assertArrayEquals(new float[] {1, 3}, w(tb), 1e-6f);
        Contribution cb = b.publish(tb, 30, 1.0, 0, 2);
        seenByA.offer(cb);
        seenByB.offer(cb);
        ta = step(ta, 0.5f, 0);                                     // a's unpublished +0.5
        ta = a.merge(ta, seenByA);
        assertArrayEquals(new float[] {1.5f, 3}, w(ta), 1e-6f);
        assertArrayEquals(new float[] {1, 3}, w(seenByA.parameters()), 1e-6f);
        assertEquals(40, seenByA.recordsCounted());
        assertArrayEquals(new float[] {0, 3}, w(cb.updates()), 1e-6f, "b's contribution holds only b's updates");
    }

    @Test
    void aRestartedMemberContinuesItsContributionAndLosesOnlyWhatItNeverPublished() {
        GroupModel group = new GroupModel(params(0));
        Replica a = new Replica("a", group);
        group.offer(a.publish(step(a.known(), 2), 5, 1.0, 0, 1));
        group.offer(a.publishedSnapshot(7));
        // SIGKILL: a's next +1 was never published; its records are read again by whoever owns them.
        Replica restarted = new Replica("a", group);
        assertArrayEquals(new float[] {2}, w(restarted.known()), 1e-6f);
        Contribution again = restarted.publish(step(restarted.known(), 1), 3, 1.0, 0, 2);
        assertEquals(8, again.records());
        assertEquals(7, again.snapshotVersion());
        group.offer(again);
        assertArrayEquals(new float[] {3}, w(group.parameters()), 1e-6f);
        assertEquals(8, group.recordsCounted());
        assertEquals(7, group.newestSnapshotVersion());
    }

    @Test
    void averagingWeighsEachUpdateByItsShareOfTheRecordsTrainedMeanwhile() {
        GroupModel group = new GroupModel(params(0));
        Replica a = new Replica("a", group);
        Replica b = new Replica("b", group);
        MergeRule average = MergeRule.AVERAGE;
        Map<String, INDArray> ta = step(a.known(), 3);
        Map<String, INDArray> tb = step(b.known(), 6);
        group.offer(a.publish(ta, 10, average.weight(10, 0, 0), 0, 1));  // alone so far: weight 1
        double wb = average.weight(30, 10, 0);                             // a trained 10 meanwhile
        assertEquals(0.75, wb, 1e-12);
        group.offer(b.publish(tb, 30, wb, 0, 2));
        assertArrayEquals(new float[] {7.5f}, w(group.parameters()), 1e-5f);
        assertArrayEquals(new float[] {7.5f}, w(b.merge(tb, group)), 1e-5f, "a replica that just published is the group's model");
        assertArrayEquals(new float[] {8.5f}, w(a.merge(step(ta, 1), group)), 1e-5f, "unpublished updates stay");
        assertEquals(Map.of("a", 10L, "b", 30L), group.recordsByMember());
        assertEquals(1.0, MergeRule.SUM.weight(30, 10, 0));
    }

    @Test
    void membersNotHeardFromYetWeighInAsIfTheyHadTrainedAsMuch() {
        MergeRule average = MergeRule.AVERAGE;
        // The first of four members to publish: not 1 but a quarter, as in every later round.
        assertEquals(0.25, average.weight(10, 0, 3), 1e-12);
        // The second: the first trained 10 meanwhile, two are still unheard.
        assertEquals(0.25, average.weight(10, 10, 2), 1e-12);
        // Everybody heard: records weigh as before, a faster member more.
        assertEquals(0.4, average.weight(20, 30, 0), 1e-12);
        assertEquals(1.0, MergeRule.SUM.weight(10, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> average.weight(10, 0, -1));
    }

    @Test
    void aContributionOfAnotherModelIsRefusedNamingTheParameter() {
        GroupModel group = new GroupModel(params(0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> group.offer(new Contribution("x", 1, 0, params(1, 2, 3), 1, 0, 0)));
        assertEquals(true, e.getMessage().contains("model.param.0"), e.getMessage());
    }
}
