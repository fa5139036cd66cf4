package io.streamebm.connectors.codec;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** The known codecs, the {@code content-type} header, and helpers to produce sample records. */
public final class SampleCodecs {

    /** Name of the record header that selects the codec. */
    public static final String CONTENT_TYPE_HEADER = "content-type";

    private SampleCodecs() {
    }

    /**
     * @param contentType a MIME type, parameters (after {@code ;}) and case ignored
     * @return the codec for it, or null if none
     */
    public static SampleCodec forContentType(String contentType) {
        String base = contentType;
        int semi = base.indexOf(';');
        if (semi >= 0) {
            base = base.substring(0, semi);
        }
        base = base.trim().toLowerCase(Locale.ROOT);
        return switch (base) {
            case JsonSampleCodec.CONTENT_TYPE -> JsonSampleCodec.INSTANCE;
            case Float32SampleCodec.CONTENT_TYPE -> Float32SampleCodec.INSTANCE;
            default -> null;
        };
    }

    /**
     * @param headers record headers
     * @return the last {@code content-type} header as a string, or null if absent
     */
    public static String contentType(Headers headers) {
        if (headers == null) {
            return null;
        }
        Header h = headers.lastHeader(CONTENT_TYPE_HEADER);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * Builds a record holding one encoded sample with its {@code content-type} header.
     *
     * @param topic  topic
     * @param key    key, may be null
     * @param sample the values
     * @param codec  the format
     * @return the record
     */
    public static ProducerRecord<byte[], byte[]> record(String topic, byte[] key, float[] sample, SampleCodec codec) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, key, codec.encode(sample));
        r.headers().add(CONTENT_TYPE_HEADER, codec.contentType().getBytes(StandardCharsets.UTF_8));
        return r;
    }
}
