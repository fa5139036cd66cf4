package io.streamebm.connectors.codec;

/**
 * A value that a {@link SampleCodec} cannot decode. It knows nothing of where the bytes came from;
 * {@link SampleDecoder} adds the topic, partition and offset. No stack trace is filled in: bad records are
 * an expected, possibly frequent, input and the reason says everything.
 */
public class SampleFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final DecodeReason reason;

    /**
     * @param reason  machine reason
     * @param message what was wrong, for a human
     */
    public SampleFormatException(DecodeReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** @return the machine reason */
    public DecodeReason reason() {
        return reason;
    }
}
