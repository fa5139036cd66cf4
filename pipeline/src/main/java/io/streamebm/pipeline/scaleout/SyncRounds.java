package io.streamebm.pipeline.scaleout;

import java.util.Set;
import java.util.TreeSet;

/**
 * Lock-step sync rounds over the params topic ({@code scale-out.rounds}): which round a member's
 * next publication belongs to, whose publications of that round it waits for before it takes in
 * the group's model, and what its update weighs against.
 *
 * <p>Why rounds: when members sync one at a time, each takes in a group model that holds some of
 * the others' updates of this round and some of the last, and eight members needed 2.6 times the
 * records of one trainer; in rounds, with the outer momentum of {@link Replica}, they need about as
 * many (bench/RESULTS.md, Scale-out).
 *
 * <p>The round of each member is the {@link Contribution#round()} of its newest publication. A
 * member takes part in round k if it published round k − 1 or later: one that missed a round (it
 * died, left, or was slower than {@code scale-out.round-timeout}) is waited for once, then no more
 * until it publishes again, and it then joins the round the others are in. Its records stay
 * counted whatever happens; rounds decide only when a member merges and with what weight.
 *
 * <p>Stateless: every answer is read off a {@link GroupModel}.
 */
public final class SyncRounds {

    private SyncRounds() {
    }

    /**
     * The round of {@code member}'s next publication: the one after its own last, or, if it fell
     * behind (it was left out, or starts again), the newest round another member has begun.
     *
     * @param ownRound the round of the member's own newest publication (0: none)
     */
    public static long next(GroupModel group, String member, long ownRound) {
        long newest = 0;
        for (Contribution c : group.contributions()) {
            if (!c.member().equals(member)) {
                newest = Math.max(newest, c.round());
            }
        }
        return Math.max(ownRound + 1, newest);
    }

    /**
     * The members {@code member} still waits for in {@code round}: those that took part in the
     * round before (their newest publication is of round − 1) and have not published this one yet.
     * Publications without a round (0) are never waited for.
     */
    public static Set<String> awaited(GroupModel group, String member, long round) {
        Set<String> out = new TreeSet<>();
        for (Contribution c : group.contributions()) {
            if (!c.member().equals(member) && c.round() >= Math.max(1, round - 1) && c.round() < round) {
                out.add(c.member());
            }
        }
        return out;
    }

    /**
     * How many members take part in {@code round} as {@code member} sees it: itself and every other
     * member whose newest publication is of round − 1 or later.
     */
    public static int participants(GroupModel group, String member, long round) {
        int n = 1;
        for (Contribution c : group.contributions()) {
            if (!c.member().equals(member) && c.round() >= Math.max(1, round - 1)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The members a group of {@code expected} ({@code scale-out.members}) lacks in {@code round}:
     * those not taking part (never heard from, left out, withdrawn). They weigh in as if they had
     * trained as much as the member publishing, so that the group moves as far per record
     * whoever is missing: the members' micro-batches are 1/expected of one trainer's, and a member
     * left alone at weight 1 would take as many full steps per record as the whole group takes
     * averaged ones (a second, alone at the end of a stream, degraded the model in
     * GroupQualityTest from grid TV 0.22 to 0.38).
     */
    public static int absent(GroupModel group, String member, long round, int expected) {
        return Math.max(0, expected - participants(group, member, round));
    }

    /**
     * The outer momentum for a round of {@code members} members: 1 − 1/√N, 0 alone. Why this
     * rule: a direction the rounds agree on grows by up to 1/(1 − β) = √N, the factor by which
     * the average of N steps on micro-batches of 1/N falls short of one step on the whole
     * micro-batch (Adam's steps are normalised), while round-to-round noise grows less. It met
     * the goal for N = 2, 4 and 8 in simulation; a member left alone trains exactly as one trainer.
     */
    public static double autoMomentum(int members) {
        if (members < 1) {
            throw new IllegalArgumentException("members must be >= 1, got " + members);
        }
        return 1 - 1 / Math.sqrt(members);
    }

    /**
     * The records one round of the other members' updates counted: the newest publication of
     * each member taking part in {@code round} (of round − 1 or later). A member's round-k update
     * is weighted by its records over these plus its own ({@link MergeRule#weight}), which is its
     * share of a round whatever order the members publish in; weighing by "what the others
     * published since my last publication", as syncs without rounds do, would give the first to
     * publish in a round weight 1 whenever it was the last in the round before.
     */
    public static long othersRoundRecords(GroupModel group, String member, long round) {
        long sum = 0;
        for (Contribution c : group.contributions()) {
            if (!c.member().equals(member) && c.round() >= Math.max(1, round - 1)) {
                sum += c.lastRecords();
            }
        }
        return sum;
    }
}
