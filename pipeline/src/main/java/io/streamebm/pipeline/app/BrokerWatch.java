package io.streamebm.pipeline.app;

import io.streamebm.monitoring.BrokerStatus;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Makes an unreachable Kafka cluster visible. A Kafka client retries a dead broker silently and
 * forever, so a trainer pointed at the wrong address would just sit there. This watch reads the
 * monitoring's broker checks every second and warns, naming the bootstrap servers, once the
 * cluster has been unreachable for {@link #FIRST_WARNING} (counted from start-up, or from the last
 * good check), then again after 10 s, 20 s, 40 s, ... at most {@link #LONGEST_GAP} apart, so that
 * a long outage stays visible without flooding the log. When the cluster answers again after a
 * warning, it says so once.
 */
public final class BrokerWatch implements AutoCloseable {

    /**
     * How long the cluster may be unreachable before the first warning: longer than a healthy
     * cluster's first check takes, short enough that a wrong address shows within 10 s.
     */
    public static final Duration FIRST_WARNING = Duration.ofSeconds(5);
    /** The time between the first and the second warning; it doubles after each warning. */
    public static final Duration FIRST_GAP = Duration.ofSeconds(10);
    /** The longest time between two warnings of one outage. */
    public static final Duration LONGEST_GAP = Duration.ofMinutes(5);

    private final String bootstrapServers;
    private final Supplier<BrokerStatus> status;
    private final Consumer<String> warn;
    private final Consumer<String> notice;
    private ScheduledExecutorService scheduler;
    /** Start of the current outage on the nanoTime scale; start-up counts as one until a check succeeds. */
    private long downSince;
    private boolean down = true;
    private long nextWarningAfterNanos = FIRST_WARNING.toNanos();
    private long gapNanos = FIRST_GAP.toNanos();
    private boolean warned;

    /**
     * A watch that is driven by {@link #observe}; {@link #start} drives one every second.
     *
     * @param status    the latest broker check (the monitoring's probe)
     * @param startNanos start-up time on the {@link System#nanoTime()} scale
     * @param warn      where warnings go
     * @param notice    where the "reachable again" notice goes
     */
    BrokerWatch(String bootstrapServers, Supplier<BrokerStatus> status, long startNanos, Consumer<String> warn,
            Consumer<String> notice) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.status = Objects.requireNonNull(status, "status");
        this.warn = Objects.requireNonNull(warn, "warn");
        this.notice = Objects.requireNonNull(notice, "notice");
        this.downSince = startNanos;
    }

    /** Starts watching on a daemon thread, one look a second; close to stop. */
    public static BrokerWatch start(String bootstrapServers, Supplier<BrokerStatus> status, Consumer<String> warn,
            Consumer<String> notice) {
        BrokerWatch watch = new BrokerWatch(bootstrapServers, status, System.nanoTime(), warn, notice);
        watch.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamebm-broker-watch");
            t.setDaemon(true);
            return t;
        });
        watch.scheduler.scheduleWithFixedDelay(() -> {
            try {
                watch.observe(System.nanoTime());
            } catch (RuntimeException e) {
                // A scheduled task that throws never runs again; a watch must keep watching.
                warn.accept("broker watch failed: " + e);
            }
        }, 1, 1, TimeUnit.SECONDS);
        return watch;
    }

    /** Takes one look at the broker status at time {@code nowNanos} and warns or notices if due. */
    synchronized void observe(long nowNanos) {
        BrokerStatus s = status.get();
        if (s.reachable()) {
            if (warned) {
                notice.accept("Kafka at " + bootstrapServers + " is reachable again after "
                        + seconds(nowNanos - downSince) + " s");
            }
            down = false;
            warned = false;
            nextWarningAfterNanos = FIRST_WARNING.toNanos();
            gapNanos = FIRST_GAP.toNanos();
            return;
        }
        if (!down) {
            down = true;
            downSince = nowNanos;
        }
        long age = nowNanos - downSince;
        if (age >= nextWarningAfterNanos) {
            nextWarningAfterNanos += gapNanos;
            gapNanos = Math.min(2 * gapNanos, LONGEST_GAP.toNanos());
            warned = true;
            warn.accept("cannot reach Kafka at " + bootstrapServers + " for " + seconds(age) + " s ("
                    + s.detail() + "); still trying, next warning in " + seconds(nextWarningAfterNanos - age)
                    + " s. Check --bootstrap-server and the client settings (--command-config, kafka.consumer.*)");
        }
    }

    private static long seconds(long nanos) {
        return Math.round(nanos / 1e9);
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
