package io.streamebm.connectors;

import org.apache.kafka.common.TopicPartition;

/**
 * The {@code "topic-partition"} strings used as keys of {@link DecodedBatch#sourcePositions()} (and so in
 * checkpoints), and back. Topic names may themselves contain {@code '-'}; the partition is what follows
 * the last one.
 */
public final class PartitionKeys {
    private PartitionKeys() {
    }

    /**
     * @param tp a partition
     * @return its key, e.g. {@code ebm.samples-3}
     */
    public static String key(TopicPartition tp) {
        return tp.topic() + "-" + tp.partition();
    }

    /**
     * @param key a key made by {@link #key(TopicPartition)}
     * @return the partition
     * @throws IllegalArgumentException if the key does not end with {@code -<partition number>}
     */
    public static TopicPartition parse(String key) {
        int dash = key.lastIndexOf('-');
        if (dash <= 0 || dash == key.length() - 1) {
            throw new IllegalArgumentException("expected \"<topic>-<partition>\", got \"" + key + "\"");
        }
        try {
            int p = Integer.parseInt(key.substring(dash + 1));
            if (p < 0) {
                throw new NumberFormatException();
            }
            return new TopicPartition(key.substring(0, dash), p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected \"<topic>-<partition>\" with a partition number >= 0, got \"" + key + "\"");
        }
    }
}
