package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodingStage;
import io.streamebm.connectors.KafkaReceiver;
import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.ReceiverOptions;
import io.streamebm.connectors.dlq.DeadLetterCounts;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import io.streamebm.core.StepResult;
import io.streamebm.monitoring.Monitoring;
import io.streamebm.monitoring.MonitoringOptions;
import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.checkpoint.FileCheckpointStore;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.quality.KnownDensity;
import io.streamebm.pipeline.quality.ProbedLearner;
import io.streamebm.pipeline.quality.QualityProbe;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.OnlineTrainer;
import io.streamebm.pipeline.train.TrainerOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.nd4j.linalg.api.ndarray.INDArray;
import reactor.core.publisher.Sinks;

/**
 * One training run against a Kafka cluster: consume the input topic, decode (dead-lettering bad
 * records), train online with checkpoints and exactly-once model state, publish snapshots, and
 * serve metrics. {@link #run} blocks until {@link #stop()} or the record limit; either way the
 * last checkpoint is written before it returns.
 */
public final class TrainingJob implements AutoCloseable {

    /**
     * How a run ended.
     *
     * @param history         the step results, evenly thinned to at most a few thousand entries
     * @param untilFirstUpdate from the start of consumption to the first update (zero if none)
     * @param training        from the first update to the end of the run (zero if none)
     */
    public record Summary(long steps, long recordsSeen, List<StepResult> history, Duration untilFirstUpdate,
            Duration training) {
    }

    private final PipelineConfig config;
    private final PrintStream out;
    private final Sinks.Empty<Void> stopSignal = Sinks.empty();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final EbmLearner learner;
    private final OnlineTrainer trainer;
    private final Monitoring monitoring;
    private final KafkaSender sender;
    private final StepHistory history = new StepHistory(4096);
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
        this.config = config;
        this.out = out;
        String bootstrap = config.string("kafka.bootstrap-servers");
        if (bootstrap.isEmpty()) {
            throw new io.streamebm.pipeline.config.ConfigException(List.of(
                    "kafka.bootstrap-servers is missing: pass --bootstrap-server HOST:PORT"));
        }
        this.learner = new EbmLearner(config);
        this.monitoring = Monitoring.start(MonitoringOptions.builder()
                        .host(config.string("metrics.host"))
                        .port(config.integer("metrics.port"))
                        .build(),
                config.string("model.name"), config.string("loss.type"), bootstrap);
        this.sender = KafkaParts.sender(config, "streamebm-trainer-producer");
        monitoring.bindKafkaClient(sender.producer());
        FileCheckpointStore store = new FileCheckpointStore(Path.of(config.string("checkpoint.dir")),
                config.integer("checkpoint.keep"),
                (id, reason) -> out.println("checkpoint " + id + " skipped: " + reason + "; trying the previous one"));
        // The probe wraps outermost, so a decorator still receives the EbmLearner itself.
        this.trainer = new OnlineTrainer(probed(config, learner, decorate.apply(learner)), store,
                trainerOptions(config), new Listener());
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
     * progress line and the plots. The {@code ebm_model_mmd} gauge belongs here too.
     */
    private void onModelQuality(QualityProbe.Measurement m) {
        latestQuality = m;
        quality.add(m);
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
        return TrainerOptions.builder()
                .maxBatchSize(c.integer("batch.max-size"))
                .maxWait(c.duration("batch.max-wait"))
                .checkpointEverySteps(c.integer("checkpoint.every-steps"))
                .checkpointInterval(c.duration("checkpoint.interval"))
                .snapshotEverySteps(c.integer("snapshot.every-steps"))
                .goodStateEverySteps(c.integer("divergence.good-state-every"))
                .energyBound(c.number("divergence.energy-bound"))
                .reaction(TrainerOptions.Reaction.parse(c.string("divergence.reaction")))
                .learningRateFactor(c.number("divergence.lr-factor"))
                .freshStart(Boolean.parseBoolean(c.string("checkpoint.fresh-start")))
                .build();
    }

    private final class Listener implements OnlineTrainer.Listener {
        @Override
        public void checkpointed(long step, Duration took) {
            monitoring.training().onCheckpoint(took);
        }

        @Override
        public void diverged(long step, String reason, String reaction) {
            monitoring.training().onDivergence(reaction);
            out.println("step " + step + " rolled back: " + reason + "; reaction: " + reaction);
        }

        @Override
        public void snapshotDue(long version, Map<String, INDArray> modelState, long recordsSeen) {
            publishSnapshot(trainer.step(), modelState, recordsSeen);
        }

        @Override
        public void restored(long step, long recordsSeen, Map<String, Long> positions) {
            if (step > 0) {
                out.println("resumed from checkpoint at step " + step + " (" + recordsSeen + " records), positions "
                        + positions);
            }
        }
    }

    private void publishSnapshot(long version, Map<String, INDArray> params, long recordsSeen) {
        String topic = config.string("snapshot.topic");
        if (topic.isEmpty()) {
            return;
        }
        Map<String, String> meta = new LinkedHashMap<>(learner.shape());
        meta.put("model.name", config.string("model.name"));
        meta.put("version", Long.toString(version));
        byte[] value;
        try {
            value = CheckpointFormat.encode(new Checkpoint(version, recordsSeen, Map.of(), meta, params));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot encode snapshot " + version, e);
        }
        byte[] key = config.string("model.name").getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, value);
        record.headers().add("content-type", ModelSnapshots.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        sender.send(record).subscribe(
                md -> monitoring.training().onModelVersion(version),
                e -> out.println("snapshot " + version + " was not published: " + e));
    }

    /**
     * Trains until {@link #stop()} or until {@code maxRecords} records are counted (0: no limit).
     * Writes the final checkpoint before returning.
     */
    public Summary run(long maxRecords) {
        Map<String, Long> positions = trainer.restore();
        if (maxRecords > 0 && trainer.recordsSeen() >= maxRecords) {
            return new Summary(trainer.step(), trainer.recordsSeen(), history.snapshot(), Duration.ZERO, Duration.ZERO);
        }
        String topic = config.string("kafka.topic");
        DeadLetterCounts counts = new DeadLetterCounts();
        counts.addListener(reason -> {
            monitoring.training().onRecordRejected(reason);
            monitoring.training().onRecordDeadLettered(reason);
        });
        DecodingStage stage = new DecodingStage(KafkaParts.decoder(config), new DeadLetterPublisher(sender, counts));
        receiver = KafkaReceiver.create(ReceiverOptions.builder()
                .bootstrapServers(config.string("kafka.bootstrap-servers"))
                .groupId(config.string("kafka.group"))
                .topics(topic)
                .properties(KafkaParts.consumerProperties(config, "streamebm-trainer"))
                .onAssigned(assigned -> KafkaParts.seekTargets(assigned, positions))
                .onConsumerCreated(monitoring::bindKafkaClient)
                .build());
        Progress progress = new Progress(out, receiver::lag, this::latestQuality);
        long startedNanos = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong firstNanos = new java.util.concurrent.atomic.AtomicLong();
        trainer.train(receiver.receive()
                        .concatMap(stage::decode, 1)
                        .map(KafkaParts::toInput)
                        .takeUntilOther(stopSignal.asMono()))
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
        receiver.closed().block(Duration.ofSeconds(30));
        long endNanos = System.nanoTime();
        progress.print();
        long firstAt = firstNanos.get() == 0 ? endNanos : firstNanos.get();
        return new Summary(trainer.step(), trainer.recordsSeen(), history.snapshot(),
                Duration.ofNanos(firstAt - startedNanos), Duration.ofNanos(endNanos - firstAt));
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
        sender.close();
        monitoring.close();
        trainer.close();
    }
}
