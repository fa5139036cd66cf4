package io.streamebm.pipeline.app;

import io.streamebm.connectors.PartitionKeys;
import io.streamebm.monitoring.GroupMetrics;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.scaleout.Contribution;
import io.streamebm.pipeline.scaleout.GroupModel;
import io.streamebm.pipeline.scaleout.MergeRule;
import io.streamebm.pipeline.scaleout.Replica;
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
 * transaction, sets its replica to the group's model ({@link Replica}), and, if it owns partition 0 of the input topic, publishes a snapshot of the
 * group's model. The trainer then commits the transaction with the member's offsets. So a
 * contribution is visible exactly when the offsets of its records are committed: a SIGKILL loses
 * only updates whose records the group reads again.
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
        params = ParamsTopic.open(config.string("kafka.bootstrap-servers"), paramsTopic(config), member,
                config.clientProperties(PipelineConfig.CONSUMER_PREFIX), KafkaParts.adminProperties(config), model,
                READ_TIMEOUT);
        // The initial model is the seed's: every member computes the same one.
        group = new GroupModel(Models.parameters(Models.build(learner.architecture(), config.longValue("seed"))));
        for (ParamsTopic.Read r : params.readToEnd(READ_TIMEOUT, metrics::onRead)) {
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
        LOG.info("joined the group's model on {}: {} records counted by {} members, {} of them by {}",
                params.topic(), group.recordsCounted(), group.members(), publishedRecords, member);
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

    /** Every scale-out.sync-every-steps; the snapshot publisher also once a second, trained or not, to follow the group. */
    @Override
    public boolean syncWanted(long step) {
        return step - lastSyncStep >= syncEverySteps
                || (owned.contains(leaderSource) && System.nanoTime() - lastSyncNanos >= IDLE_SYNC_NANOS);
    }

    @Override
    public void sync(Learner learner, long step, long recordsSeen, Optional<EnergyPercentiles> calibration) {
        lastSyncNanos = System.nanoTime();
        lastSyncStep = step;
        // Read first: a failure here changes nothing, and the checkpoint is retried.
        List<ParamsTopic.Read> news = params.readToEnd(READ_TIMEOUT, metrics::onRead);
        takeIn(news);
        long newRecords = recordsSeen - publishedRecords;
        Map<String, INDArray> current = learner.modelState();
        Contribution own = replica.contribution();
        if (newRecords > 0) {
            // Members not heard from yet count for nothing here (unheard = 0): counting them, as the
            // simulation of eight members wants, measured worse through the pipeline with three
            // (GroupQualityTest 1.26-1.80x against 1.01-1.39x without; bench/RESULTS.md, Scale-out).
            double weight = merge.weight(newRecords, othersSinceLastPublish(), 0);
            own = replica.publish(current, newRecords, weight, System.currentTimeMillis());
            group.offer(own);
        }
        Map<String, INDArray> merged = replica.merge(current, group);
        // Versions are records counted, so the newest version says how many records ago the last one was.
        boolean snapshot = owned.contains(leaderSource)
                && group.recordsCounted() - group.newestSnapshotVersion() >= snapshotEveryRecords;
        if (snapshot) {
            long version = group.recordsCounted();
            snapshots.publish(outputs.get(), version, merged, version, calibration);
            own = replica.publishedSnapshot(version);
            group.offer(own);
        }
        if (newRecords > 0 || snapshot) {
            ProducerRecord<byte[], byte[]> record = params.record(own);
            outputs.get().send(record);
            metrics.onPublished(record.value().length);
        }
        learner.loadModelState(merged);
        publishedRecords = recordsSeen;
        metrics.onGroupModel(group.recordsCounted(), group.members());
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
