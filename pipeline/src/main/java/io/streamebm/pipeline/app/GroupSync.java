package io.streamebm.pipeline.app;

import io.streamebm.connectors.PartitionKeys;
import io.streamebm.monitoring.GroupMetrics;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.scaleout.Contribution;
import io.streamebm.pipeline.scaleout.GroupModel;
import io.streamebm.pipeline.scaleout.MergeRule;
import io.streamebm.pipeline.scaleout.Replica;
import io.streamebm.pipeline.scaleout.SyncRounds;
import io.streamebm.pipeline.train.Learner;
import io.streamebm.pipeline.train.Models;
import io.streamebm.pipeline.train.SharedModel;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scale-out over Kafka: this member's side of the model its consumer group trains together
 * ({@code scale-out.enabled}). The params topic ({@link ParamsTopic}) holds every member's newest
 * {@link Contribution}; the group's model is the initial model plus all of them
 * ({@link GroupModel}).
 *
 * <p>At each sync (every {@code scale-out.sync-every-steps} updates; each one is a checkpoint) the
 * member reads the topic to its end, publishes its updates since its last sync, weighted by
 * {@code scale-out.merge} ({@link MergeRule}), with the records they counted, into its open output
 * transaction, and, if it owns partition 0 of the input topic, publishes a snapshot of the
 * group's model. The trainer then commits the transaction with the member's offsets. So a
 * contribution is visible exactly when the offsets of its records are committed: a SIGKILL loses
 * only updates whose records the group reads again.
 *
 * <p>Then the member sets its replica to the group's model ({@link Replica}). With
 * {@code scale-out.rounds} (the default) every publication belongs to a round
 * ({@link SyncRounds}), and the member merges only once the others have published the same round
 * or {@code scale-out.round-timeout} passed ({@link #committed}), with the outer momentum
 * {@code scale-out.outer-momentum}; without rounds it merges at once, whatever the topic holds.
 *
 * <p>Snapshot versions are the records the group's model has counted. They increase strictly
 * across failures: a new snapshot is published only above the newest version any member's
 * contribution reports, and the version published is written into the publisher's contribution
 * in the same transaction.
 *
 * <p>Only the trainer thread calls it.
 */
final class GroupSync implements SharedModel, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupSync.class);
    /** How long a read of the params topic may take before the sync is retried. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final long IDLE_SYNC_NANOS = 1_000_000_000L;

    private final PipelineConfig config;
    private final String member;
    private final Map<String, String> model;
    private final String leaderSource;
    private final SnapshotPublisher snapshots;
    private final Supplier<TransactionalOutputs> outputs;
    private final GroupMetrics metrics;
    /** Group records between snapshots: the cadence of one trainer, snapshot.every-steps full micro-batches. */
    private final long snapshotEveryRecords;
    private final MergeRule merge;
    /** The others' records counted as of this member's last publish: what they trained since is the rest. */
    private Map<String, Long> othersAtLastPublish = Map.of();
    private final Set<String> owned = new HashSet<>();
    private ParamsTopic params;
    private GroupModel group;
    private Replica replica;
    private long publishedRecords;
    private long lastSyncNanos = System.nanoTime();
    private long lastSyncStep;
    private final int syncEverySteps;
    /** Whether members sync in lock-step rounds ({@code scale-out.rounds}). */
    private final boolean rounds;
    private final Duration roundTimeout;
    /** β of the outer momentum when configured as a number; empty: auto, by the round's members. */
    private final java.util.OptionalDouble fixedMomentum;
    /** The members {@code scale-out.members} says the group has: those missing from a round weigh in. */
    private final int expectedMembers;
    /** The round published in the transaction now committing, merged once it has (0: none). */
    private long pendingRound;
    /** The newest step this member was asked about, and when it first was: quiet for a second, it leaves the rounds. */
    private long lastStep = -1;
    private long lastStepNanos = System.nanoTime();
    /** The trainer is stopping: the last sync takes this member out of the rounds. */
    private boolean leaving;

    /**
     * @param member       this member's stable name, the key of its contributions
     * @param architecture the learner's architecture (with the seed, what every member must share)
     * @param snapshots    publishes the group's snapshots when this member leads
     * @param outputs      the open output transaction
     */
    GroupSync(PipelineConfig config, String member, Map<String, String> architecture, SnapshotPublisher snapshots,
            Supplier<TransactionalOutputs> outputs, GroupMetrics metrics) {
        this.config = config;
        this.member = member;
        Map<String, String> m = new LinkedHashMap<>(architecture);
        m.put("seed", config.string("seed"));
        this.model = Map.copyOf(m);
        this.leaderSource = PartitionKeys.key(new TopicPartition(config.string("kafka.topic"), 0));
        this.snapshots = snapshots;
        this.outputs = outputs;
        this.metrics = metrics;
        this.snapshotEveryRecords = (long) config.integer("snapshot.every-steps") * config.integer("batch.max-size");
        this.merge = config.choice("scale-out.merge", MergeRule.class);
        this.syncEverySteps = config.integer("scale-out.sync-every-steps");
        this.rounds = config.bool("scale-out.rounds");
        this.roundTimeout = config.duration("scale-out.round-timeout");
        this.expectedMembers = config.integer("scale-out.members");
        String beta = config.string("scale-out.outer-momentum");
        this.fixedMomentum = !rounds ? java.util.OptionalDouble.of(0)
                : beta.equalsIgnoreCase("auto") ? java.util.OptionalDouble.empty()
                : java.util.OptionalDouble.of(Double.parseDouble(beta));
    }

    /**
     * This member's share of the work when {@code scale-out.members} = N > 1: micro-batches of
     * {@code batch.max-size / N} and {@code loss.chains / N} persistent chains (rounded up). Why:
     * averaging N members' steps moves the model about as far as one step does, so the group must
     * take as many steps per record as one trainer; each step then costs about 1/N as much, which
     * is where the speed-up comes from. Otherwise {@code config} itself.
     */
    static PipelineConfig memberShare(PipelineConfig config) {
        int n = config.integer("scale-out.members");
        if (!config.bool("scale-out.enabled") || n == 1) {
            return config;
        }
        return config.with(Map.of(
                "batch.max-size", Integer.toString(Math.max(1, (config.integer("batch.max-size") + n - 1) / n)),
                "loss.chains", Integer.toString(Math.max(1, (config.integer("loss.chains") + n - 1) / n))));
    }

    /** The params topic a configuration names: {@code scale-out.params-topic}, else {@code <model.name>.params}. */
    static String paramsTopic(PipelineConfig c) {
        String t = c.string("scale-out.params-topic");
        return t.isEmpty() ? c.string("model.name") + ".params" : t;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public long join(Learner learner, long restoredRecords) {
        // The initial model is the seed's: every member computes the same one.
        Map<String, INDArray> initial = Models.parameters(Models.build(learner.architecture(), config.longValue("seed")));
        params = ParamsTopic.open(config.string("kafka.bootstrap-servers"), paramsTopic(config), member,
                config.clientProperties(PipelineConfig.CONSUMER_PREFIX), KafkaParts.adminProperties(config), model,
                config.string("kafka.group"), ParamsTopic.recordBytes(initial), snapshots.signer(), READ_TIMEOUT);
        group = new GroupModel(initial);
        for (ParamsTopic.Read r : params.readToEnd(READ_TIMEOUT, metrics::onRead)) {
            if (!params.sameGroup(r)) {
                throw new IllegalStateException("the params topic " + params.topic() + " holds a contribution of member "
                        + r.contribution().member() + " of consumer group " + r.group() + ", and this member is in group "
                        + config.string("kafka.group") + ": model " + config.string("model.name")
                        + " counts records at group " + r.group() + "'s offsets, which group " + config.string("kafka.group")
                        + " does not share; use --group " + r.group() + " to go on training it, or another model.name"
                        + " or scale-out.params-topic for a new model");
            }
            if (!params.sameModel(r)) {
                throw new IllegalStateException("the params topic " + params.topic() + " holds a contribution of member "
                        + r.contribution().member() + " to another model " + r.model() + ", not this one " + model
                        + ": every member of group " + config.string("kafka.group")
                        + " must train the same model with the same seed; use another model.name or scale-out.params-topic"
                        + " for a new model");
            }
            group.offer(r.contribution());
        }
        replica = new Replica(member, group);
        othersAtLastPublish = new java.util.HashMap<>(group.recordsByMember());
        othersAtLastPublish.remove(member);
        learner.loadModelState(replica.known());
        publishedRecords = replica.contribution().records();
        metrics.onGroupModel(group.recordsCounted(), group.members());
        LOG.info("joined the group's model on {}: {} records counted by {} member(s), {} of them by {}; {}",
                params.topic(), group.recordsCounted(), group.members(), publishedRecords, member,
                rounds ? "lock-step rounds, outer momentum "
                        + (fixedMomentum.isPresent() ? fixedMomentum.getAsDouble() : "1 - 1/sqrt(members of the round)")
                        : "syncs without rounds");
        return publishedRecords;
    }

    @Override
    public void arrived(Learner learner, Collection<String> sources) {
        owned.addAll(sources);
        try {
            takeIn(params.readToEnd(READ_TIMEOUT, metrics::onRead));
            learner.loadModelState(replica.merge(learner.modelState(), group));
        } catch (java.io.UncheckedIOException e) {
            // Counting stays exact without it: the previous owners' updates are merged at the next sync.
            LOG.warn("could not take in the group's model before training {}: {}", sources, e.getMessage());
        }
    }

    @Override
    public void left(Collection<String> sources) {
        owned.removeAll(sources);
    }

    /**
     * Every scale-out.sync-every-steps; the snapshot publisher also once a second, trained or not,
     * to follow the group; and a member in the rounds that has not trained for a second, or is
     * stopping, once more to publish what it has and take itself out of them.
     */
    @Override
    public boolean syncWanted(long step) {
        long now = System.nanoTime();
        if (step != lastStep) {
            lastStep = step;
            lastStepNanos = now;
        }
        boolean inRounds = replica != null && replica.contribution().round() > 0;
        return step - lastSyncStep >= syncEverySteps
                || (owned.contains(leaderSource) && now - lastSyncNanos >= IDLE_SYNC_NANOS)
                || (inRounds && (leaving || quiet()));
    }

    /**
     * Whether this member has not trained for a second (its partitions are quiet, or it has none):
     * the others would wait {@code scale-out.round-timeout} for it every round, so it leaves them.
     */
    private boolean quiet() {
        return System.nanoTime() - lastStepNanos >= IDLE_SYNC_NANOS;
    }

    @Override
    public void leaving() {
        leaving = true;
    }

    @Override
    public void sync(Learner learner, long step, long recordsSeen, Optional<EnergyPercentiles> calibration) {
        lastSyncNanos = System.nanoTime();
        lastSyncStep = step;
        pendingRound = 0; // a round whose commit failed goes out again in this transaction; it is not waited for
        // Read first: a failure here changes nothing, and the checkpoint is retried.
        List<ParamsTopic.Read> news = params.readToEnd(READ_TIMEOUT, metrics::onRead);
        takeIn(news);
        long newRecords = recordsSeen - publishedRecords;
        Map<String, INDArray> current = learner.modelState();
        Contribution own = replica.contribution();
        long round = 0;
        boolean withdrawn = false;
        if (newRecords > 0) {
            double weight;
            double momentum = 0;
            if (rounds) {
                long next = SyncRounds.next(group, member, own.round());
                int absent = SyncRounds.absent(group, member, next, expectedMembers);
                weight = merge.weight(newRecords, SyncRounds.othersRoundRecords(group, member, next), absent);
                momentum = fixedMomentum.orElse(
                        SyncRounds.autoMomentum(SyncRounds.participants(group, member, next) + absent));
                // A member that stops, or whose partitions went quiet, takes no part in the next round.
                round = leaving || quiet() ? 0 : next;
            } else {
                // Members not heard from yet count for nothing here (unheard = 0): counting them
                // measured worse through the pipeline with three members syncing one at a time
                // (GroupQualityTest 1.26-1.80x against 1.01-1.39x without; bench/RESULTS.md, Scale-out).
                weight = merge.weight(newRecords, othersSinceLastPublish(), 0);
            }
            own = replica.publish(current, newRecords, weight, momentum, round, System.currentTimeMillis());
            group.offer(own);
        } else if (own.round() > 0 && (leaving || quiet())) {
            own = replica.withdraw();
            group.offer(own);
            withdrawn = true;
        }
        // Versions are records counted, so the newest version says how many records ago the last one was.
        boolean snapshot = owned.contains(leaderSource)
                && group.recordsCounted() - group.newestSnapshotVersion() >= snapshotEveryRecords;
        if (snapshot) {
            long version = group.recordsCounted();
            snapshots.publish(outputs.get(), version, group.parameters(), version, calibration);
            own = replica.publishedSnapshot(version);
            group.offer(own);
        }
        if (newRecords > 0 || snapshot || withdrawn) {
            ProducerRecord<byte[], byte[]> record = params.record(own);
            outputs.get().send(record);
            metrics.onPublished(record.value().length);
        }
        publishedRecords = recordsSeen;
        if (round > 0) {
            pendingRound = round; // merged once the others see it, after the commit
        } else {
            learner.loadModelState(replica.merge(current, group));
        }
        metrics.onGroupModel(group.recordsCounted(), group.members());
    }

    @Override
    public void committed(Learner learner, BooleanSupplier mayWait) {
        if (pendingRound == 0) {
            return;
        }
        long round = pendingRound;
        pendingRound = 0;
        awaitRound(round, mayWait);
        lastStepNanos = System.nanoTime(); // the wait is not quiet time: quiet is measured from here
        learner.loadModelState(replica.merge(learner.modelState(), group));
        metrics.onGroupModel(group.recordsCounted(), group.members());
    }

    /**
     * Reads the params topic until every member taking part in {@code round} has published it,
     * {@code scale-out.round-timeout} passed, or {@code mayWait} says no. A read that fails ends
     * the wait: the merge then takes in what this member has, and counting stays exact either way.
     */
    private void awaitRound(long round, BooleanSupplier mayWait) {
        long t0 = System.nanoTime();
        long deadline = t0 + roundTimeout.toNanos();
        Set<String> awaited = SyncRounds.awaited(group, member, round);
        if (!mayWait.getAsBoolean()) {
            return; // leaving, releasing, or a rebalance waits: not a round gone wrong
        }
        try {
            while (!awaited.isEmpty() && System.nanoTime() < deadline && mayWait.getAsBoolean()) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                takeIn(params.poll(Duration.ofMillis(Math.min(100, left)), metrics::onRead));
                awaited = SyncRounds.awaited(group, member, round);
            }
        } catch (java.io.UncheckedIOException e) {
            LOG.warn("round {}: could not read the others' publications ({}); taking in what {} has", round,
                    e.getMessage(), member);
        }
        if (!mayWait.getAsBoolean()) {
            LOG.info("round {}: a rebalance waits for this member; taking in the group's model without {}", round, awaited);
            metrics.onRoundWait(System.nanoTime() - t0, true);
            return;
        }
        metrics.onRoundWait(System.nanoTime() - t0, awaited.isEmpty());
        if (!awaited.isEmpty()) {
            LOG.warn("round {}: went on without {} after {} ms; they are left out of the next rounds until they publish"
                    + " again (their records stay counted)", round, awaited, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * The records the other members trained between this member's last publish and now: their
     * share when this member weighs its own update. A member that stopped adds nothing, so it
     * stops diluting the others at once. Remembers the counts for the next publish.
     */
    private long othersSinceLastPublish() {
        Map<String, Long> now = new java.util.HashMap<>(group.recordsByMember());
        now.remove(member);
        long since = 0;
        for (Map.Entry<String, Long> e : now.entrySet()) {
            since += e.getValue() - othersAtLastPublish.getOrDefault(e.getKey(), 0L);
        }
        othersAtLastPublish = now;
        return since;
    }

    /** Offers the other members' contributions; this member's own state is the one in memory. */
    private void takeIn(List<ParamsTopic.Read> reads) {
        for (ParamsTopic.Read r : reads) {
            Contribution c = r.contribution();
            if (c.member().equals(member)) {
                continue;
            }
            if (!params.sameGroup(r)) {
                LOG.error("contribution of member {} on {} comes from consumer group {}, not {}; skipped", c.member(),
                        params.topic(), r.group(), config.string("kafka.group"));
                continue;
            }
            if (!params.sameModel(r)) {
                LOG.error("contribution of member {} on {} is for another model ({}); skipped", c.member(),
                        params.topic(), r.model());
                continue;
            }
            try {
                group.offer(c);
            } catch (IllegalArgumentException e) {
                LOG.error("contribution of member {} on {} skipped: {}", c.member(), params.topic(), e.getMessage());
            }
        }
    }

    /**
     * Reads the params topic to its end, so that {@link #groupRecordsCounted()} tells the group's
     * count now rather than at this member's last sync (for its final line).
     */
    void readNewest() {
        takeIn(params.readToEnd(READ_TIMEOUT, metrics::onRead));
        metrics.onGroupModel(group.recordsCounted(), group.members());
    }

    /** The records the group's model has counted, as this member last read the params topic. */
    long groupRecordsCounted() {
        return group == null ? 0 : group.recordsCounted();
    }

    /** The members whose contributions the group's model holds, as this member last read them. */
    int groupMembers() {
        return group == null ? 0 : group.members();
    }

    @Override
    public void close() {
        if (params != null) {
            params.close();
        }
    }

    @Override
    public String toString() {
        return "GroupSync{member=" + member + ", topic=" + paramsTopic(config) + "}";
    }
}
