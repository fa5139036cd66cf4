package io.streamebm.bench.connectors;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import io.streamebm.connectors.KafkaReceiver;
import io.streamebm.connectors.ReceiverOptions;
import io.streamebm.broker.LocalKafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end throughput on loopback: the same records read by a plain {@code KafkaConsumer} poll loop and
 * by {@link KafkaReceiver} (acknowledging every batch, committing every 5 s), alternately, in one JVM
 * with an in-process broker. Usage: {@code ReceiverThroughput [records] [rounds]} (default 10,000,000 and 5, after one warm-up round).
 */
public final class ReceiverThroughput {

    private ReceiverThroughput() {
    }

    /**
     * @param args records, rounds
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 10_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String topic = "bench";
        try (LocalKafkaBroker broker = LocalKafkaBroker.start()) {
            broker.createTopic(topic, 3);
            long t0 = System.nanoTime();
            produce(broker.bootstrapServers(), topic, records);
            System.out.printf("produced %,d records of 16 bytes in %.2f s%n", records, (System.nanoTime() - t0) / 1e9);
            List<Double> plain = new ArrayList<>();
            List<Double> bridge = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            // Round 0 only warms up the JIT. Later rounds alternate which reader goes first, so that neither
            // profits systematically from the other's warm-up or page-cache state.
            for (int r = 0; r <= rounds; r++) {
                double p;
                double b;
                if (r % 2 == 0) {
                    p = plainLoop(broker.bootstrapServers(), topic, records, "plain-" + r);
                    b = bridge(broker.bootstrapServers(), topic, records, "bridge-" + r);
                } else {
                    b = bridge(broker.bootstrapServers(), topic, records, "bridge-" + r);
                    p = plainLoop(broker.bootstrapServers(), topic, records, "plain-" + r);
                }
                System.out.printf("round %d%s: plain %,.0f rec/s, bridge %,.0f rec/s (%.0f%%)%n", r, r == 0 ? " (warm-up)" : "",
                        p, b, 100 * b / p);
                if (r > 0) {
                    plain.add(p);
                    bridge.add(b);
                    ratios.add(b / p);
                }
            }
            Collections.sort(plain);
            Collections.sort(bridge);
            Collections.sort(ratios);
            System.out.printf("median over %d rounds: plain %,.0f rec/s, bridge %,.0f rec/s; median per-round ratio %.0f%%, worst %.0f%%%n",
                    rounds, plain.get(rounds / 2), bridge.get(rounds / 2), 100 * ratios.get(rounds / 2), 100 * ratios.get(0));
            System.out.printf("peak heap used %.0f MiB, peak RSS %s%n", peakHeapMiB(), peakRss());
        }
    }

    private static void produce(String bootstrap, String topic, int n) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("linger.ms", "20");
        p.put("batch.size", "262144");
        p.put("acks", "1");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < n; i++) {
                byte[] v = new byte[16];
                v[0] = (byte) i;
                v[1] = (byte) (i >>> 8);
                v[2] = (byte) (i >>> 16);
                producer.send(new ProducerRecord<>(topic, i % 3, null, v));
            }
            producer.flush();
        }
    }

    private static Map<String, Object> consumerProps(String bootstrap, String group) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", bootstrap);
        m.put("group.id", group);
        m.put("auto.offset.reset", "earliest");
        m.put("max.poll.records", "2000");
        return m;
    }

    private static double plainLoop(String bootstrap, String topic, int n, String group) {
        Map<String, Object> props = consumerProps(bootstrap, group);
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        long count = 0;
        long sink = 0;
        long start = 0;
        long end;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            c.subscribe(List.of(topic));
            while (count < n) {
                ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(100));
                if (start == 0 && !recs.isEmpty()) {
                    start = System.nanoTime();
                }
                for (var r : recs) {
                    sink += r.value()[0];
                    count++;
                }
            }
            // Stop the clock before commit and close: they are not throughput, and the bridge's clock stops likewise.
            end = System.nanoTime();
            c.commitSync();
        }
        double secs = (end - start) / 1e9;
        if (sink == 42) {
            System.out.print("");
        }
        return count / secs;
    }

    private static double bridge(String bootstrap, String topic, int n, String group) {
        ReceiverOptions opts = ReceiverOptions.builder().properties(consumerProps(bootstrap, group)).topics(topic).build();
        KafkaReceiver receiver = KafkaReceiver.create(opts);
        AtomicLong count = new AtomicLong();
        AtomicLong sink = new AtomicLong();
        long[] start = {0};
        long[] end = {0};
        receiver.receive()
                .doOnNext(batch -> {
                    if (start[0] == 0) {
                        start[0] = System.nanoTime();
                    }
                    long s = 0;
                    for (var r : batch.records()) {
                        s += r.value()[0];
                    }
                    sink.addAndGet(s);
                    batch.acknowledge();
                    if (count.addAndGet(batch.size()) >= n) {
                        end[0] = System.nanoTime();
                    }
                })
                .takeUntil(b -> count.get() >= n)
                .blockLast();
        double secs = (end[0] - start[0]) / 1e9;
        receiver.closed().block(Duration.ofSeconds(30));
        return count.get() / secs;
    }

    private static double peakHeapMiB() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum / (1024.0 * 1024.0);
    }

    private static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (Exception e) {
            return "unknown";
        }
        return "unknown";
    }
}
