package io.streamebm.connectors.dlq;

import java.nio.charset.StandardCharsets;
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
 * (numbers as decimal strings). The dead-letter topic is not created here: create it with the input
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
    /** Default suffix of dead-letter topics. */
    public static final String DEFAULT_SUFFIX = ".dlq";

    private final KafkaSender sender;
    private final String suffix;
    private final DeadLetterCounts counts;

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
        String reason = Objects.requireNonNull(why, "why").tag();
        ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(deadLetterTopic(record.topic()), null,
                record.key(), record.value());
        for (Header h : record.headers()) {
            out.headers().add(h);
        }
        out.headers().add(ERROR_HEADER, bytes(reason + ": " + message));
        out.headers().add(REASON_HEADER, bytes(reason));
        out.headers().add(SOURCE_TOPIC_HEADER, bytes(record.topic()));
        out.headers().add(SOURCE_PARTITION_HEADER, bytes(Integer.toString(record.partition())));
        out.headers().add(SOURCE_OFFSET_HEADER, bytes(Long.toString(record.offset())));
        return sender.send(out).doOnSuccess(md -> counts.increment(reason));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
