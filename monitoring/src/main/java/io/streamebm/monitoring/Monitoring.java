package io.streamebm.monitoring;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Everything monitoring does for one trainer, wired together: the registry with JVM and process
 * meters, the {@link TrainingMetrics}, the {@link DriftMetrics}, the broker probe, the health
 * verdict, and the HTTP server.
 * This is what the pipeline creates at start-up and closes at shutdown:
 *
 * <pre>{@code
 * try (Monitoring monitoring = Monitoring.start(options, "eight-gaussians", "pcd", bootstrapServers)) {
 *     monitoring.bindKafkaClient(consumer);
 *     TrainingMetrics metrics = monitoring.training();
 *     ... metrics.onStep(result) ...
 * }
 * }</pre>
 *
 * <p>It observes and never drives: nothing here blocks or throws into the training path.
 */
public final class Monitoring implements AutoCloseable {

    private final MonitoringOptions options;
    private final MonitoringRegistry registry;
    private final TrainingMetrics training;
    private final DriftMetrics drift;
    private final GroupMetrics group;
    private final KafkaBrokerProbe probe;
    private final TrainingHealth health;
    private final MetricsServer server;
    private final ScheduledExecutorService kafkaScheduler;
    private final List<KafkaClientMetrics> kafkaBindings = new ArrayList<>();

    private Monitoring(MonitoringOptions options, MonitoringRegistry registry, TrainingMetrics training,
                       DriftMetrics drift, GroupMetrics group, KafkaBrokerProbe probe, TrainingHealth health, MetricsServer server,
                       ScheduledExecutorService kafkaScheduler) {
        this.options = options;
        this.registry = registry;
        this.training = training;
        this.drift = drift;
        this.group = group;
        this.probe = probe;
        this.health = health;
        this.server = server;
        this.kafkaScheduler = kafkaScheduler;
    }

    /**
     * Creates the registry and meters, starts probing the broker and starts serving
     * {@code /metrics} and {@code /health}.
     *
     * @param options          bind address, port, stall timeout and probe settings
     * @param model            model name (tag {@code model})
     * @param loss             loss name (tag {@code loss})
     * @param bootstrapServers the Kafka cluster the trainer reads from, probed for readiness
     * @return the running monitoring; close it at shutdown
     * @throws UncheckedIOException if the HTTP port cannot be bound
     */
    public static Monitoring start(MonitoringOptions options, String model, String loss, String bootstrapServers) {
        return start(options, model, loss, bootstrapServers, Map.of());
    }

    /**
     * Like {@link #start(MonitoringOptions, String, String, String)}, probing a cluster that needs
     * client settings (TLS, SASL) with the trainer's Kafka client properties.
     *
     * @param kafkaClientProperties the trainer's consumer properties, such as {@code security.protocol}
     */
    public static Monitoring start(MonitoringOptions options, String model, String loss, String bootstrapServers,
                                   Map<String, ?> kafkaClientProperties) {
        Objects.requireNonNull(options, "options");
        MonitoringRegistry registry = MonitoringRegistry.create(model, loss);
        TrainingMetrics training = new TrainingMetrics(model, loss);
        training.bindTo(registry.prometheus());
        // Bound from the start, like the training meters: the drift panel and rule find their
        // series on a run that has never drifted.
        DriftMetrics drift = new DriftMetrics(model, loss);
        drift.bindTo(registry.prometheus());
        GroupMetrics group = new GroupMetrics(model, loss);
        group.bindTo(registry.prometheus());
        KafkaBrokerProbe probe;
        try {
            probe = KafkaBrokerProbe.start(bootstrapServers, kafkaClientProperties, options.brokerCheckInterval(),
                    options.brokerCheckTimeout());
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        TrainingHealth health = new TrainingHealth(training, probe, options.stallTimeout(), options.startupGrace());
        MetricsServer server;
        try {
            server = MetricsServer.start(options, registry.prometheus(), health);
        } catch (IOException e) {
            probe.close();
            registry.close();
            String inUse = e instanceof java.net.BindException
                    ? ": the port is taken (another trainer on this host?); give each process its own metrics.port"
                            + " (--metrics-port N), or 0 for any free one"
                    : "";
            throw new UncheckedIOException("cannot serve metrics on " + options.host() + ":" + options.port() + inUse, e);
        }
        ScheduledExecutorService kafkaScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamebm-kafka-metrics");
            t.setDaemon(true);
            return t;
        });
        return new Monitoring(options, registry, training, drift, group, probe, health, server, kafkaScheduler);
    }

    /** @return the training meters; the trainer calls their {@code on…} methods */
    public TrainingMetrics training() {
        return training;
    }

    /** @return the drift meters; the trainer calls {@link DriftMetrics#onDrift()} on each drift */
    public DriftMetrics drift() {
        return drift;
    }

    /** @return the meters of the model the group trains together (records counted, members, params traffic) */
    public GroupMetrics group() {
        return group;
    }

    /** @return the Prometheus registry, for meters of other components */
    public PrometheusMeterRegistry registry() {
        return registry.prometheus();
    }

    /** @return the health verdict now, as {@code /health} serves it */
    public HealthStatus health() {
        return health.get();
    }

    /** @return the bound HTTP port (the actual one when the options asked for port 0) */
    public int port() {
        return server.port();
    }

    /** @return the HTTP server */
    public MetricsServer server() {
        return server;
    }

    /**
     * Exposes a consumer's client metrics, including {@code records-lag} and
     * {@code records-lag-max} per partition, as {@code kafka_consumer_*} meters. The binding is
     * closed with this object; the consumer stays the caller's.
     *
     * @param consumer the trainer's consumer
     * @return the binding, to close early if the consumer is replaced
     */
    public KafkaClientMetrics bindKafkaClient(Consumer<?, ?> consumer) {
        return bind(new KafkaClientMetrics(consumer, Tags.empty(), kafkaScheduler, options.kafkaMetricsRefresh()));
    }

    /**
     * Exposes a producer's client metrics (dead-letter, snapshot and score producers) as
     * {@code kafka_producer_*} meters. The binding is closed with this object.
     *
     * @param producer a producer of the trainer
     * @return the binding, to close early if the producer is replaced
     */
    public KafkaClientMetrics bindKafkaClient(Producer<?, ?> producer) {
        return bind(new KafkaClientMetrics(producer, Tags.empty(), kafkaScheduler, options.kafkaMetricsRefresh()));
    }

    private synchronized KafkaClientMetrics bind(KafkaClientMetrics metrics) {
        metrics.bindTo(registry.prometheus());
        kafkaBindings.add(metrics);
        return metrics;
    }

    /** Stops the server, the probe and the Kafka bindings, then closes the registry. */
    @Override
    public void close() {
        server.close();
        probe.close();
        synchronized (this) {
            kafkaBindings.forEach(KafkaClientMetrics::close);
            kafkaBindings.clear();
        }
        kafkaScheduler.shutdownNow();
        registry.close();
    }
}
