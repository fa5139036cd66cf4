package io.streamebm.monitoring;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A Prometheus registry set up the way every StreamEBM process exposes it: common tags
 * {@code model} and {@code loss} on every meter (so JVM and Kafka series of one trainer can be
 * told apart from another's in a shared Prometheus), JVM memory, GC, thread and class-loader meters,
 * process uptime, file descriptors and CPU usage.
 *
 * <p>Two {@link ProcessorMetrics} meters are filtered out, {@code process.cpu.time} and
 * {@code system.cpu.count}: their Prometheus names break {@code promtool check metrics}
 * (a non-base unit, and a {@code _count} suffix reserved for histograms and summaries), and the CPU
 * usage gauges that remain answer the operator's question anyway. Kafka client meters that break
 * the same lint are dropped too, see {@link #failsPromtoolLint(Meter.Id)}.
 *
 * <p>Closing it stops the GC notification listener and closes the registry.
 */
public final class MonitoringRegistry implements AutoCloseable {

    /** Meter names removed from every registry created here, see the class comment. */
    public static final Set<String> DENIED_METERS = Set.of("process.cpu.time", "system.cpu.count");

    /**
     * Name tokens that {@code promtool check metrics} rejects as abbreviated units (the list of
     * Prometheus' {@code promlint}).
     */
    private static final Set<String> ABBREVIATED_UNITS =
            Set.of("s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d");

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;

    private MonitoringRegistry(PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics) {
        this.registry = registry;
        this.gcMetrics = gcMetrics;
    }

    /**
     * Creates the registry and binds the JVM and process meters. Training meters are bound
     * separately ({@link TrainingMetrics#bindTo}), so the caller decides when training starts.
     *
     * @param model value of the common tag {@code model}
     * @param loss  value of the common tag {@code loss}
     * @return the registry
     */
    public static MonitoringRegistry create(String model, String loss) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(loss, "loss");
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Filters first: meters registered before a filter is configured would escape it.
        r.config().meterFilter(MeterFilter.deny(id -> DENIED_METERS.contains(id.getName())));
        r.config().meterFilter(MeterFilter.deny(MonitoringRegistry::failsPromtoolLint));
        r.config().commonTags(Tags.of(TrainingMetrics.TAG_MODEL, model, TrainingMetrics.TAG_LOSS, loss));
        new ClassLoaderMetrics().bindTo(r);
        new JvmMemoryMetrics().bindTo(r);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
        new FileDescriptorMetrics().bindTo(r);
        return new MonitoringRegistry(r, gc);
    }

    /**
     * Whether a Kafka client meter would make {@code promtool check metrics} fail. Kafka names a
     * few metrics after abbreviated units ({@code io-time-ns-avg}, {@code start-time-ms}), one
     * ends in {@code -count} (reserved for histograms), and some have no description. They are
     * dropped rather than renamed: a rename cannot rescale the value, and none of them is needed to
     * see whether training keeps up (lag, fetch and consume rates all pass). Only {@code kafka.*}
     * meters are judged, so that a StreamEBM meter breaking the lint fails the tests instead of
     * silently disappearing.
     *
     * @param id a meter id
     * @return true to drop the meter
     */
    static boolean failsPromtoolLint(Meter.Id id) {
        String name = id.getName();
        if (!name.startsWith("kafka.")) {
            return false;
        }
        if (id.getDescription() == null || id.getDescription().isBlank()) {
            return true;
        }
        String[] tokens = name.toLowerCase(Locale.ROOT).split("[._-]");
        for (String t : tokens) {
            if (ABBREVIATED_UNITS.contains(t)) {
                return true;
            }
        }
        return tokens[tokens.length - 1].equals("count") || tokens[tokens.length - 1].equals("sum")
                || tokens[tokens.length - 1].equals("bucket");
    }

    /** @return the Prometheus registry, to bind more meters to and to serve */
    public PrometheusMeterRegistry prometheus() {
        return registry;
    }

    /** Stops the GC listener and closes the registry. */
    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}
