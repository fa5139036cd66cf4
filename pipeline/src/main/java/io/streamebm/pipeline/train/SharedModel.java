package io.streamebm.pipeline.train;

import io.streamebm.pipeline.calibration.EnergyPercentiles;
import java.util.Collection;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The model a trainer shares with the other members of its consumer group (scale-out), consulted
 * by {@link OnlineTrainer} on its thread. {@link #NONE}, one process training alone, changes
 * nothing.
 *
 * <p>When the model is shared, the group's committed offsets are the positions of record, not the
 * trainer's own: a partition may have been trained by another member since this one last held it.
 * So the trainer forgets the positions of sources it releases, and lets the consumer start new
 * ones at the group's committed offsets. Those offsets are committed in the same transaction as
 * the contribution that learned the records below them ({@link #sync}), so the group's model and
 * its offsets never disagree.
 */
public interface SharedModel {

    /** One process training alone: every call does nothing. */
    SharedModel NONE = new SharedModel() {
        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public long join(Learner learner, long restoredRecords) {
            return restoredRecords;
        }

        @Override
        public void arrived(Learner learner, Collection<String> sources) {
        }

        @Override
        public void left(Collection<String> sources) {
        }

        @Override
        public void sync(Learner learner, long step, long recordsSeen, Optional<EnergyPercentiles> calibration) {
        }

        @Override
        public void committed(Learner learner, BooleanSupplier mayWait) {
        }

        @Override
        public boolean syncWanted(long step) {
            return false;
        }
    };

    /** Whether other members share the model (positions then come from the group's offsets). */
    boolean shared();

    /**
     * After the trainer restored its own checkpoint (a cache at most): loads the group's newest
     * model into {@code learner} and returns the records this member has contributed, which the
     * trainer counts from.
     *
     * @param restoredRecords the records the local checkpoint counted
     */
    long join(Learner learner, long restoredRecords);

    /**
     * Sources arrive at this member: takes in what the other members published, their previous
     * owners' last contributions included, before the first of their records is trained.
     */
    void arrived(Learner learner, Collection<String> sources);

    /** Sources leave this member, after the checkpoint that made their records durable. */
    void left(Collection<String> sources);

    /**
     * Before the outputs' transaction commits, in every checkpoint and whenever
     * {@link #syncWanted} says so: publishes this member's updates since its last sync into that
     * transaction and merges the others' into {@code learner} (with lock-step rounds, once it
     * committed: {@link #committed}). A failure to read the others throws
     * {@link java.io.UncheckedIOException} before anything changed, and the sync is retried.
     *
     * @param step        the updates this member has made
     * @param recordsSeen the records this member has counted
     * @param calibration the rank function a snapshot of the group's model carries
     */
    void sync(Learner learner, long step, long recordsSeen, Optional<EnergyPercentiles> calibration);

    /**
     * After the transaction of a {@link #sync} committed, and only then. With lock-step rounds
     * this is where the member takes in the group's model: it cannot be earlier, because the
     * others see this member's update only once it is committed, as it sees theirs. Waits, while
     * {@code mayWait} says so, until the others have published the same round or the round's
     * timeout passed; once it says no (the member is about to release sources or to stop, or a
     * rebalance waits for this trainer, and nobody may be held up) it takes in what the topic
     * holds. Without rounds: nothing, the sync merged already.
     */
    void committed(Learner learner, BooleanSupplier mayWait);

    /**
     * The trainer is about to make its last sync and stop: a member that syncs in rounds takes
     * itself out of them there, so that nobody waits for its next round.
     */
    default void leaving() {
    }

    /**
     * Whether a sync is due at {@code step}: every {@code scale-out.sync-every-steps} updates, and
     * for the member that publishes the group's snapshots at least once a second, so that it
     * follows the group while its own partitions are quiet. The trainer asks after every update
     * and on its timer, so the answer may also depend on how long no update came.
     */
    boolean syncWanted(long step);
}
