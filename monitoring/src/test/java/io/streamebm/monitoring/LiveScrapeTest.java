package io.streamebm.monitoring;

import io.streamebm.broker.LocalKafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole monitoring path against real things: a real broker and consumer (for the Kafka client
 * meters, consumer lag included), a simulated trainer feeding {@link TrainingMetrics}, the
 * {@link MetricsServer} on a free port, {@code promtool}, and a real Prometheus server scraping the
 * endpoint and evaluating every dashboard query and alert expression of the provisioning files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveScrapeTest {

    private static final String TOPIC = "ebm.samples";
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Per query: once the target is up, a range of a few 1 s scrapes is all a query needs. */
    private static final Duration QUERY_WAIT = Duration.ofSeconds(30);

    private LocalKafkaBroker broker;
    private Monitoring monitoring;
    private TrainingFeed feed;
    private Thread consumerThread;
    private volatile boolean consuming = true;
    private PrometheusServer prometheus;

    @BeforeAll
    void start() throws Exception {
        broker = LocalKafkaBroker.start();
        broker.createTopic(TOPIC, 2);
        Properties pp = new Properties();
        pp.put("bootstrap.servers", broker.bootstrapServers());
        try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 5_000; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "[" + (i % 7) + ".5,-1.25]"));
            }
        }
        monitoring = Monitoring.start(MonitoringOptions.builder().port(0)
                        .kafkaMetricsRefresh(Duration.ofSeconds(1))
                        .brokerCheckInterval(Duration.ofMillis(500))
                        .build(),
                "eight-gaussians", "pcd", broker.bootstrapServers());
        consumerThread = new Thread(this::consume, "test-consumer");
        consumerThread.setDaemon(true);
        consumerThread.start();
        feed = new TrainingFeed(monitoring.training());
        // The GC pause timer only exists after a collection; the dashboard's GC panel reads it.
        System.gc();
        TestSupport.await("a divergence, dead letters and the consumer's lag in the scrape", WAIT, () -> {
            String body = scrape(null).body();
            return body.contains("ebm_divergences_total{") && body.contains("ebm_records_dead_lettered_total{")
                    && body.contains("kafka_consumer_fetch_manager_records_lag{")
                    && body.contains("kafka_consumer_fetch_manager_records_lag_max{")
                    && body.contains("jvm_gc_pause_seconds_count{");
        });
    }

    /** A slow consumer (5 records per poll) keeps a lag that the lag panels and alert can see. */
    private void consume() {
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "streamebm-trainer");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5);
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            monitoring.bindKafkaClient(consumer);
            consumer.subscribe(List.of(TOPIC));
            while (consuming) {
                consumer.poll(Duration.ofMillis(100));
                TestSupport.sleep(50);
            }
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (feed != null) {
            feed.close();
        }
        consuming = false;
        if (consumerThread != null) {
            consumerThread.join(10_000);
        }
        if (monitoring != null) {
            monitoring.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private HttpResponse<String> scrape(String accept) {
        return TestSupport.get(monitoring.server().baseUri().resolve("/metrics"), accept);
    }

    @Test
    void liveScrapePassesPromtoolCheckMetrics() {
        Path promtool = TestSupport.requireBinary("promtool");
        HttpResponse<String> r = scrape(null);
        assertEquals(200, r.statusCode());
        assertEquals(MetricsServer.PROMETHEUS_TEXT, r.headers().firstValue("Content-Type").orElse(""));
        TestSupport.Result check = TestSupport.run(List.of(promtool.toString(), "check", "metrics"),
                r.body(), Duration.ofSeconds(60));
        assertEquals(0, check.exitCode(), "promtool check metrics:\n" + check.output());
        assertEquals("", check.output().strip(), "promtool printed lint problems");
    }

    @Test
    void openMetricsOnlyWhenAskedFor() {
        HttpResponse<String> om = scrape("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        assertEquals(MetricsServer.OPENMETRICS_TEXT, om.headers().firstValue("Content-Type").orElse(""));
        assertTrue(om.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");
        HttpResponse<String> text = scrape("text/plain");
        assertEquals(MetricsServer.PROMETHEUS_TEXT, text.headers().firstValue("Content-Type").orElse(""));
        assertTrue(!text.body().contains("# EOF"));
    }

    @Test
    void everyContractMetricIsExposedWithModelAndLossTags() {
        String body = scrape(null).body();
        List<String> contract = List.of("ebm_train_steps_total", "ebm_records_consumed_total",
                "ebm_records_rejected_total", "ebm_train_loss", "ebm_energy_positive", "ebm_energy_negative",
                "ebm_energy_gap", "ebm_grad_norm", "ebm_param_norm", "ebm_train_step_seconds_bucket",
                "ebm_train_step_seconds_count", "ebm_checkpoints_total", "ebm_model_version",
                "ebm_divergences_total", "ebm_checkpoint_seconds_count", "ebm_sampler_acceptance_rate",
                "ebm_chain_energy_mean", "ebm_records_dead_lettered_total", "ebm_model_mmd", "ebm_train_rollbacks_total");
        Map<String, List<String>> samples = samples(body);
        for (String name : contract) {
            List<String> lines = samples.get(name);
            assertTrue(lines != null && !lines.isEmpty(), name + " missing from the scrape");
            for (String line : lines) {
                assertTrue(line.contains("model=\"eight-gaussians\"") && line.contains("loss=\"pcd\""),
                        "model and loss tags on " + line);
            }
        }
        assertTrue(samples.get("ebm_records_rejected_total").get(0).contains("reason=\""));
        assertTrue(samples.get("ebm_records_dead_lettered_total").get(0).contains("reason=\""));
        // Common tags reach the JVM and Kafka meters too.
        assertTrue(samples.get("jvm_memory_used_bytes").get(0).contains("model=\"eight-gaussians\""));
        assertTrue(samples.get("kafka_consumer_fetch_manager_records_lag_max").get(0).contains("model=\"eight-gaussians\""));
        assertTrue(!samples.containsKey("process_cpu_time_ns_total") && !samples.containsKey("system_cpu_count"));
    }

    @Test
    void everyMetricOfTheDashboardAndTheRulesIsInTheScrape() {
        Set<String> exposed = samples(scrape(null).body()).keySet();
        List<String> dangling = new ArrayList<>();
        List<PromQl.Query> queries = new ArrayList<>(PromQl.dashboardQueries());
        queries.addAll(PromQl.ruleQueries());
        Set<String> referenced = new LinkedHashSet<>();
        for (PromQl.Query q : queries) {
            Set<String> names = PromQl.metricNames(q.expr());
            assertTrue(!names.isEmpty(), q.source() + " selects no metric: " + q.expr());
            for (String name : names) {
                referenced.add(name);
                // `up` is synthesized by Prometheus for every target, never exposed.
                if (!name.equals("up") && !exposed.contains(name)) {
                    dangling.add(q.source() + ": " + name);
                }
            }
        }
        assertTrue(dangling.isEmpty(), "metrics referenced but not exposed: " + dangling);
        assertTrue(referenced.contains("kafka_consumer_fetch_manager_records_lag_max"), "lag panel present");
        assertTrue(queries.size() >= 20, "dashboard and rules parsed: " + queries.size());
    }

    @Test
    void alertRulesPassPromtoolCheckRules() {
        Path promtool = TestSupport.requireBinary("promtool");
        TestSupport.Result r = TestSupport.run(List.of(promtool.toString(), "check", "rules",
                PromQl.rulesFile().toString()), null, Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), "promtool check rules:\n" + r.output());
        assertTrue(r.output().contains("SUCCESS"), r.output());
    }

    @Test
    void everyDashboardPanelQueryReturnsDataFromPrometheus() throws Exception {
        startPrometheus();
        assertTrue(PromQl.dashboardQueries().size() >= 15, "dashboard targets: " + PromQl.dashboardQueries().size());
        List<String> empty = prometheus.dashboardQueriesWithoutData(QUERY_WAIT);
        assertTrue(empty.isEmpty(), "queries without data: " + empty);
    }

    @Test
    void everyAlertExpressionFindsItsSeriesInPrometheus() throws Exception {
        startPrometheus();
        List<String> empty = prometheus.ruleQueriesWithoutData(QUERY_WAIT);
        assertTrue(empty.isEmpty(), "alert expressions without series: " + empty);
        // Prometheus loaded the very same file and evaluates every rule without error.
        prometheus.awaitRulesHealthy();
    }

    private synchronized void startPrometheus() throws Exception {
        if (prometheus == null) {
            prometheus = PrometheusServer.start(monitoring.port());
        }
    }

    /** Sample lines of a text-format scrape, by series name. */
    static Map<String, List<String>> samples(String body) {
        return PromQl.samples(body);
    }
}
