package io.streamebm.pipeline.app;

import io.streamebm.connectors.DecodedBatch;
import io.streamebm.connectors.DecodedSample;
import io.streamebm.connectors.DecodingStage;
import io.streamebm.connectors.KafkaReceiver;
import io.streamebm.connectors.PartitionKeys;
import io.streamebm.connectors.Rejection;
import io.streamebm.connectors.ReceiverOptions;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Scoring: follows the newest model snapshot of the configured model name and writes the energy
 * of every record of the input topic to the score topic, as JSON
 * {@code {"energy":E,"topic":T,"partition":P,"offset":O,"modelVersion":V,"percentile":Q,"anomaly":A}}
 * keyed like the input ({@link ScoreJson}). Higher energy means less likely under the model: an
 * anomaly score. Its scale moves as the model trains, so each record also gets its percentile, its
 * rank among the recent training energies the snapshot carries, and is an anomaly from
 * {@code scoring.anomaly-percentile} on. Records that arrive before any snapshot wait for the
 * first one.
 *
 * <p>Scores are written once: each input batch's scores and dead letters go out in one Kafka
 * transaction that also commits the batch's input offsets (consume-transform-produce with
 * {@code sendOffsetsToTransaction}). After a crash, the transaction it left open is aborted and
 * scoring resumes at the last committed offsets, so a {@code read_committed} reader sees every
 * score once. Snapshots are read {@code read_committed} too: the trainer writes them in
 * transactions, and an aborted one must never become the model.
 *
 * <p>Every snapshot goes through a {@link SnapshotValidator} before it replaces the model: a
 * refused one is logged in one line naming why, counted by reason ({@link #rejectedSnapshots()},
 * and in the summary {@code score} prints), and skipped; scoring goes on with the last good model.
 * A non-finite energy is written as described in {@link ScoreJson}.
 */
public final class ScoreJob implements AutoCloseable {

    private final PipelineConfig config;
    private final BatchScorer scorer;
    private final PrintStream out;
    private final AtomicReference<ModelSnapshots.Snapshot> current = new AtomicReference<>();
    private final Sinks.Empty<Void> stopSignal = Sinks.empty();
    private volatile TransactionalOutputs outputs;
    private final Scheduler thread = Schedulers.newSingle("streamebm-scorer");
    private final AtomicLong scored = new AtomicLong();
    private final SnapshotValidator validator;
    private final Map<SnapshotValidator.Reason, AtomicLong> rejected = new EnumMap<>(SnapshotValidator.Reason.class);

    /** @param out where notices go */
    public ScoreJob(PipelineConfig config, PrintStream out) {
        this.config = config;
        this.scorer = new BatchScorer(config.number("scoring.anomaly-percentile"));
        this.out = out;
        this.validator = SnapshotValidator.fromConfig(config, SnapshotSigner.fromConfig(config, System.getenv()));
        for (SnapshotValidator.Reason r : SnapshotValidator.Reason.values()) {
            rejected.put(r, new AtomicLong());
        }
    }

    /** Scores until {@link #stop()} or until {@code maxRecords} records are scored (0: no limit). */
    public long run(long maxRecords) {
        String bootstrap = config.string("kafka.bootstrap-servers");
        String modelName = config.string("model.name");
        KafkaReceiver snapshots = KafkaReceiver.create(ReceiverOptions.builder()
                .bootstrapServers(bootstrap)
                .groupId(config.string("kafka.group") + "-snapshots-" + System.nanoTime())
                .topics(config.string("snapshot.topic"))
                .properties(KafkaParts.consumerProperties(config, "streamebm-scorer-snapshots"))
                .property("enable.auto.commit", false)
                .property("isolation.level", "read_committed")
                .commitOffsets(false)
                .build());
        Flux<Void> follow = snapshots.receive()
                .publishOn(thread)
                .doOnNext(batch -> {
                    for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
                        if (r.key() != null && modelName.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                            accept(r);
                        }
                    }
                    batch.acknowledge();
                })
                .then().flux();

        String group = config.string("kafka.group") + "-scorer";
        OutputTopics.ensure(config, List.of(config.string("score.topic"),
                config.string("kafka.topic") + DeadLetterPublisher.DEFAULT_SUFFIX), Duration.ofMinutes(1));
        outputs = TransactionalOutputs.open(bootstrap, group, KafkaParts.memberName(config) + "-scorer",
                config.clientProperties(PipelineConfig.PRODUCER_PREFIX), KafkaParts.adminProperties(config),
                Duration.ofMinutes(1));
        // Dead letters go into the same transaction as the batch's scores and offsets.
        DecodingStage stage = DecodingStage.deferringDeadLetters(KafkaParts.decoder(config));
        KafkaReceiver input = KafkaReceiver.create(ReceiverOptions.builder()
                .bootstrapServers(bootstrap)
                .groupId(group)
                .topics(config.string("kafka.topic"))
                .properties(KafkaParts.staticMembership(config, "scorer"))
                .properties(KafkaParts.consumerProperties(config, "streamebm-scorer"))
                .commitOffsets(false)
                .build());
        Flux<Void> scoring = input.receive()
                .concatMap(stage::decode, 1)
                .concatMap(b -> waitForModel().then(Mono.defer(() -> score(b,
                        maxRecords > 0 ? maxRecords - scored.get() : Long.MAX_VALUE))), 1)
                .doOnNext(n -> {
                    if (maxRecords > 0 && scored.get() >= maxRecords) {
                        stop();
                    }
                })
                .then().flux();
        Flux.merge(follow, scoring).takeUntilOther(stopSignal.asMono()).blockLast();
        snapshots.closed().block(Duration.ofSeconds(30));
        input.closed().block(Duration.ofSeconds(30));
        return scored.get();
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
        ModelSnapshots.Snapshot prev = current.get();
        Header signature = r.headers().lastHeader(SnapshotSigner.HEADER);
        try {
            ModelSnapshots.Snapshot s = validator.check(r.value(), signature == null ? null : signature.value(),
                    prev == null ? -1 : prev.version());
            if (prev == null || s.version() > prev.version()) {
                current.set(s);
                out.println("scoring with model version " + s.version() + s.calibration()
                        .map(c -> ", calibrated on " + c.records() + " recent training energies")
                        .orElse(", without calibration (percentile and anomaly are null)"));
            }
        } catch (SnapshotValidator.Rejected e) {
            rejected.get(e.reason()).incrementAndGet();
            out.println("snapshot at offset " + r.offset() + " rejected, " + e.getMessage() + "; "
                    + (prev == null ? "waiting for a valid one" : "scoring goes on with version " + prev.version()));
        }
    }

    private Mono<Void> waitForModel() {
        return Mono.defer(() -> current.get() != null ? Mono.empty()
                : Mono.delay(Duration.ofMillis(100)).then(waitForModel()));
    }

    /**
     * Scores one batch, or its first {@code room} samples, and commits their scores, the dead
     * letters before them and the offsets after them in one transaction. What lies beyond the cut
     * is not committed, so the next run starts there: {@code --records N} scores exactly N.
     */
    private Mono<Long> score(DecodedBatch batch, long room) {
        return Mono.fromCallable(() -> {
            ScoredPart part = ScoredPart.of(batch, room);
            List<ProducerRecord<byte[], byte[]>> records = scores(part.samples());
            for (Rejection r : batch.rejections()) {
                if (part.covers(r.record().topic(), r.record().partition(), r.record().offset())) {
                    outputs.send(DeadLetterPublisher.deadLetterOf(r.record(), r.reason(), r.detail()));
                }
            }
            for (ProducerRecord<byte[], byte[]> record : records) {
                outputs.send(record);
            }
            outputs.commit(part.positions());
            // Counted as soon as they are committed, so a stop right after still reports them.
            scored.addAndGet(records.size());
            return (long) records.size();
        }).subscribeOn(thread)
                .doOnSuccess(n -> batch.acknowledge());
    }

    /**
     * The part of a batch a run scores: its first {@code room} samples, and per partition the
     * position after them (the batch's end for a partition with no sample left out, else the
     * first sample left out).
     */
    private record ScoredPart(List<DecodedSample> samples, Map<String, Long> positions) {

        static ScoredPart of(DecodedBatch batch, long room) {
            List<DecodedSample> all = batch.samples();
            if (all.size() <= room) {
                return new ScoredPart(all, batch.sourcePositions());
            }
            int kept = (int) room;
            Map<String, Long> positions = new HashMap<>(batch.sourcePositions());
            for (DecodedSample left : all.subList(kept, all.size())) {
                positions.merge(PartitionKeys.key(new TopicPartition(left.topic(), left.partition())),
                        left.offset(), Math::min);
            }
            return new ScoredPart(all.subList(0, kept), positions);
        }

        /** Whether the record at {@code offset} lies before this part's position of its partition. */
        boolean covers(String topic, int partition, long offset) {
            Long end = positions.get(PartitionKeys.key(new TopicPartition(topic, partition)));
            return end != null && offset < end;
        }
    }

    /** The score records of samples, computed with the current model. */
    private List<ProducerRecord<byte[], byte[]>> scores(List<DecodedSample> samples) {
        List<String> json = scorer.score(current.get(), samples);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            records.add(new ProducerRecord<>(config.string("score.topic"), samples.get(i).key(),
                    json.get(i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    /** The number of records scored so far. */
    public long scored() {
        return scored.get();
    }

    /** Snapshots refused so far, by reason (every reason present, zero included). */
    public Map<SnapshotValidator.Reason, Long> rejectedSnapshots() {
        Map<SnapshotValidator.Reason, Long> m = new EnumMap<>(SnapshotValidator.Reason.class);
        rejected.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Ends the run cleanly. */
    public void stop() {
        stopSignal.tryEmitEmpty();
    }

    @Override
    public void close() {
        stop();
        TransactionalOutputs o = outputs;
        if (o != null) {
            o.close();
        }
        thread.dispose();
    }

}
