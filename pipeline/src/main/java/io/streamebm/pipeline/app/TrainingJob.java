package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodingStage;
import io.streamebm.connectors.KafkaReceiver;
import io.streamebm.connectors.Rejection;
import org.apache.kafka.common.TopicPartition;
import io.streamebm.connectors.ReceiverOptions;
import io.streamebm.connectors.codec.DecodeReason;
import io.streamebm.connectors.dlq.DeadLetterCounts;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import io.streamebm.monitoring.Monitoring;
import io.streamebm.monitoring.MonitoringOptions;
import io.streamebm.pipeline.calibration.EnergyPercentiles;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.drift.Drift;
import io.streamebm.pipeline.drift.DriftOptions;
import io.streamebm.pipeline.drift.DriftReaction;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.quality.ProbedLearner;
import io.streamebm.pipeline.quality.QualityProbe;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerListener;
import io.streamebm.pipeline.train.TrainerOptions;
import io.streamebm.telemetry.StepRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Sinks;

/**
 * One training run against a Kafka cluster: consume the input topic, decode (dead-lettering bad
 * records), train online with checkpoints and exactly-once model state, publish snapshots, and
 * serve metrics. {@link #run} blocks until {@link #stop()} or the record limit; either way the
 * last checkpoint is written before it returns.
 *
 * <p>Over 400 lines because it is the one place where every part is wired; each part's logic lives
 * in its own type ({@link OnlineTrainer}, {@link GroupSync}, {@link TransactionalOutputs}, ...).
 */
public final class TrainingJob implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    /**
     * How a run ended.
     *
     * @param history         the step records, evenly thinned to at most a few thousand entries
     * @param untilFirstUpdate from the start of consumption to the first update (zero if none)
     * @param training        from the first update to the end of the run (zero if none)
     */
    public record Summary(long steps, long recordsSeen, List<StepRecord> history, Duration untilFirstUpdate,
            Duration training) {
    }

    private final PipelineConfig config;
    private final PrintStream out;
    private final Sinks.Empty<Void> stopSignal = Sinks.empty();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final EbmLearner learner;
    private final OnlineTrainer trainer;
    private final Monitoring monitoring;
    private volatile TransactionalOutputs outputs;
    private final SnapshotPublisher snapshots;
    /** The most bytes one snapshot of this model takes. */
    private final int snapshotBytes;
    private final DriftPublisher driftEvents;
    /** This member's side of the group's model with scale-out, else null. */
    private final GroupSync groupSync;
    private final StepHistory history = new StepHistory(4096);
    private final BrokerWatch brokerWatch;
    private final java.util.List<QualityProbe.Measurement> quality = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile QualityProbe.Measurement latestQuality;
    private volatile KafkaReceiver receiver;

    /**
     * Builds every part; nothing is consumed before {@link #run}.
     *
     * @param out where progress lines and notices go
     */
    public TrainingJob(PipelineConfig config, PrintStream out) {
        this(config, out, java.util.function.UnaryOperator.identity());
    }

    /**
     * Like {@link #TrainingJob(PipelineConfig, PrintStream)}, with the trainer driving
     * {@code decorate.apply(learner)}: a hook to observe or perturb updates (tests inject faults).
     */
    public TrainingJob(PipelineConfig config, PrintStream out,
            java.util.function.UnaryOperator<io.streamebm.pipeline.train.Learner> decorate) {
        config = GroupSync.memberShare(config);
        this.config = config;
        this.out = out;
        String bootstrap = config.string("kafka.bootstrap-servers");
        if (bootstrap.isEmpty()) {
            throw new io.streamebm.pipeline.config.ConfigException(List.of(
                    "kafka.bootstrap-servers is missing: pass --bootstrap-server HOST:PORT"));
        }
        java.util.Optional<SnapshotSigner> signer = SnapshotSigner.fromConfig(config, System.getenv());
        signer.ifPresent(s -> out.println("signing snapshots: " + s));
        this.learner = new EbmLearner(config);
        this.monitoring = Monitoring.start(MonitoringOptions.builder()
                        .host(config.string("metrics.host"))
                        .port(config.integer("metrics.port"))
                        .build(),
                config.string("model.name"), config.string("loss.type"), bootstrap,
                config.clientProperties(PipelineConfig.CONSUMER_PREFIX));
        // Every labelled series from the first scrape on, at zero: the closed sets of dead-letter
        // reasons and divergence reactions are known here, not in monitoring.
        monitoring.training().declareRecordReasons(DecodeReason.tags());
        monitoring.training().declareDivergenceReactions(
                java.util.Arrays.stream(TrainerOptions.Reaction.values()).map(TrainerOptions.Reaction::label).toList());
        this.brokerWatch = BrokerWatch.start(bootstrap, () -> monitoring.health().broker(),
                message -> LOG.warn(message), out::println);
        out.println(startupLine(config, monitoring.server().baseUri() + "/metrics"));
        this.driftEvents = new DriftPublisher(config);
        this.snapshots = new SnapshotPublisher(config, learner.architecture(), signer,
                monitoring.training()::onModelVersion);
        this.snapshotBytes = snapshots.maxRecordBytes(learner.modelState());
        this.groupSync = config.bool("scale-out.enabled")
                ? new GroupSync(config, KafkaParts.memberName(config), learner.architecture(), snapshots, () -> outputs,
                        monitoring.group())
                : null;
        FileCheckpointStore store = new FileCheckpointStore(Path.of(config.string("checkpoint.dir")),
                config.integer("checkpoint.keep"),
                (id, reason) -> out.println("checkpoint " + id + " skipped: " + reason + "; trying the previous one"));
        // The outputs' transaction commits first in every checkpoint; it opens when run() starts.
        // The probe wraps outermost, so a decorator still receives the EbmLearner itself.
        this.trainer = new OnlineTrainer(probed(config, learner, decorate.apply(learner)), store,
                trainerOptions(config), new Listener(),
                positions -> {
                    TransactionalOutputs o = outputs;
                    if (o != null) {
                        o.commit(positions);
                    }
                }, groupSync == null ? io.streamebm.pipeline.train.SharedModel.NONE : groupSync);
    }

    /** What the job is connected to, in one line, so that a wrong address is obvious at start-up. */
    static String startupLine(PipelineConfig c, String metricsUrl) {
        return "training from Kafka " + c.string("kafka.bootstrap-servers")
                + ", topic " + c.string("kafka.topic")
                + ", group " + c.string("kafka.group")
                + "; checkpoints in " + Path.of(c.string("checkpoint.dir")).toAbsolutePath().normalize()
                + "; metrics at " + metricsUrl
                + (c.bool("scale-out.enabled") ? "; scale-out as member " + KafkaParts.memberName(c) + " over "
                        + GroupSync.paramsTopic(c) + " (" + c.string("scale-out.merge") + " every "
                        + c.integer("scale-out.sync-every-steps") + " updates; micro-batches of " + c.integer("batch.max-size")
                        + ", " + c.integer("loss.chains") + " chains)" : "");
    }

    /** {@code driven} with the quality probe of {@code l} attached, or {@code driven} itself when probing is off. */
    private io.streamebm.pipeline.train.Learner probed(PipelineConfig c, EbmLearner l,
            io.streamebm.pipeline.train.Learner driven) {
        int every = c.integer("quality.every-steps");
        if (every == 0) {
            return driven;
        }
        String reference = c.string("quality.reference");
        KnownDensity known = reference.equals("none") ? null : KnownDensity.of(reference).orElseThrow();
        QualityProbe probe = new QualityProbe(every, c.integer("quality.window"), l.model(), l::persistentChains,
                c.number("sampler.step-size"), known, c.longValue("seed") + 3, this::onModelQuality);
        return new ProbedLearner(driven, probe, () -> trainer.step() + 1);
    }

    /**
     * The one place that receives each quality measurement (on the trainer thread): kept for the
     * progress line and the plots. It feeds the {@code ebm_model_mmd} gauge too.
     */
    private void onModelQuality(QualityProbe.Measurement m) {
        latestQuality = m;
        quality.add(m);
        monitoring.training().onModelQuality(m.mmd());
    }

    /** Every quality measurement of this job so far, oldest first. */
    public java.util.List<QualityProbe.Measurement> qualityHistory() {
        return java.util.List.copyOf(quality);
    }

    /** The newest quality measurement, if any. */
    public java.util.Optional<QualityProbe.Measurement> latestQuality() {
        return java.util.Optional.ofNullable(latestQuality);
    }

    /** The trainer options a configuration implies. */
    static TrainerOptions trainerOptions(PipelineConfig c) {
        TrainerOptions.Builder options = TrainerOptions.builder()
                .maxBatchSize(c.integer("batch.max-size"))
                .maxWait(c.duration("batch.max-wait"))
                .checkpointEverySteps(c.integer("checkpoint.every-steps"))
                .checkpointInterval(c.duration("checkpoint.interval"))
                .snapshotEverySteps(c.integer("snapshot.every-steps"))
                .goodStateEverySteps(c.integer("divergence.good-state-every"))
                .energyBound(c.number("divergence.energy-bound"))
                .reaction(c.choice("divergence.reaction", TrainerOptions.Reaction.class))
                .learningRateFactor(c.number("divergence.lr-factor"))
                .learningRateRecoverySteps(c.integer("divergence.lr-recovery-steps"))
                .freshStart(c.bool("checkpoint.fresh-start"))
                .calibrationWindowRecords(c.longValue("calibration.window-records"))
                .calibrationEveryBatches(c.integer("calibration.every-batches"));
        if (c.bool("drift.enabled")) {
            options.drift(DriftOptions.fromConfig(c));
        }
        return options.build();
    }

    private final class Listener implements TrainerListener {
        @Override
        public void checkpointed(long step, Duration took) {
            monitoring.training().onCheckpoint(took);
            if (groupSync == null) {
                monitoring.group().onGroupModel(trainer.recordsSeen(), 1); // alone, the group's model is this one
            }
        }

        @Override
        public void checkpointFailed(long step, Exception error, int failuresInARow, Duration retryIn) {
            monitoring.training().onCheckpointFailed();
            // ERROR: a trainer that cannot checkpoint commits nothing, and a crash would replay all since.
            String line = String.format("ERROR checkpoint at step %d failed (%d in a row): %s; retrying in %.1f s;"
                    + " nothing newer is committed until one succeeds", step, failuresInARow, error,
                    retryIn.toMillis() / 1000.0);
            LOG.error(line);
        }

        @Override
        public void diverged(long step, String reason, String reaction) {
            monitoring.training().onDivergence(reaction);
            out.println("step " + step + " rolled back: " + reason + "; reaction: " + reaction);
        }

        @Override
        public void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen,
                java.util.Optional<EnergyPercentiles> calibration) {
            if (groupSync == null) { // with scale-out, the group's snapshots come from GroupSync
                snapshots.publish(outputs, version, modelState, recordsSeen, calibration);
            }
        }

        @Override
        public void drifted(long step, long recordsSeen, Drift drift, String detector, DriftReaction reaction) {
            LOG.warn(driftEvents.publish(outputs, step, recordsSeen, drift, detector, reaction).logLine());
            monitoring.drift().onDrift();
        }

        @Override
        public void restored(long step, long recordsSeen, Map<String, Long> positions) {
            if (step > 0) {
                out.println("resumed from checkpoint at step " + step + " (" + recordsSeen + " records), positions "
                        + positions);
            }
        }
    }

    /**
     * Trains until {@link #stop()} or until {@code maxRecords} records are counted (0: no limit).
     * Writes the final checkpoint before returning.
     */
    public Summary run(long maxRecords) {
        trainer.restore();
        if (maxRecords > 0 && trainer.recordsSeen() >= maxRecords) {
            return new Summary(trainer.step(), trainer.recordsSeen(), history.snapshot(), Duration.ZERO, Duration.ZERO);
        }
        String topic = config.string("kafka.topic");
        DeadLetterCounts counts = new DeadLetterCounts();
        counts.addListener(reason -> {
            // Consumed counts every record read, bad ones too (the steps count only the valid
            // ones), so that the dead-letter alert's ratio is a share of the input.
            monitoring.training().onRecordsConsumed(1);
            monitoring.training().onRecordRejected(reason);
            monitoring.training().onRecordDeadLettered(reason);
        });
        TransactionalOutputs o = openOutputs();
        if (o == null) {
            return new Summary(trainer.step(), trainer.recordsSeen(), history.snapshot(), Duration.ZERO, Duration.ZERO);
        }
        outputs = o;
        monitoring.bindKafkaClient(o.producer());
        // Dead letters are written by the trainer, into the transaction that commits their offsets.
        DecodingStage stage = DecodingStage.deferringDeadLetters(KafkaParts.decoder(config));
        java.util.function.Function<Rejection, Runnable> deadLetter = r -> () -> {
            TopicPartition tp = new TopicPartition(r.record().topic(), r.record().partition());
            if (!o.alreadyWritten(tp, r.record().offset())) {
                o.send(DeadLetterPublisher.deadLetterOf(r.record(), r.reason(), r.detail()));
            }
            counts.increment(r.reason().tag());
        };
        receiver = KafkaReceiver.create(ReceiverOptions.builder()
                .bootstrapServers(config.string("kafka.bootstrap-servers"))
                .groupId(config.string("kafka.group"))
                .topics(topic)
                .properties(KafkaParts.staticMembership(config, "trainer"))
                .properties(KafkaParts.consumerProperties(config, "streamebm-trainer"))
                // The model's own positions decide where each partition resumes, at start and at
                // every rebalance; revoked partitions are made durable before they are released.
                .onAssigned(assigned -> KafkaParts.seekTargets(assigned,
                        trainer.resume(KafkaParts.sourceKeys(assigned))))
                .onPositioned(starts -> trainer.startAt(KafkaParts.sourcePositions(starts)))
                .onRevoked(revoked -> trainer.release(KafkaParts.sourceKeys(revoked)))
                // Lost partitions may be read by their next owner already: with scale-out the
                // trainer stops instead of publishing what it learned from them.
                .onLost(lost -> trainer.lose(KafkaParts.sourceKeys(lost)))
                .onConsumerCreated(monitoring::bindKafkaClient)
                // Offsets are committed inside the output transactions, at each checkpoint.
                .commitOffsets(false)
                .build());
        if (groupSync != null) {
            // With a shared model the group's offsets are the positions of record: they must carry
            // this member's generation, so that the broker fences a member the group has expelled.
            o.fencedByTheGroup(receiver::groupMetadata);
        }
        Progress progress = new Progress(out, receiver::lag, this::latestQuality);
        long startedNanos = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong firstNanos = new java.util.concurrent.atomic.AtomicLong();
        try {
            trainer.train(receiver.receive()
                            .concatMap(stage::decode, 1)
                            .map(b -> KafkaParts.toInput(b, deadLetter))
                            .takeUntilOther(stopSignal.asMono()), maxRecords)
                    .doOnNext(r -> {
                        monitoring.training().onStep(r);
                        monitoring.training().onRecordsConsumed(r.batchSize());
                        history.add(r);
                        if (firstNanos.compareAndSet(0, System.nanoTime())) {
                            out.printf("first update: step %d, %d ms after the consumer started%n", r.step(),
                                    (System.nanoTime() - startedNanos) / 1_000_000);
                        }
                        progress.onStep(r);
                        if (maxRecords > 0 && trainer.recordsSeen() >= maxRecords) {
                            stop();
                        }
                    })
                    .blockLast();
        } catch (RuntimeException e) {
            // The open transaction would hold back every read_committed reader of the topics it
            // wrote to (the params topic: the whole group) until the broker's timeout; abort it now.
            o.close();
            throw e;
        }
        receiver.closed().block(Duration.ofSeconds(30));
        long endNanos = System.nanoTime();
        progress.print();
        if (groupSync != null) {
            try {
                trainer.onThread(() -> {
                    groupSync.readNewest();
                    return null;
                });
            } catch (java.io.UncheckedIOException e) {
                LOG.warn("could not read the params topic for the final count: {}", e.getMessage());
            }
            int members = groupSync.groupMembers();
            out.printf("group model: %d records counted by %d member%s, %d of them by this member%n",
                    groupSync.groupRecordsCounted(), members, members == 1 ? "" : "s", trainer.recordsSeen());
        }
        long firstAt = firstNanos.get() == 0 ? endNanos : firstNanos.get();
        return new Summary(trainer.step(), trainer.recordsSeen(), history.snapshot(),
                Duration.ofNanos(firstAt - startedNanos), Duration.ofNanos(endNanos - firstAt));
    }

    /**
     * Opens the output transactions, retrying every 5 s while the broker cannot be reached (the
     * broker watch warns meanwhile).
     *
     * @return the outputs, or null when the job was stopped first
     */
    private TransactionalOutputs openOutputs() {
        Duration timeout = transactionTimeout(config);
        String member = KafkaParts.memberName(config);
        while (!stopped.get()) {
            try {
                Map<String, Object> producer = new java.util.HashMap<>(config.clientProperties(PipelineConfig.PRODUCER_PREFIX));
                // A snapshot or a contribution is as large as the model (68 KB for 2-128-128-1, 4 MB
                // for a million parameters), and both are sized alike; the producer's default limit is 1 MiB.
                producer.putIfAbsent("max.request.size", SizedTopic.createdLimit(snapshotBytes));
                if (!snapshots.topic().isEmpty()) {
                    SizedTopic.ensure(config.string("kafka.bootstrap-servers"), KafkaParts.adminProperties(config),
                            snapshots.topic(), SizedTopic.Use.SNAPSHOTS, snapshotBytes, timeout);
                }
                OutputTopics.ensure(config, outputTopics(), timeout);
                return TransactionalOutputs.open(config.string("kafka.bootstrap-servers"), config.string("kafka.group"),
                        member + "-outputs", producer,
                        KafkaParts.adminProperties(config), timeout);
            } catch (TransactionalOutputs.OutputsLostException | java.io.UncheckedIOException e) {
                if (refusedByTheCluster(e)) {
                    throw e; // a wrong password or a missing ACL does not heal by waiting
                }
                LOG.warn("cannot open the output transactions yet: {}; retrying in 5 s", e.getMessage());
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        return null;
    }

    /** The topics the trainer writes besides snapshots and contributions: dead letters, drift events. */
    private List<String> outputTopics() {
        List<String> topics = new java.util.ArrayList<>();
        topics.add(config.string("kafka.topic") + DeadLetterPublisher.DEFAULT_SUFFIX);
        if (config.bool("drift.enabled")) {
            topics.add(DriftOptions.fromConfig(config).eventsTopic());
        }
        return topics;
    }

    private static boolean refusedByTheCluster(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.AuthenticationException
                    || t instanceof org.apache.kafka.common.errors.AuthorizationException) {
                return true;
            }
        }
        return false;
    }

    /** Transactions stay open between checkpoints: allow twice the checkpoint interval, 1 to 15 minutes. */
    static Duration transactionTimeout(PipelineConfig c) {
        Duration twice = c.duration("checkpoint.interval").multipliedBy(2);
        Duration min = Duration.ofMinutes(1);
        Duration max = Duration.ofMinutes(15);
        return twice.compareTo(min) < 0 ? min : twice.compareTo(max) > 0 ? max : twice;
    }

    /** Asks the run to end cleanly: stop consuming, train what is buffered, checkpoint, commit. */
    public void stop() {
        if (stopped.compareAndSet(false, true)) {
            stopSignal.tryEmitEmpty();
        }
    }

    /** The counters of the Kafka receiver of the current or last run, if one started. */
    public java.util.Optional<io.streamebm.connectors.ReceiverStats> receiverStats() {
        KafkaReceiver r = receiver;
        return r == null ? java.util.Optional.empty() : java.util.Optional.of(r.stats());
    }

    /** The consumer lag per assigned partition of the current or last run (empty before it starts). */
    public Map<TopicPartition, Long> receiverLag() {
        KafkaReceiver r = receiver;
        return r == null ? Map.of() : r.lag();
    }

    /** The trainer (for plots and tests, on its own thread via {@link OnlineTrainer#onThread}). */
    public OnlineTrainer trainer() {
        return trainer;
    }

    /** The learner the trainer owns. */
    public EbmLearner learner() {
        return learner;
    }

    /** The metrics and health endpoints of this run. */
    public Monitoring monitoring() {
        return monitoring;
    }

    @Override
    public void close() {
        stop();
        brokerWatch.close();
        TransactionalOutputs o = outputs;
        if (o != null) {
            o.close();
        }
        monitoring.close();
        trainer.close();
        if (groupSync != null) {
            groupSync.close();
        }
    }
}
