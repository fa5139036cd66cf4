package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.Float32SampleCodec;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.connectors.codec.SampleCodecs;
import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.connectors.dlq.DeadLetterCounts;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** Poison records go to the dead-letter topic with their reason; the stream goes on; nothing is lost. */
class DeadLetterTest {

    @Test
    void poisonRecordsAreDeadLetteredWithTheirReasonAndEveryRecordIsAccountedFor() throws Exception {
        LocalKafkaBroker broker = SharedBroker.get();
        String topic = "poison";
        broker.createTopic(topic, 2);
        broker.createTopic(topic + ".dlq", 1);
        Random rnd = new Random(99);
        Map<String, Integer> expectedReasons = new HashMap<>();
        int good = 0;
        int total = 0;
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
            for (int i = 0; i < 400; i++) {
                ProducerRecord<byte[], byte[]> r;
                String reason = null;
                switch (i % 10) {
                    case 0 -> { r = raw(topic, "[1.0, oops]", null); reason = "malformed_json"; }
                    case 1 -> { r = raw(topic, "[1.0, 2.0, 3.0]", null); reason = "wrong_dimension"; }
                    case 2 -> { r = raw(topic, "[NaN, 1]", null); reason = "non_finite"; }
                    case 3 -> { r = SampleCodecs.record(topic, null, new float[] {Float.NaN, 1f}, Float32SampleCodec.INSTANCE); reason = "non_finite"; }
                    case 4 -> { r = raw(topic, "[" + "1,".repeat(200) + "1]", null); reason = "too_large"; }
                    case 5 -> { r = new ProducerRecord<>(topic, null, new byte[7]); r.headers().add("content-type", Float32SampleCodec.CONTENT_TYPE.getBytes()); reason = "bad_float32_length"; }
                    case 6 -> { r = raw(topic, "", null); reason = "empty"; }
                    case 7 -> r = SampleCodecs.record(topic, ("k" + i).getBytes(), new float[] {(float) rnd.nextGaussian(), 2f}, Float32SampleCodec.INSTANCE);
                    default -> r = SampleCodecs.record(topic, ("k" + i).getBytes(), new float[] {(float) rnd.nextGaussian(), -1f}, JsonSampleCodec.INSTANCE);
                }
                if (reason != null) {
                    expectedReasons.merge(reason, 1, Integer::sum);
                    r = new ProducerRecord<>(r.topic(), null, ("bad" + i).getBytes(), r.value(), r.headers());
                } else {
                    good++;
                }
                total++;
                sent.add(producer.send(r));
            }
            producer.flush();
            for (java.util.concurrent.Future<?> f : sent) {
                f.get();
            }
        }

        DeadLetterCounts counts = new DeadLetterCounts();
        Map<String, AtomicLong> heard = new ConcurrentHashMap<>();
        counts.addListener(reason -> heard.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet());
        AtomicLong delivered = new AtomicLong();
        AtomicLong deadLettered = new AtomicLong();
        int expectedTotal = total;
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers(broker.bootstrapServers()).build())) {
            DecodingStage stage = new DecodingStage(
                    SampleDecoder.builder().expectedDimension(2).maxRecordBytes(256).build(),
                    new DeadLetterPublisher(sender, counts));
            KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "poison-g", topic).build());
            receiver.receive()
                    .concatMap(stage::decode)
                    .doOnNext(batch -> {
                        delivered.addAndGet(batch.samples().size());
                        deadLettered.addAndGet(batch.deadLettered());
                        batch.samples().forEach(s -> assertEquals(2, s.values().length));
                        batch.sourcePositions().forEach((k, v) -> assertNotNull(k.startsWith(topic + "-") ? v : null, k));
                        batch.acknowledge();
                    })
                    .takeUntil(b -> delivered.get() + deadLettered.get() >= expectedTotal)
                    .blockLast(Duration.ofSeconds(60));
            receiver.closed().block(Duration.ofSeconds(30));
        }

        assertEquals(total, delivered.get() + deadLettered.get(), "records in = delivered + dead-lettered");
        assertEquals(good, delivered.get());
        Map<String, Long> expectedCounts = new java.util.TreeMap<>();
        expectedReasons.forEach((k, v) -> expectedCounts.put(k, (long) v));
        assertEquals(expectedCounts, counts.snapshot());
        Map<String, Long> heardCounts = new java.util.TreeMap<>();
        heard.forEach((k, v) -> heardCounts.put(k, v.get()));
        assertEquals(expectedCounts, heardCounts);

        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(broker, topic + ".dlq", (int) deadLettered.get());
        Map<String, Long> fromHeaders = new java.util.TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
            String error = header(r, DeadLetterPublisher.ERROR_HEADER);
            String reason = error.substring(0, error.indexOf(':'));
            assertEquals(reason, header(r, DeadLetterPublisher.REASON_HEADER));
            fromHeaders.merge(reason, 1L, Long::sum);
            assertEquals(topic, header(r, DeadLetterPublisher.SOURCE_TOPIC_HEADER));
            int p = Integer.parseInt(header(r, DeadLetterPublisher.SOURCE_PARTITION_HEADER));
            long off = Long.parseLong(header(r, DeadLetterPublisher.SOURCE_OFFSET_HEADER));
            assertEquals(true, p == 0 || p == 1);
            assertEquals(true, off >= 0);
            assertEquals(true, new String(r.key()).startsWith("bad"), "original key kept");
            int i = Integer.parseInt(new String(r.key()).substring(3));
            if (i % 10 == 1) {
                assertArrayEquals("[1.0, 2.0, 3.0]".getBytes(), r.value(), "original value kept");
            }
        }
        assertEquals(expectedCounts, fromHeaders);
        try (Admin admin = broker.admin()) {
            assertEquals(KafkaTestSupport.endOffsets(admin, topic, 2), KafkaTestSupport.committed(admin, "poison-g"));
        }
    }

    @Test
    void aRecordTooLargeToCopyIsDeadLetteredAsAReferenceAndTheStreamGoesOn() throws Exception {
        LocalKafkaBroker broker = SharedBroker.get();
        String topic = "oversized";
        // The input topic takes 3 MiB records; the dead-letter topic and the producer keep their 1 MiB limits.
        broker.createTopic(topic, 1, Map.of("max.message.bytes", Integer.toString(4 << 20)));
        broker.createTopic(topic + ".dlq", 1);
        byte[] huge = new byte[3 << 20];
        new Random(5).nextBytes(huge);
        huge[0] = '[';
        Properties big = new Properties();
        big.put("max.request.size", Integer.toString(4 << 20));
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers(), big)) {
            producer.send(new ProducerRecord<>(topic, "huge".getBytes(), huge)).get();
            producer.send(SampleCodecs.record(topic, "ok".getBytes(), new float[] {1f, 2f}, JsonSampleCodec.INSTANCE)).get();
        }

        AtomicLong delivered = new AtomicLong();
        AtomicLong deadLettered = new AtomicLong();
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers(broker.bootstrapServers()).build())) {
            DecodingStage stage = new DecodingStage(SampleDecoder.builder().expectedDimension(2).build(),
                    new DeadLetterPublisher(sender, new DeadLetterCounts()));
            KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "oversized-g", topic)
                    .property("max.partition.fetch.bytes", Integer.toString(8 << 20))
                    .property("fetch.max.bytes", Integer.toString(8 << 20)).build());
            receiver.receive()
                    .concatMap(stage::decode)
                    .doOnNext(batch -> {
                        delivered.addAndGet(batch.samples().size());
                        deadLettered.addAndGet(batch.deadLettered());
                        batch.acknowledge();
                    })
                    .takeUntil(b -> delivered.get() + deadLettered.get() >= 2)
                    .blockLast(Duration.ofSeconds(60));
            receiver.closed().block(Duration.ofSeconds(30));
        }
        assertEquals(1, delivered.get(), "the valid record after the huge one was delivered");
        assertEquals(1, deadLettered.get());

        ConsumerRecord<byte[], byte[]> dl = readAll(broker, topic + ".dlq", 1).get(0);
        assertEquals("true", header(dl, DeadLetterPublisher.REFERENCE_HEADER));
        assertEquals("too_large", header(dl, DeadLetterPublisher.REASON_HEADER));
        assertEquals("0", header(dl, DeadLetterPublisher.SOURCE_OFFSET_HEADER));
        String json = new String(dl.value(), StandardCharsets.UTF_8);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(huge));
        assertTrue(json.contains("\"valueBytes\":" + huge.length), json);
        assertTrue(json.contains("\"valueSha256\":\"" + sha + "\""), json);
        assertTrue(json.contains("\"topic\":\"oversized\",\"partition\":0,\"offset\":0"), json);
        String prefix = java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(huge, 64));
        assertTrue(json.contains("\"valuePrefixBase64\":\"" + prefix + "\""), json);
        try (Admin admin = broker.admin()) {
            assertEquals(KafkaTestSupport.endOffsets(admin, topic, 1), KafkaTestSupport.committed(admin, "oversized-g"),
                    "both records committed: the huge one is not met again on restart");
        }
    }

    private static ProducerRecord<byte[], byte[]> raw(String topic, String value, String contentType) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, value.getBytes(StandardCharsets.UTF_8));
        if (contentType != null) {
            r.headers().add("content-type", contentType.getBytes());
        }
        return r;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        assertNotNull(h, "header " + name);
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(LocalKafkaBroker broker, String topic, int expected) {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("group.id", "reader-" + topic);
        p.put("auto.offset.reset", "earliest");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertEquals(expected, out.size(), "records in " + topic);
        return out;
    }
}
