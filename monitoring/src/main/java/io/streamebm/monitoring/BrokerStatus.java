package io.streamebm.monitoring;

import java.util.Objects;

/**
 * The outcome of one broker reachability check.
 *
 * @param reachable     whether the cluster answered {@code describeCluster} in time
 * @param nodes         number of brokers the cluster reported (0 when unreachable)
 * @param clusterId     the cluster id, empty when unreachable
 * @param detail        a short human-readable explanation (the error when unreachable)
 * @param checkedAtNanos when the check finished, on the {@link System#nanoTime()} scale
 */
public record BrokerStatus(boolean reachable, int nodes, String clusterId, String detail, long checkedAtNanos) {

    /** Validates the fields. */
    public BrokerStatus {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * A status saying the broker could not be reached.
     *
     * @param detail         why
     * @param checkedAtNanos when, on the {@link System#nanoTime()} scale
     * @return an unreachable status
     */
    public static BrokerStatus unreachable(String detail, long checkedAtNanos) {
        return new BrokerStatus(false, 0, "", detail, checkedAtNanos);
    }
}
