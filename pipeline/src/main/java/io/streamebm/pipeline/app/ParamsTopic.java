package io.streamebm.pipeline.app;

import io.streamebm.pipeline.checkpoint.Checkpoint;
import io.streamebm.pipeline.checkpoint.CheckpointFormat;
import io.streamebm.pipeline.scaleout.Contribution;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compacted topic where the members of a group publish their {@link Contribution}s, keyed by
 * member: its creation, the record format, and a {@code read_committed} reader that follows it
 * from the beginning. Contributions go out through the member's output transaction (the caller
 * sends {@link #record}), so a reader sees one only together with the offsets it covers.
 *
 * <p>Record value: the checkpoint format ({@link CheckpointFormat}, SHA-256 trailer) with the
 * contribution's records as {@code recordsSeen}, its summed updates as arrays, and in the metadata
 * the member, its newest snapshot version and the model's architecture and seed, which every
 * member must share. A record that does not decode, or comes from another model, is logged and
 * skipped: it cannot stop the group. With a signing key ({@code snapshot.signing-key-file}), every
 * contribution carries its HMAC-SHA256 in the {@value SnapshotSigner#HEADER} header, and one
 * without a valid signature, written by anyone who lacks the key, is skipped the same way.
 *
 * <p>Only the trainer thread uses it.
 */
final class ParamsTopic implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ParamsTopic.class);

    /** Content type header of contribution records. */
    static final String CONTENT_TYPE = "application/x-streamebm-contribution";

    private static final String MEMBER = "member";
    private static final String SNAPSHOT_VERSION = "snapshot.version";
    private static final String LAST_RECORDS = "last.records";
    private static final String PUBLISHED_AT = "published.at.millis";
    /** Absent in records written before sync rounds: read as 0, a publication outside any round. */
    private static final String ROUND = "round";
    /**
     * The consumer group of the member that published. Absent in records written before it was
     * kept: read as empty, which any group accepts.
     */
    private static final String GROUP = "group";

    /**
     * A contribution read from the topic, with the model it claims to belong to and the consumer
     * group of the member that published it ({@code ""}: not recorded).
     */
    record Read(Contribution contribution, Map<String, String> model, String group) {
    }

    private final String topic;
    private final Map<String, String> model;
    private final String group;
    private final Optional<SnapshotSigner> signer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;

    /**
     * @param model the architecture and seed every contribution must carry
     * @param group  the consumer group whose members publish here
     * @param signer signs this member's contributions and verifies the others', if present
     */
    private ParamsTopic(String topic, Map<String, String> model, String group, Optional<SnapshotSigner> signer,
            KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
        this.topic = topic;
        this.model = Map.copyOf(model);
        this.group = group;
        this.signer = signer;
        this.consumer = consumer;
        this.partitions = partitions;
    }

    /**
     * Creates the topic if it is missing (compacted, one partition) and opens a reader at its beginning.
     *
     * @param consumerProps pass-through consumer properties (TLS, SASL)
     * @param adminProps    the admin client's share of them
     * @param model         architecture and seed of this member's model
     * @param group         this member's consumer group, the only one whose contributions it takes in
     * @param recordBytes   the largest contribution of this model ({@link #recordBytes})
     * @param signer        the group's signing key, if it has one
     * @throws io.streamebm.pipeline.config.ConfigException when an existing topic does not take such records
     */
    static ParamsTopic open(String bootstrap, String topic, String member, Map<String, ?> consumerProps,
            Map<String, ?> adminProps, Map<String, String> model, String group, int recordBytes,
            Optional<SnapshotSigner> signer, Duration timeout) {
        // Not left to the cluster to create on first write: that topic would not be compacted.
        SizedTopic.ensure(bootstrap, adminProps, topic, SizedTopic.Use.CONTRIBUTIONS, recordBytes, timeout);
        Map<String, Object> p = new HashMap<>();
        consumerProps.forEach((k, v) -> {
            if (!k.equals(ConsumerConfig.GROUP_ID_CONFIG) && !k.equals(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
                p.put(k, v);
            }
        });
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamebm-params-" + member);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, SizedTopic.createdLimit(recordBytes));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, SizedTopic.createdLimit(recordBytes));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            return new ParamsTopic(topic, model, group, signer, consumer, parts);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Every readable contribution committed since the last call, in topic order, up to the end the
     * topic had when this was called, each with the model it claims ({@link #sameModel}).
     *
     * @param bytesRead hears the size of every record read
     * @throws UncheckedIOException when the end is not reached within {@code timeout}
     */
    List<Read> readToEnd(Duration timeout, java.util.function.LongConsumer bytesRead) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Read> out = new ArrayList<>();
        try {
            // read_committed: the end is the last stable offset, so an open transaction is not waited for.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            while (!reached(end)) {
                if (System.nanoTime() > deadline) {
                    throw new UncheckedIOException(new IOException("the params topic " + topic
                            + " was not read to its end " + end + " within " + timeout));
                }
                out.addAll(poll(Duration.ofMillis(100), bytesRead));
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new UncheckedIOException(new IOException("cannot read the params topic " + topic + ": " + e, e));
        }
        return out;
    }

    /**
     * Waits at most {@code wait} for committed contributions published after the last read, and
     * returns those that arrived (none when the wait ran out): how a member waits for the others'
     * round without asking the broker for the topic's end again and again.
     *
     * @throws UncheckedIOException when the topic cannot be read
     */
    List<Read> poll(Duration wait, java.util.function.LongConsumer bytesRead) {
        List<Read> out = new ArrayList<>();
        try {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
                bytesRead.accept(r.serializedValueSize());
                decode(r).ifPresent(out::add);
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new UncheckedIOException(new IOException("cannot read the params topic " + topic + ": " + e, e));
        }
        return out;
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private Optional<Read> decode(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return Optional.empty(); // a tombstone: an operator removed a member's contribution
        }
        if (signer.isPresent()) {
            Header signature = r.headers().lastHeader(SnapshotSigner.HEADER);
            if (!signer.get().verifies(r.value(), signature == null ? null : signature.value())) {
                LOG.error("contribution at {}-{}@{} is {}; skipped (every member of a group needs the same signing"
                        + " key, and a group that changes its key needs a new model.name: what was signed with the old"
                        + " one no longer counts)", topic, r.partition(), r.offset(),
                        signature == null ? "not signed" : "signed with another key, or altered");
                return Optional.empty();
            }
        }
        try {
            return Optional.of(parse(r.value()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("contribution at {}-{}@{} is unreadable ({}); skipped", topic, r.partition(), r.offset(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The largest contribution of a model with these parameters: the updates have their shapes and
     * types, and the rest (names, shapes, metadata, digest) fits in {@link SizedTopic#HEADROOM_BYTES}.
     */
    static int recordBytes(Map<String, INDArray> parameters) {
        long bytes = 0;
        for (INDArray a : parameters.values()) {
            bytes += a.length() * a.dataType().width();
        }
        return SizedTopic.recordBytes(Math.toIntExact(bytes));
    }

    /** Whether {@code read} belongs to this member's model (architecture and seed). */
    boolean sameModel(Read read) {
        return read.model().equals(model);
    }

    /**
     * Whether {@code read} was published by a member of this member's consumer group. A group's
     * model counts records at that group's committed offsets: another group's contributions
     * counted records at offsets this group does not hold.
     */
    boolean sameGroup(Read read) {
        return read.group().isEmpty() || read.group().equals(group);
    }

    /** This member's architecture and seed. */
    Map<String, String> model() {
        return model;
    }

    /** Parses a record value written by {@link #record}. */
    static Read parse(byte[] value) throws IOException {
        Checkpoint c = CheckpointFormat.decode(value);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        String member = meta.remove(MEMBER);
        if (member == null) {
            throw new IOException("metadata lacks " + MEMBER);
        }
        long snapshotVersion = number(meta, SNAPSHOT_VERSION);
        long lastRecords = number(meta, LAST_RECORDS);
        long publishedAt = number(meta, PUBLISHED_AT);
        long round = meta.containsKey(ROUND) ? number(meta, ROUND) : 0;
        String group = Objects.requireNonNullElse(meta.remove(GROUP), "");
        for (var a : c.arrays().entrySet()) {
            if (!Double.isFinite(a.getValue().sumNumber().doubleValue())) {
                throw new IOException(a.getKey() + " holds non-finite values");
            }
        }
        return new Read(new Contribution(member, c.recordsSeen(), snapshotVersion, c.arrays(), lastRecords, publishedAt,
                round),
                meta, group);
    }

    private static long number(Map<String, String> meta, String key) throws IOException {
        String v = meta.remove(key);
        if (v == null) {
            throw new IOException("metadata lacks " + key);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IOException(key + " = '" + v + "' is not a number");
        }
    }

    /** The record that publishes {@code c}, to send into the member's output transaction. */
    ProducerRecord<byte[], byte[]> record(Contribution c) {
        Map<String, String> meta = new LinkedHashMap<>(model);
        meta.put(MEMBER, c.member());
        meta.put(SNAPSHOT_VERSION, Long.toString(c.snapshotVersion()));
        meta.put(LAST_RECORDS, Long.toString(c.lastRecords()));
        meta.put(PUBLISHED_AT, Long.toString(c.publishedAtMillis()));
        meta.put(ROUND, Long.toString(c.round()));
        meta.put(GROUP, group);
        byte[] value;
        try {
            value = CheckpointFormat.encode(new Checkpoint(0, c.records(), Map.of(), meta, c.updates()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the contribution of " + c.member(), e);
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, c.member().getBytes(StandardCharsets.UTF_8), value);
        record.headers().add("content-type", CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        signer.ifPresent(k -> record.headers().add(SnapshotSigner.HEADER, k.sign(value)));
        return record;
    }

    /** The topic's name. */
    String topic() {
        return topic;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
