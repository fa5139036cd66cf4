package io.streamebm.connectors;

/**
 * One decoded and validated sample with the position of its record.
 *
 * @param topic     source topic
 * @param partition source partition
 * @param offset    source offset
 * @param timestamp record timestamp (epoch milliseconds)
 * @param key       record key, may be null
 * @param values    the sample; owned by the receiver of this object
 */
public record DecodedSample(String topic, int partition, long offset, long timestamp, byte[] key, float[] values) {
}
