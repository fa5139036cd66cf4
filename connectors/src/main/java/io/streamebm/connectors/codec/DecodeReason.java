package io.streamebm.connectors.codec;

import java.util.Arrays;
import java.util.List;

/**
 * Why a record could not become a sample. The {@link #tag()} is short and stable: it is written into the
 * dead-letter header {@code ebm.error} and used as the {@code reason} tag of the rejection metric, so
 * dashboards and alerts depend on it.
 *
 * <p>This is the closed set of dead-letter reasons: {@link io.streamebm.connectors.dlq.DeadLetterPublisher}
 * accepts nothing else, so {@link #tags()} lists every reason a dead letter can carry (the trainer
 * creates one metric series per reason at start-up from it).
 */
public enum DecodeReason {
    /** The value is not a JSON array of numbers. */
    MALFORMED_JSON("malformed_json"),
    /** The sample has another number of values than configured. */
    WRONG_DIMENSION("wrong_dimension"),
    /** A value is NaN or infinite (including JSON numbers beyond the float range). */
    NON_FINITE("non_finite"),
    /**
     * A value is finite but beyond the configured bound on |x|: no sane data gets there, and one such
     * sample would throw its whole micro-batch's update out of range.
     */
    OUT_OF_RANGE("out_of_range"),
    /** A value declared as float32 whose bytes are number text (such as {@code [1,2]} or {@code 12345678}). */
    TEXT_AS_FLOAT32("text_as_float32"),
    /** The value is larger than the configured maximum record size. */
    TOO_LARGE("too_large"),
    /** A float32 value whose length is not a multiple of 4 bytes. */
    BAD_FLOAT32_LENGTH("bad_float32_length"),
    /** No value (null, zero bytes, or an empty array). */
    EMPTY("empty"),
    /** The {@code content-type} header names a format no codec handles. */
    UNSUPPORTED_CONTENT_TYPE("unsupported_content_type");

    private final String tag;

    DecodeReason(String tag) {
        this.tag = tag;
    }

    /** @return the machine reason, e.g. {@code malformed_json} */
    public String tag() {
        return tag;
    }

    /** @return the tag of every reason, in declaration order */
    public static List<String> tags() {
        return Arrays.stream(values()).map(DecodeReason::tag).toList();
    }
}
