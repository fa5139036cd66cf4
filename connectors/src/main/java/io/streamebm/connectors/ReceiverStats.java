package io.streamebm.connectors;

/**
 * A snapshot of a {@link KafkaReceiver}'s counters, for monitoring and tests.
 *
 * @param paused             whether every assigned partition is currently paused (no demand, or too many records in flight)
 * @param pauses             how many times the receiver paused its partitions
 * @param polls              how many times it polled the consumer
 * @param batches            batches delivered downstream
 * @param records            records delivered downstream
 * @param inFlightRecords    records delivered and neither acknowledged nor revoked
 * @param maxInFlightRecords the largest {@code inFlightRecords} seen
 * @param commits            successful offset commits
 * @param retries            retriable errors recovered from
 */
public record ReceiverStats(boolean paused, long pauses, long polls, long batches, long records,
                            long inFlightRecords, long maxInFlightRecords, long commits, long retries) {
}
