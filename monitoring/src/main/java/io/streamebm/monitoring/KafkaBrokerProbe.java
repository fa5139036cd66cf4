package io.streamebm.monitoring;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Tells whether the Kafka cluster is reachable, for readiness.
 *
 * <p>A background thread runs Kafka's {@code Admin#describeCluster} every check interval with a
 * short timeout and caches the answer, so {@link #get()} never blocks: a health request must stay
 * fast even while the broker is down, and Kubernetes-style probes time out after a second or so.
 * A cached answer older than a few intervals counts as unreachable, so a wedged probe thread cannot
 * keep reporting a broker that went away.
 *
 * <p>One admin client is kept open between checks (creating one costs a metadata round trip and a
 * thread); its reconnect backoff is capped low so a broker that comes back is noticed at the next check.
 */
public final class KafkaBrokerProbe implements Supplier<BrokerStatus>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerProbe.class);

    private final String bootstrapServers;
    private final Map<String, Object> clientProperties;
    private final Duration interval;
    private final Duration timeout;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService scheduler;
    private final Object adminLock = new Object();
    private Admin admin;
    private volatile BrokerStatus last;
    private volatile boolean closed;

    private KafkaBrokerProbe(String bootstrapServers, Map<String, ?> clientProperties, Duration interval,
                             Duration timeout) {
        this.bootstrapServers = requireNonBlank(bootstrapServers);
        this.clientProperties = adminProperties(clientProperties);
        this.interval = Objects.requireNonNull(interval, "interval");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("interval and timeout must be positive");
        }
        this.nanoClock = System::nanoTime;
        this.last = BrokerStatus.unreachable("not checked yet", nanoClock.getAsLong());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamebm-broker-probe");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts probing in the background; the first check runs immediately.
     *
     * @param bootstrapServers the Kafka bootstrap servers, as given to the trainer's consumer
     * @param interval         time between the end of one check and the start of the next
     * @param timeout          how long one check may take
     * @return the running probe; close it to stop
     */
    public static KafkaBrokerProbe start(String bootstrapServers, Duration interval, Duration timeout) {
        return start(bootstrapServers, Map.of(), interval, timeout);
    }

    /**
     * Like {@link #start(String, Duration, Duration)}, for a cluster that needs client settings
     * to be reached at all (TLS, SASL): the properties the trainer's consumer gets. Those the admin
     * client does not know (consumer-only ones) are left out.
     *
     * @param clientProperties Kafka client properties such as {@code security.protocol}
     */
    public static KafkaBrokerProbe start(String bootstrapServers, Map<String, ?> clientProperties, Duration interval,
                                         Duration timeout) {
        KafkaBrokerProbe probe = new KafkaBrokerProbe(bootstrapServers, clientProperties, interval, timeout);
        probe.scheduler.scheduleWithFixedDelay(probe::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return probe;
    }

    /**
     * The latest cached status, without blocking. Stale answers (older than three intervals plus
     * the timeout) are reported as unreachable.
     *
     * @return the broker status
     */
    @Override
    public BrokerStatus get() {
        BrokerStatus s = last;
        long now = nanoClock.getAsLong();
        long maxAge = interval.multipliedBy(3).plus(timeout).toNanos();
        if (s.reachable() && now - s.checkedAtNanos() > maxAge) {
            return BrokerStatus.unreachable("last successful check is stale ("
                    + Duration.ofNanos(now - s.checkedAtNanos()).toMillis() + " ms old)", s.checkedAtNanos());
        }
        return s;
    }

    /**
     * Checks the broker now, on the calling thread, and caches the answer. Blocks for at most about
     * the timeout.
     *
     * @return the fresh status
     */
    public BrokerStatus checkNow() {
        BrokerStatus s = describe();
        last = s;
        return s;
    }

    /** @return the bootstrap servers probed */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    private void refresh() {
        try {
            checkNow();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; keep probing whatever happens.
            last = BrokerStatus.unreachable("probe failed: " + e, nanoClock.getAsLong());
        }
    }

    private BrokerStatus describe() {
        if (closed) {
            return BrokerStatus.unreachable("probe closed", nanoClock.getAsLong());
        }
        Admin a;
        try {
            a = admin();
        } catch (RuntimeException e) {
            // For example an unresolvable host name while a container's DNS entry is not there yet.
            return BrokerStatus.unreachable("cannot create admin client: " + e.getMessage(), nanoClock.getAsLong());
        }
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        try {
            DescribeClusterResult r = a.describeCluster(new DescribeClusterOptions().timeoutMs(ms));
            Collection<Node> nodes = r.nodes().get(ms + 500L, TimeUnit.MILLISECONDS);
            String clusterId = r.clusterId().get(ms + 500L, TimeUnit.MILLISECONDS);
            return new BrokerStatus(true, nodes.size(), clusterId == null ? "" : clusterId,
                    nodes.size() + " node(s)", nanoClock.getAsLong());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return BrokerStatus.unreachable(cause.getClass().getSimpleName() + ": " + cause.getMessage(),
                    nanoClock.getAsLong());
        } catch (TimeoutException e) {
            return BrokerStatus.unreachable("no answer within " + ms + " ms", nanoClock.getAsLong());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return BrokerStatus.unreachable("interrupted", nanoClock.getAsLong());
        }
    }

    private Admin admin() {
        synchronized (adminLock) {
            if (admin == null) {
                int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
                Properties p = new Properties();
                p.putAll(clientProperties);
                p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                p.put(AdminClientConfig.CLIENT_ID_CONFIG, "streamebm-broker-probe");
                p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
                p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
                p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (long) ms);
                p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, (long) ms);
                // Low backoff caps: after an outage the next check must reconnect, not wait out
                // an exponential backoff that has grown to tens of seconds.
                p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 100L);
                p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000L);
                p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100L);
                p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1000L);
                admin = Admin.create(p);
            }
            return admin;
        }
    }

    /** Stops the background checks and closes the admin client. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (adminLock) {
            if (admin != null) {
                try {
                    admin.close(Duration.ofSeconds(1));
                } catch (RuntimeException e) {
                    LOG.debug("closing the probe's admin client failed", e);
                }
                admin = null;
            }
        }
    }

    private static Map<String, Object> adminProperties(Map<String, ?> clientProperties) {
        Map<String, Object> out = new HashMap<>();
        Objects.requireNonNull(clientProperties, "clientProperties").forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                out.put(k, v);
            }
        });
        return Map.copyOf(out);
    }

    private static String requireNonBlank(String s) {
        Objects.requireNonNull(s, "bootstrapServers");
        if (s.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers must not be blank");
        }
        return s;
    }
}
