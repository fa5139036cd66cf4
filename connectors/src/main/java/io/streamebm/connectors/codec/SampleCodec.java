package io.streamebm.connectors.codec;

/**
 * Turns a record value into one sample (a vector of floats) and back. Implementations are stateless and
 * thread-safe.
 */
public interface SampleCodec {

    /** @return the MIME type written in the {@code content-type} header of records in this format */
    String contentType();

    /**
     * @param value the record value, not null
     * @return the sample; a new array
     * @throws SampleFormatException if the bytes are not a sample in this format
     */
    float[] decode(byte[] value);

    /**
     * @param sample the values
     * @return the record value
     */
    byte[] encode(float[] sample);
}
