package io.streamebm.pipeline.app;

import io.streamebm.connectors.PartitionKeys;
import io.streamebm.pipeline.train.OutputCommitter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The trainer's outputs (dead letters, model snapshots and drift events), written once: a transactional producer
 * whose transaction commits the consumer group's offsets together with the outputs they cover, as
 * the first phase of every checkpoint ({@link OutputCommitter}).
 *
 * <p>Why the outputs are not written twice after a crash: the offsets committed with the last
 * transaction say which records' outputs are out ({@link #alreadyWritten}), and the newest
 * snapshot version is stored in their metadata ({@link #lastSnapshotVersion}). A restarted
 * trainer replays from its checkpoint, which may lie before those offsets, and skips the outputs
 * of what it replays. A transaction the crash left open is aborted by the next
 * {@code initTransactions} under the same {@code transactional.id}, so {@code read_committed}
 * readers never see its outputs; their records lie after the committed offsets and get their
 * outputs again.
 *
 * <p>Every call comes from the trainer thread. A failed send or commit is fatal
 * ({@link OutputsLostException}): the trainer stops instead of writing a checkpoint past outputs
 * that were lost, and a restart recovers as above.
 *
 * <p>Zombies: given the consumer's group metadata ({@link #fencedByTheGroup}), the offsets carry
 * the member's id and generation, and the broker refuses them from a member the group has expelled
 * (it missed its session, for instance paused for longer than the session timeout, and its
 * partitions went to others who read their records again). An ordinary rebalance can also leave
 * a commit one generation behind. Either way the broker's refusal ({@link CommitFailedException})
 * aborts the transaction; its outputs are written again into the next one and the commit reports
 * "not now" ({@link UncheckedIOException}) so that the trainer tries again later. A member that was
 * expelled learns it at its next poll (its partitions are lost) and stops before any retry can
 * succeed, so nothing it learned from records now read by others is ever published.
 */
public final class TransactionalOutputs implements OutputCommitter, AutoCloseable {

    /** Prefix of the offsets' metadata that carries the newest snapshot version. */
    static final String SNAPSHOT_METADATA = "snapshot=";

    /** A transaction could not be written or committed; the run must stop and restart. */
    public static final class OutputsLostException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        OutputsLostException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final String group;
    private final Map<TopicPartition, Long> alreadyWritten;
    private final long lastSnapshotVersion;
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    /** The open transaction's outputs, to be written again if the group refuses its commit. */
    private final List<ProducerRecord<byte[], byte[]>> inTransaction = new ArrayList<>();
    /** Set once before training starts; volatile because the trainer thread reads it. */
    private volatile Supplier<Optional<ConsumerGroupMetadata>> groupMetadata = Optional::empty;
    private long newestSnapshotVersion;
    private volatile boolean closed;

    private TransactionalOutputs(Producer<byte[], byte[]> producer, String group,
            Map<TopicPartition, Long> alreadyWritten, long lastSnapshotVersion) {
        this.producer = producer;
        this.group = group;
        this.alreadyWritten = Map.copyOf(alreadyWritten);
        this.lastSnapshotVersion = lastSnapshotVersion;
        this.newestSnapshotVersion = lastSnapshotVersion;
    }

    /**
     * Reads what the group's last committed transaction covers, fences and aborts any transaction a
     * previous incarnation left open, and begins the first transaction.
     *
     * @param bootstrap       bootstrap servers
     * @param group           the consumer group whose offsets the transactions commit
     * @param transactionalId stable across restarts of this member (fencing relies on it)
     * @param producerProps   pass-through producer properties (TLS, SASL, ...)
     * @param adminProps      properties for the admin client that reads the committed offsets
     * @param timeout         longest a transaction may stay open, and longest a commit may block
     */
    public static TransactionalOutputs open(String bootstrap, String group, String transactionalId,
            Map<String, ?> producerProps, Map<String, ?> adminProps, Duration timeout) {
        Map<TopicPartition, Long> written = new HashMap<>();
        long version = 0;
        Map<String, Object> admin = new HashMap<>(adminProps);
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin a = Admin.create(admin)) {
            Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                written.put(e.getKey(), e.getValue().offset());
                version = Math.max(version, snapshotVersion(e.getValue().metadata()));
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new OutputsLostException("cannot read the committed offsets of group " + group
                    + " that tell which outputs are already written: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutputsLostException("interrupted while reading the committed offsets of group " + group, e);
        }
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "streamebm-trainer-outputs");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.putAll(producerProps);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) timeout.toMillis());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
            producer.beginTransaction();
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw new OutputsLostException("cannot start the output transactions (transactional.id "
                    + transactionalId + "): " + e, e);
        }
        return new TransactionalOutputs(producer, group, written, version);
    }

    static long snapshotVersion(String metadata) {
        if (metadata == null || !metadata.startsWith(SNAPSHOT_METADATA)) {
            return 0;
        }
        try {
            return Long.parseLong(metadata.substring(SNAPSHOT_METADATA.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * From now on the offsets carry {@code groupMetadata} (the consumer's member id and generation,
     * as of its latest rebalance callback), so that the broker fences this member's commits once
     * the group has moved on without it. Until the supplier has metadata, offsets go with the group id alone.
     *
     * @param groupMetadata the consumer's metadata; read on the trainer thread at each commit
     * @return this
     */
    public TransactionalOutputs fencedByTheGroup(Supplier<Optional<ConsumerGroupMetadata>> groupMetadata) {
        this.groupMetadata = Objects.requireNonNull(groupMetadata, "groupMetadata");
        return this;
    }

    /** The producer, to bind its client metrics; do not use it to send. */
    public Producer<?, ?> producer() {
        return producer;
    }

    /**
     * Whether the output of the record at {@code offset} of {@code partition} is already written:
     * a committed transaction covers it.
     */
    public boolean alreadyWritten(TopicPartition partition, long offset) {
        return offset < alreadyWritten.getOrDefault(partition, 0L);
    }

    /** Whether snapshot {@code version} is already written (a committed transaction holds it or a newer one). */
    public boolean snapshotWritten(long version) {
        return version <= lastSnapshotVersion;
    }

    /** Writes an output (a dead letter, a drift event) into the open transaction. */
    public void send(ProducerRecord<byte[], byte[]> record) {
        failIfLost();
        inTransaction.add(record);
        write(record);
    }

    private void write(ProducerRecord<byte[], byte[]> record) {
        producer.send(record, (md, e) -> {
            if (e != null) {
                sendFailure.compareAndSet(null, e);
            }
        });
    }

    /** Writes model snapshot {@code version} into the open transaction. */
    public void sendSnapshot(ProducerRecord<byte[], byte[]> record, long version) {
        send(record);
        newestSnapshotVersion = Math.max(newestSnapshotVersion, version);
    }

    @Override
    public void commit(Map<String, Long> positions) {
        failIfLost();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        String metadata = SNAPSHOT_METADATA + newestSnapshotVersion;
        positions.forEach((source, next) -> offsets.put(PartitionKeys.parse(source), new OffsetAndMetadata(next, metadata)));
        try {
            producer.flush();
            failIfLost();
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets,
                        groupMetadata.get().orElseGet(() -> new ConsumerGroupMetadata(group)));
            }
            producer.commitTransaction();
            inTransaction.clear();
            producer.beginTransaction();
        } catch (OutputsLostException e) {
            throw e;
        } catch (RuntimeException e) {
            CommitFailedException refusal = refusalIn(e);
            if (refusal != null) {
                throw refusedByTheGroup(refusal);
            }
            throw new OutputsLostException("the output transaction could not be committed (" + e
                    + "); stopping so that a restart writes those outputs again", e);
        }
    }

    /** The group's refusal of the offsets, if that is what {@code e} is or wraps. */
    private static CommitFailedException refusalIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CommitFailedException c) {
                return c;
            }
        }
        return null;
    }

    /**
     * The group refused the offsets (this member's generation is not the group's): aborts the
     * transaction, writes its outputs again into a new one, and reports that nothing was committed.
     */
    private UncheckedIOException refusedByTheGroup(CommitFailedException refusal) {
        try {
            producer.abortTransaction();
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> r : inTransaction) {
                write(r);
            }
        } catch (RuntimeException e) {
            throw new OutputsLostException("the output transaction could not be aborted and restarted after the"
                    + " group refused its offsets (" + e + "); stopping so that a restart writes those outputs again", e);
        }
        return new UncheckedIOException(new IOException("the group refused the offsets of member "
                + groupMetadata.get().map(ConsumerGroupMetadata::memberId).orElse("?") + " (" + refusal.getMessage()
                + "): a rebalance moved the group to a new generation, or the group expelled this member;"
                + " nothing was committed, the " + inTransaction.size() + " outputs wait for the next attempt", refusal));
    }

    private void failIfLost() {
        Exception e = sendFailure.get();
        if (e != null) {
            throw new OutputsLostException("an output could not be written (" + e
                    + "); stopping so that a restart writes it again", e);
        }
    }

    /**
     * Aborts the open transaction (its outputs are written again by whoever replays them) and
     * closes. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            // Nothing to abort, or the producer is fenced or broken: closing is all that is left.
        }
        producer.close(Duration.ofSeconds(10));
    }

    @Override
    public String toString() {
        return "TransactionalOutputs{group=" + group + ", snapshot=" + newestSnapshotVersion + "}";
    }

}
