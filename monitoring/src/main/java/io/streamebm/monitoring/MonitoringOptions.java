package io.streamebm.monitoring;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of the monitoring side of a trainer: where {@code /metrics} and
 * {@code /health} listen, when training counts as stalled, and how often the broker is probed.
 *
 * <p>Build with {@link #builder()}; unset fields keep the documented defaults. The default bind
 * address is loopback on purpose: the endpoint exposes internals and has no authentication, so
 * listening on every interface ({@code 0.0.0.0}, as in the container) must be a deliberate choice.
 *
 * @param host                bind address of the HTTP server
 * @param port                TCP port, 0 for a free one (tests); see {@link MetricsServer#port()}
 * @param stallTimeout        readiness fails when no update was applied for this long
 * @param startupGrace        before the first update, readiness tolerates no progress for this long
 *                            (loading ND4J, a checkpoint, joining the consumer group)
 * @param brokerCheckInterval how often the broker probe runs in the background
 * @param brokerCheckTimeout  how long one probe may take before the broker counts as unreachable
 * @param kafkaMetricsRefresh how often Kafka client metrics are rescanned for new names (for example
 *                            per-partition lag after a rebalance); values themselves are always live
 */
public record MonitoringOptions(String host, int port, Duration stallTimeout, Duration startupGrace,
                                Duration brokerCheckInterval, Duration brokerCheckTimeout,
                                Duration kafkaMetricsRefresh) {

    /** Default bind address, loopback only (ARCHITECTURE.md: {@code http://127.0.0.1:9404/metrics}). */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default port of the metrics endpoint, the one Prometheus scrapes in docker-compose.yml. */
    public static final int DEFAULT_PORT = 9404;
    /** Default stall timeout: operators must see a stall within about a minute. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);
    /** Default start-up grace: ND4J's native start plus a checkpoint load plus the first group join. */
    public static final Duration DEFAULT_STARTUP_GRACE = Duration.ofSeconds(120);
    /** Default interval between broker probes. */
    public static final Duration DEFAULT_BROKER_CHECK_INTERVAL = Duration.ofSeconds(5);
    /** Default timeout of one broker probe. */
    public static final Duration DEFAULT_BROKER_CHECK_TIMEOUT = Duration.ofSeconds(3);
    /** Default rescan interval of Kafka client metrics (Micrometer's own default is one minute). */
    public static final Duration DEFAULT_KAFKA_METRICS_REFRESH = Duration.ofSeconds(15);

    /** Validates every field. */
    public MonitoringOptions {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1..65535, got " + port);
        }
        requirePositive(stallTimeout, "stallTimeout");
        requirePositive(startupGrace, "startupGrace");
        requirePositive(brokerCheckInterval, "brokerCheckInterval");
        requirePositive(brokerCheckTimeout, "brokerCheckTimeout");
        requirePositive(kafkaMetricsRefresh, "kafkaMetricsRefresh");
    }

    /** @return the defaults: 127.0.0.1:9404, 60 s stall timeout, 120 s grace, probe every 5 s within 3 s */
    public static MonitoringOptions defaults() {
        return builder().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder starting from these options */
    public Builder toBuilder() {
        return new Builder().host(host).port(port).stallTimeout(stallTimeout).startupGrace(startupGrace)
                .brokerCheckInterval(brokerCheckInterval).brokerCheckTimeout(brokerCheckTimeout)
                .kafkaMetricsRefresh(kafkaMetricsRefresh);
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /** Mutable builder of {@link MonitoringOptions}; not thread-safe. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private Duration startupGrace = DEFAULT_STARTUP_GRACE;
        private Duration brokerCheckInterval = DEFAULT_BROKER_CHECK_INTERVAL;
        private Duration brokerCheckTimeout = DEFAULT_BROKER_CHECK_TIMEOUT;
        private Duration kafkaMetricsRefresh = DEFAULT_KAFKA_METRICS_REFRESH;

        private Builder() {
        }

        /**
         * Sets the bind address.
         *
         * @param value bind address
         * @return this builder
         */
        public Builder host(String value) {
            this.host = value;
            return this;
        }

        /**
         * Sets the port, 0 for a free one.
         *
         * @param value port, 0 for a free one
         * @return this builder
         */
        public Builder port(int value) {
            this.port = value;
            return this;
        }

        /**
         * Sets the stall timeout.
         *
         * @param value stall timeout
         * @return this builder
         */
        public Builder stallTimeout(Duration value) {
            this.stallTimeout = value;
            return this;
        }

        /**
         * Sets the start-up grace period.
         *
         * @param value start-up grace period
         * @return this builder
         */
        public Builder startupGrace(Duration value) {
            this.startupGrace = value;
            return this;
        }

        /**
         * Sets the interval between broker probes.
         *
         * @param value interval between broker probes
         * @return this builder
         */
        public Builder brokerCheckInterval(Duration value) {
            this.brokerCheckInterval = value;
            return this;
        }

        /**
         * Sets the timeout of one broker probe.
         *
         * @param value timeout of one broker probe
         * @return this builder
         */
        public Builder brokerCheckTimeout(Duration value) {
            this.brokerCheckTimeout = value;
            return this;
        }

        /**
         * Sets the rescan interval of Kafka client metrics.
         *
         * @param value rescan interval of Kafka client metrics
         * @return this builder
         */
        public Builder kafkaMetricsRefresh(Duration value) {
            this.kafkaMetricsRefresh = value;
            return this;
        }

        /** @return the validated options */
        public MonitoringOptions build() {
            return new MonitoringOptions(host, port, stallTimeout, startupGrace, brokerCheckInterval,
                    brokerCheckTimeout, kafkaMetricsRefresh);
        }
    }
}
