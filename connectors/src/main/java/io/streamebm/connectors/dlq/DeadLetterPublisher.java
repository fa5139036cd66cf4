package io.streamebm.connectors.dlq;

import io.streamebm.connectors.codec.JsonText;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.connectors.codec.DecodeReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import reactor.core.publisher.Mono;

/**
 * Writes a rejected record to {@code <topic>.dlq}: the original key, value and headers, plus
 * {@value #ERROR_HEADER} ({@code "<reason>: <message>"}), {@value #REASON_HEADER} (the bare reason),
 * {@value #SOURCE_TOPIC_HEADER}, {@value #SOURCE_PARTITION_HEADER} and {@value #SOURCE_OFFSET_HEADER}
 * (numbers as decimal strings).
 *
 * <p>A record too large to copy (key, value and headers over {@link #DEFAULT_MAX_COPY_BYTES}, which
 * stays below the producer's default 1 MiB request limit) is dead-lettered as a reference instead:
 * its value is a JSON object naming the source topic, partition and offset, the sizes, the SHA-256
 * of the value and a base64 prefix of it, with header {@value #REFERENCE_HEADER}{@code =true}. Copying
 * it would fail with {@code RecordTooLargeException}, and a record that can be neither trained on nor
 * dead-lettered would stop the stream at the same offset on every restart.
 *
 * <p>The dead-letter topic is not created here: create it with the input
 * topic (a broker may auto-create it, but a topic created by the first write is not ready at once, and
 * the first dead letters then wait for the producer's retries).
 */
public final class DeadLetterPublisher {

    /** Header with the reason and the human message. */
    public static final String ERROR_HEADER = "ebm.error";
    /** Header with the bare machine reason. */
    public static final String REASON_HEADER = "ebm.error.reason";
    /** Header with the source topic. */
    public static final String SOURCE_TOPIC_HEADER = "ebm.source.topic";
    /** Header with the source partition. */
    public static final String SOURCE_PARTITION_HEADER = "ebm.source.partition";
    /** Header with the source offset. */
    public static final String SOURCE_OFFSET_HEADER = "ebm.source.offset";
    /** Header present ({@code true}) when the dead letter is a reference to the record, not a copy. */
    public static final String REFERENCE_HEADER = "ebm.dlq.reference";
    /** Default largest record copied whole: 512 KiB of key, value and headers. */
    public static final int DEFAULT_MAX_COPY_BYTES = 512 * 1024;
    /** Bytes of the value kept, base64-encoded, in a reference. */
    public static final int REFERENCE_PREFIX_BYTES = 64;
    /** Default suffix of dead-letter topics. */
    public static final String DEFAULT_SUFFIX = ".dlq";

    private final KafkaSender sender;
    private final String suffix;
    private final DeadLetterCounts counts;
    private final int maxCopyBytes;

    /**
     * @param sender the producer used for dead letters
     * @param counts counted once each write is confirmed
     */
    public DeadLetterPublisher(KafkaSender sender, DeadLetterCounts counts) {
        this(sender, counts, DEFAULT_SUFFIX);
    }

    /**
     * @param sender the producer used for dead letters
     * @param counts counted once each write is confirmed
     * @param suffix appended to the source topic to name the dead-letter topic
     */
    public DeadLetterPublisher(KafkaSender sender, DeadLetterCounts counts, String suffix) {
        this(sender, counts, suffix, DEFAULT_MAX_COPY_BYTES);
    }

    /**
     * @param sender       the producer used for dead letters
     * @param counts       counted once each write is confirmed
     * @param suffix       appended to the source topic to name the dead-letter topic
     * @param maxCopyBytes records larger than this (key, value and headers) are dead-lettered as a reference
     */
    public DeadLetterPublisher(KafkaSender sender, DeadLetterCounts counts, String suffix, int maxCopyBytes) {
        if (maxCopyBytes < 1024) {
            throw new IllegalArgumentException("maxCopyBytes must be >= 1024, got " + maxCopyBytes);
        }
        this.maxCopyBytes = maxCopyBytes;
        this.sender = Objects.requireNonNull(sender, "sender");
        this.counts = Objects.requireNonNull(counts, "counts");
        if (suffix == null || suffix.isEmpty()) {
            throw new IllegalArgumentException("dead-letter suffix must be non-empty (default \".dlq\")");
        }
        this.suffix = suffix;
    }

    /** @return the counts this publisher updates */
    public DeadLetterCounts counts() {
        return counts;
    }

    /**
     * @param sourceTopic a source topic
     * @return its dead-letter topic
     */
    public String deadLetterTopic(String sourceTopic) {
        return sourceTopic + suffix;
    }

    /**
     * Writes one dead letter.
     *
     * @param record  the rejected record
     * @param why     the reason, one of a closed set so that metrics can show every reason from the start
     * @param message what was wrong
     * @return completes once the broker confirms the dead letter (and it is counted)
     */
    public Mono<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> record, DecodeReason why, String message) {
        ProducerRecord<byte[], byte[]> out = deadLetter(record, why, message);
        return sender.send(out).doOnSuccess(md -> counts.increment(why.tag()));
    }

    /**
     * The dead letter of {@code record}, without sending it: for an owner that writes dead letters
     * through a producer of its own (inside a transaction, for instance).
     *
     * @param record  the rejected record
     * @param why     the reason
     * @param message what was wrong
     * @return the record to write to the dead-letter topic
     */
    public ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, DecodeReason why,
            String message) {
        return deadLetter(record, why, message, suffix, maxCopyBytes);
    }

    /**
     * The dead letter of {@code record} with the default suffix and copy limit, for owners that
     * write through their own producer and need no publisher.
     */
    public static ProducerRecord<byte[], byte[]> deadLetterOf(ConsumerRecord<byte[], byte[]> record, DecodeReason why,
            String message) {
        return deadLetter(record, why, message, DEFAULT_SUFFIX, DEFAULT_MAX_COPY_BYTES);
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, DecodeReason why,
            String message, String suffix, int maxCopyBytes) {
        String reason = Objects.requireNonNull(why, "why").tag();
        String topic = record.topic() + suffix;
        ProducerRecord<byte[], byte[]> out;
        if (size(record) <= maxCopyBytes) {
            out = new ProducerRecord<>(topic, null, record.key(), record.value());
            for (Header h : record.headers()) {
                out.headers().add(h);
            }
        } else {
            out = new ProducerRecord<>(topic, null, null, reference(record));
            out.headers().add(REFERENCE_HEADER, bytes("true"));
            out.headers().add("content-type", bytes("application/json"));
        }
        out.headers().add(ERROR_HEADER, bytes(reason + ": " + message));
        out.headers().add(REASON_HEADER, bytes(reason));
        out.headers().add(SOURCE_TOPIC_HEADER, bytes(record.topic()));
        out.headers().add(SOURCE_PARTITION_HEADER, bytes(Integer.toString(record.partition())));
        out.headers().add(SOURCE_OFFSET_HEADER, bytes(Long.toString(record.offset())));
        return out;
    }

    private static long size(ConsumerRecord<byte[], byte[]> r) {
        long n = length(r.key()) + length(r.value());
        for (Header h : r.headers()) {
            n += h.key().length() + length(h.value());
        }
        return n;
    }

    private static int length(byte[] b) {
        return b == null ? 0 : b.length;
    }

    /** The JSON that stands for a record too large to copy; enough to find it and check it is the same. */
    private static byte[] reference(ConsumerRecord<byte[], byte[]> r) {
        byte[] value = r.value() == null ? new byte[0] : r.value();
        int headers = 0;
        for (Header ignored : r.headers()) {
            headers++;
        }
        byte[] prefix = java.util.Arrays.copyOf(value, Math.min(value.length, REFERENCE_PREFIX_BYTES));
        String json = "{\"topic\":" + JsonText.quote(r.topic()) + ",\"partition\":" + r.partition()
                + ",\"offset\":" + r.offset() + ",\"valueBytes\":" + value.length
                + ",\"keyBytes\":" + length(r.key()) + ",\"headers\":" + headers
                + ",\"valueSha256\":\"" + HexFormat.of().formatHex(sha256(value))
                + "\",\"valuePrefixBase64\":\"" + Base64.getEncoder().encodeToString(prefix) + "\"}";
        return bytes(json);
    }

    private static byte[] sha256(byte[] value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
