package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.streamebm.pipeline.scaleout.Contribution;
import io.streamebm.pipeline.scaleout.GroupModel;
import io.streamebm.pipeline.train.Models;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The group's model read as any client could, independently of the trainers: a plain
 * {@code read_committed} consumer of the params topic that keeps the newest contribution of each
 * member. Their records summed are the records the group's model has counted.
 */
final class GroupCount implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Map<String, Contribution> newest = new TreeMap<>();
    private boolean assigned;

    GroupCount(String bootstrap, String topic) {
        this.consumer = readCommitted(bootstrap);
        this.topic = topic;
    }

    /** A {@code read_committed} consumer without a group, for records up to 16 MiB. */
    static KafkaConsumer<byte[], byte[]> readCommitted(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The value of the newest committed record on partition 0 of {@code topic}, waiting up to 30 s
     * for one: a transaction's commit returns before its markers make the records readable.
     *
     * @throws AssertionError when none became readable
     */
    static byte[] newestValue(String bootstrap, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        byte[] newest = null;
        try (KafkaConsumer<byte[], byte[]> c = readCommitted(bootstrap)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            while (newest == null) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no committed record on " + topic + " within 30 s");
                }
                long end = c.endOffsets(List.of(tp)).get(tp);
                while (c.position(tp) < end) {
                    for (var r : c.poll(java.time.Duration.ofMillis(200))) {
                        newest = r.value();
                    }
                }
                if (newest == null) {
                    Thread.sleep(100);
                }
            }
        }
        return newest;
    }

    /** Reads what was committed since the last call and returns the records counted. */
    long read() throws Exception {
        if (!assigned) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            if (parts.isEmpty()) {
                return 0;
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            assigned = true;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            Contribution c = ParamsTopic.parse(r.value()).contribution();
            newest.put(c.member(), c);
        }
        return newest.values().stream().mapToLong(Contribution::records).sum();
    }

    /** Waits until the group has counted {@code atLeast}; fails if it ever counts more than {@code produced}. */
    void awaitAtLeast(long atLeast, long produced) throws Exception {
        awaitAtLeast(atLeast, produced, () -> "");
    }

    /**
     * Like {@link #awaitAtLeast(long, long)}; {@code members} describes the members' state, for the
     * failure message.
     */
    void awaitAtLeast(long atLeast, long produced, java.util.function.Supplier<String> members) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        long n = 0;
        while (System.nanoTime() < deadline) {
            n = read();
            assertTrue(n <= produced, "the group's model counts " + n + " records of " + produced + " produced");
            if (n >= atLeast) {
                return;
            }
        }
        fail("the group's model counted " + n + " records, not " + atLeast + ", within 4 minutes; members "
                + newest.keySet() + "; records by member " + newest.values().stream()
                        .map(c -> c.member() + "=" + c.records()).toList() + "; " + members.get());
    }

    /** The group's parameters: the initial model of {@code architecture} and {@code seed} plus every contribution read. */
    Map<String, INDArray> parameters(Map<String, String> architecture, long seed) {
        GroupModel group = new GroupModel(Models.parameters(Models.build(architecture, seed)));
        newest.values().forEach(group::offer);
        return group.parameters();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
