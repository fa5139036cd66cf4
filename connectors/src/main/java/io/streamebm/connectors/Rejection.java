package io.streamebm.connectors;

import io.streamebm.connectors.codec.DecodeReason;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record that failed decoding or validation, with why: what a dead letter is made from.
 *
 * @param record the rejected record
 * @param reason the machine reason
 * @param detail what was wrong, for people
 */
public record Rejection(ConsumerRecord<byte[], byte[]> record, DecodeReason reason, String detail) {

    /** Checks for nulls. */
    public Rejection {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
    }
}
