package io.streamebm.connectors.codec;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes and validates the value of a record into a sample. Thread-safe and immutable.
 *
 * <p>The codec is chosen by the record's {@code content-type} header ({@code application/json} or
 * {@code application/x-float32}); records without it use the configured default codec. With
 * {@link Builder#forceCodec(SampleCodec)} the header is ignored. Validation: the value is at most
 * {@link #maxRecordBytes()} bytes, has {@link #expectedDimension()} values (when set), and every value is finite
 * and at most {@link #maxAbsValue()} in magnitude.
 */
public final class SampleDecoder {

    /** Default {@link #maxRecordBytes()}: 1 MiB. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;
    /** Default {@link #maxAbsValue()}: 1e6, far beyond any sane (scaled) input. */
    public static final double DEFAULT_MAX_ABS_VALUE = 1e6;

    private final int expectedDimension;
    private final int maxRecordBytes;
    private final double maxAbsValue;
    private final SampleCodec defaultCodec;
    private final boolean forced;

    private SampleDecoder(Builder b) {
        this.expectedDimension = b.expectedDimension;
        this.maxRecordBytes = b.maxRecordBytes;
        this.maxAbsValue = b.maxAbsValue;
        this.defaultCodec = b.codec;
        this.forced = b.forced;
    }

    /** @return a builder: any dimension, 1 MiB maximum, JSON by default, header honoured */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the required number of values, or 0 when any non-zero number is accepted */
    public int expectedDimension() {
        return expectedDimension;
    }

    /** @return the largest accepted value in bytes */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** @return the largest accepted |value| of any coordinate */
    public double maxAbsValue() {
        return maxAbsValue;
    }

    /** @return the codec used when the header is absent (or always, when forced) */
    public SampleCodec defaultCodec() {
        return defaultCodec;
    }

    /**
     * @param record a record from Kafka
     * @return the validated sample
     * @throws SampleDecodeException naming the topic, partition, offset, reason and detail
     */
    public float[] decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            return decode(record.value(), forced ? null : SampleCodecs.contentType(record.headers()));
        } catch (SampleFormatException e) {
            throw new SampleDecodeException(e.reason(), e.getMessage(), record.topic(), record.partition(), record.offset());
        }
    }

    /**
     * Decodes and validates raw bytes.
     *
     * @param value       the value, may be null
     * @param contentType the content type, or null for the default codec
     * @return the validated sample
     * @throws SampleFormatException when the value is not a valid sample
     */
    public float[] decode(byte[] value, String contentType) {
        if (value == null || value.length == 0) {
            throw new SampleFormatException(DecodeReason.EMPTY, value == null ? "the record has no value" : "the value has no bytes");
        }
        if (value.length > maxRecordBytes) {
            throw new SampleFormatException(DecodeReason.TOO_LARGE,
                    "value has " + value.length + " bytes, more than the maximum of " + maxRecordBytes);
        }
        SampleCodec codec = defaultCodec;
        if (contentType != null && !forced) {
            codec = SampleCodecs.forContentType(contentType);
            if (codec == null) {
                throw new SampleFormatException(DecodeReason.UNSUPPORTED_CONTENT_TYPE, "content-type \"" + contentType
                        + "\" is neither " + JsonSampleCodec.CONTENT_TYPE + " nor " + Float32SampleCodec.CONTENT_TYPE);
            }
        }
        float[] sample = codec.decode(value);
        if (expectedDimension > 0 && sample.length != expectedDimension) {
            throw new SampleFormatException(DecodeReason.WRONG_DIMENSION,
                    "expected " + expectedDimension + " values, got " + sample.length);
        }
        for (int k = 0; k < sample.length; k++) {
            float v = sample[k];
            if (!Float.isFinite(v)) {
                throw new SampleFormatException(DecodeReason.NON_FINITE, "value " + k + " is " + v
                        + (codec == JsonSampleCodec.INSTANCE && !Float.isNaN(v) ? " (or beyond the float range)" : ""));
            }
            if (Math.abs(v) > maxAbsValue) {
                throw new SampleFormatException(DecodeReason.OUT_OF_RANGE, "value " + k + " is " + v
                        + ", beyond the bound |x| <= " + maxAbsValue);
            }
        }
        return sample;
    }

    /** Builder of {@link SampleDecoder}. */
    public static final class Builder {
        private int expectedDimension;
        private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
        private double maxAbsValue = DEFAULT_MAX_ABS_VALUE;
        private SampleCodec codec = JsonSampleCodec.INSTANCE;
        private boolean forced;

        private Builder() {
        }

        /** @param d required number of values, or 0 for any; @return this */
        public Builder expectedDimension(int d) {
            if (d < 0) {
                throw new IllegalArgumentException("expectedDimension must be >= 0 (0 accepts any), got " + d);
            }
            this.expectedDimension = d;
            return this;
        }

        /** @param bytes largest accepted value size, >= 1; @return this */
        public Builder maxRecordBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxRecordBytes must be >= 1, got " + bytes);
            }
            this.maxRecordBytes = bytes;
            return this;
        }

        /** @param bound largest accepted |value|, a finite number > 0; @return this */
        public Builder maxAbsValue(double bound) {
            if (!(bound > 0) || Double.isInfinite(bound)) {
                throw new IllegalArgumentException("maxAbsValue must be a finite number > 0, got " + bound);
            }
            this.maxAbsValue = bound;
            return this;
        }

        /** @param c codec for records without a content-type header; @return this */
        public Builder defaultCodec(SampleCodec c) {
            this.codec = java.util.Objects.requireNonNull(c, "codec");
            this.forced = false;
            return this;
        }

        /** @param c codec for every record, whatever its header says; @return this */
        public Builder forceCodec(SampleCodec c) {
            this.codec = java.util.Objects.requireNonNull(c, "codec");
            this.forced = true;
            return this;
        }

        /** @return the decoder */
        public SampleDecoder build() {
            return new SampleDecoder(this);
        }
    }
}
