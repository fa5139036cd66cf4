package io.streamebm.pipeline.scaleout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Lock-step rounds: who publishes which round, who is waited for, and what a round weighs. */
class SyncRoundsTest {

    private static Map<String, INDArray> params(float... w) {
        return Map.of("model.param.0", Nd4j.createFromArray(w));
    }

    private static Contribution at(String member, long round, long lastRecords) {
        return new Contribution(member, 1000 + lastRecords, 0, params(0), lastRecords, 0, round);
    }

    private static GroupModel group(Contribution... cs) {
        GroupModel g = new GroupModel(params(0));
        for (Contribution c : cs) {
            g.offer(c);
        }
        return g;
    }

    @Test
    void aMemberPublishesTheRoundAfterItsOwnOrCatchesUpWithTheOthers() {
        assertEquals(1, SyncRounds.next(group(), "a", 0), "the first round of a new group");
        // In step: b already began round 4, which is a's next too.
        assertEquals(4, SyncRounds.next(group(at("a", 3, 10), at("b", 4, 10)), "a", 3));
        // Left out (or restarted) at round 1 while the others are in round 5: it joins round 5.
        assertEquals(5, SyncRounds.next(group(at("a", 1, 10), at("b", 5, 10), at("c", 4, 10)), "a", 1));
        // Its own newest publication is ahead of what it read of the others: it goes on from its own.
        assertEquals(8, SyncRounds.next(group(at("b", 2, 10)), "a", 7));
    }

    @Test
    void onlyMembersOfThePreviousRoundAreWaitedFor() {
        GroupModel g = group(at("a", 4, 10), at("b", 3, 10), at("c", 4, 10), at("d", 1, 10), at("e", 0, 10));
        // b took part in round 3 and has not published 4; c has; d missed rounds; e never syncs in rounds.
        assertEquals(Set.of("b"), SyncRounds.awaited(g, "a", 4));
        assertEquals(Set.of(), SyncRounds.awaited(g, "a", 1), "nobody is waited for in the first round: e syncs without rounds");
        assertEquals(Set.of("a", "c"), SyncRounds.awaited(g, "b", 5));
    }

    @Test
    void aMemberThatWithdrawsIsNoLongerWaitedForAndRejoinsTheCurrentRound() {
        GroupModel g = new GroupModel(params(0));
        Replica a = new Replica("a", g);
        g.offer(a.publish(params(1), 10, 1.0, 3, 1));
        g.offer(at("b", 3, 10));
        assertEquals(Set.of("a"), SyncRounds.awaited(g, "b", 4));
        Contribution out = a.withdraw();
        g.offer(out);
        assertEquals(Set.of(), SyncRounds.awaited(g, "b", 4), "a's partitions went quiet: b goes on alone");
        assertEquals(10, out.records(), "what it published stays counted");
        assertArrayEquals(new float[] {1}, g.parameters().get("model.param.0").toFloatVector(), 1e-6f);
        g.offer(at("b", 9, 10));
        assertEquals(9, SyncRounds.next(g, "a", out.round()), "back with new records, it joins b's round");
    }

    @Test
    void aRoundWeighsAgainstTheNewestPublicationsOfItsMembersWhateverTheOrder() {
        GroupModel g = group(at("b", 3, 100), at("c", 4, 120), at("d", 1, 50));
        // d is left out; b (round 3) and c (round 4) each count one round.
        assertEquals(220, SyncRounds.othersRoundRecords(g, "a", 4));
        assertEquals(3, SyncRounds.participants(g, "a", 4), "a, b and c; d is left out");
        assertEquals(1, SyncRounds.absent(g, "a", 4, 4), "a group of four lacks d this round");
        assertEquals(0, SyncRounds.absent(g, "a", 4, 2), "more members than expected lack nobody");
        // Alone in a group of three, a member's update weighs a third: the group moves as far per record.
        assertEquals(1.0 / 3, MergeRule.AVERAGE.weight(85, 0, SyncRounds.absent(group(), "a", 7, 3)), 1e-12);
        assertEquals(1.0 / 3, MergeRule.AVERAGE.weight(110, 220, 0), 1e-12);
    }

    @Test
    void outerMomentumMovesTheGroupByTheDecayedSumOfItsRoundUpdates() {
        GroupModel g = new GroupModel(params(0));
        Replica a = new Replica("a", g);
        Replica b = new Replica("b", g);
        // Round 1: a learns +2, b +4, each weighted 1/2: the group moves by the mean, 3.
        g.offer(a.publish(params(2), 10, 0.5, 0.5, 1, 1));
        g.offer(b.publish(params(4), 10, 0.5, 0.5, 1, 1));
        Map<String, INDArray> ra = a.merge(params(2), g);
        Map<String, INDArray> rb = b.merge(params(4), g);
        assertArrayEquals(new float[] {3}, ra.get("model.param.0").toFloatVector(), 1e-6f);
        // Round 2: both learn +1: the group moves by 0.5 * 3 + 1 = 2.5.
        g.offer(a.publish(Map.of("model.param.0", ra.get("model.param.0").add(1)), 10, 0.5, 0.5, 2, 2));
        g.offer(b.publish(Map.of("model.param.0", rb.get("model.param.0").add(1)), 10, 0.5, 0.5, 2, 2));
        assertArrayEquals(new float[] {5.5f}, g.parameters().get("model.param.0").toFloatVector(), 1e-6f);
        assertEquals(2, g.of("a").orElseThrow().round());
        assertEquals(40, g.recordsCounted(), "momentum changes how far the model moves, never what it counted");
        assertThrows(IllegalArgumentException.class, () -> a.publish(g.parameters(), 1, 0.5, 1.0, 3, 3));
        assertEquals(0.0, SyncRounds.autoMomentum(1), "alone: exactly one trainer");
        assertEquals(1 - 1 / Math.sqrt(4), SyncRounds.autoMomentum(4), 1e-12);
    }
}
