package io.streamebm.connectors.codec;

/**
 * A record that failed to decode or validate, with where it came from. The message reads like
 * {@code ebm.samples-2@17: wrong_dimension: expected 2 values, got 3}.
 */
public final class SampleDecodeException extends SampleFormatException {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private final int partition;
    private final long offset;
    private final String detail;

    /**
     * @param reason    machine reason
     * @param detail    what was wrong
     * @param topic     source topic
     * @param partition source partition
     * @param offset    source offset
     */
    public SampleDecodeException(DecodeReason reason, String detail, String topic, int partition, long offset) {
        super(reason, topic + "-" + partition + "@" + offset + ": " + reason.tag() + ": " + detail);
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.detail = detail;
    }

    /** @return the source topic */
    public String topic() {
        return topic;
    }

    /** @return the source partition */
    public int partition() {
        return partition;
    }

    /** @return the source offset */
    public long offset() {
        return offset;
    }

    /** @return what was wrong, without the position */
    public String detail() {
        return detail;
    }
}
