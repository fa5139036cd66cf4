package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.DecodeReason;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.monitoring.PromQl;
import io.streamebm.monitoring.PrometheusServer;
import io.streamebm.monitoring.TestSupport;
import io.streamebm.pipeline.SmallTrainer;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.TrainerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A healthy run (the real trainer on a real broker, input without a single bad record, no injected
 * divergence) must show data on every dashboard panel and give every alert rule its series: the
 * series of rare events (dead letters, rejections, divergences) exist at zero from the first scrape
 * on instead of appearing with their first increment. The metric names come from the repository's
 * dashboard and rule files, so a new panel or rule is covered without touching this test.
 */
class EverySeriesFromTheStartTest {

    private static final Duration QUERY_WAIT = Duration.ofSeconds(30);

    /**
     * Series the JVM creates at its first garbage collection, not at start-up; the GC panel falls
     * back to 0 until then, which the Prometheus half of the test checks.
     */
    private static final Set<String> AFTER_FIRST_GC =
            Set.of("jvm_gc_pause_seconds_sum", "jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_max");

    @TempDir
    Path dir;

    @Test
    void everyReferencedSeriesIsScrapedOnARunWithoutBadRecords() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("series");
        broker.createTopic(topic, 3);
        PipelineConfig config = SmallTrainer.config(broker.bootstrapServers(), topic, dir, "series", Map.of());
        Set<String> referenced = PromQl.referencedMetricNames();
        assertTrue(referenced.contains("ebm_divergences_total") && referenced.contains("ebm_records_dead_lettered_total")
                && referenced.contains("ebm_records_rejected_total"), "dashboard and rules parsed: " + referenced);

        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "series-producer");
                TrainingJob job = new TrainingJob(config, new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8))) {
            URI metrics = URI.create("http://127.0.0.1:" + job.monitoring().port() + "/metrics");

            // Before the first record: every StreamEBM series is there already.
            Map<String, List<String>> atStart = PromQl.samples(TestSupport.get(metrics, null).body());
            List<String> missing = new ArrayList<>();
            for (String name : referenced) {
                if (name.startsWith("ebm_") && !atStart.containsKey(name)) {
                    missing.add(name);
                }
            }
            assertTrue(missing.isEmpty(), "StreamEBM series missing before training starts: " + missing);
            for (String reason : DecodeReason.tags()) {
                assertSeries(atStart, "ebm_records_rejected_total", "reason", reason, "0.0");
                assertSeries(atStart, "ebm_records_dead_lettered_total", "reason", reason, "0.0");
            }
            for (TrainerOptions.Reaction reaction : TrainerOptions.Reaction.values()) {
                assertSeries(atStart, "ebm_divergences_total", "reaction", reaction.label(), "0.0");
            }

            SyntheticProducer producer = new SyntheticProducer(sender, topic, JsonSampleCodec.INSTANCE,
                    Datasets.stream("eight-gaussians", 8)::next);
            Thread producing = new Thread(() -> producer.run(0, 1500), "series-producer");
            producing.setDaemon(true);
            producing.start();
            Thread training = new Thread(() -> job.run(0), "series-trainer");
            training.setDaemon(true);
            training.start();
            try {
                // Training: the Kafka client series appear once the consumer has fetched.
                TestSupport.await("training steps and the consumer's lag in the scrape", Duration.ofSeconds(90), () -> {
                    Map<String, List<String>> now = PromQl.samples(TestSupport.get(metrics, null).body());
                    return now.containsKey("kafka_consumer_fetch_manager_records_lag")
                            && now.getOrDefault("ebm_train_steps_total", List.of()).stream()
                                    .anyMatch(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= 10);
                });
                String scrape = TestSupport.get(metrics, null).body();
                Map<String, List<String>> running = PromQl.samples(scrape);
                missing.clear();
                for (String name : referenced) {
                    if (!running.containsKey(name) && !AFTER_FIRST_GC.contains(name)) {
                        missing.add(name);
                    }
                }
                assertTrue(missing.isEmpty(), "referenced by the dashboard or the rules but not scraped: " + missing);
                // The run really was clean: nothing was dead-lettered.
                for (String line : running.get("ebm_records_dead_lettered_total")) {
                    assertTrue(line.endsWith(" 0.0"), line);
                }
                // The real trainer's scrape, Kafka client meters included, passes the linter.
                TestSupport.Result lint = TestSupport.run(
                        List.of(TestSupport.requireBinary("promtool").toString(), "check", "metrics"), scrape,
                        Duration.ofSeconds(60));
                assertEquals(0, lint.exitCode(), "promtool check metrics:\n" + lint.output());

                try (PrometheusServer prometheus = PrometheusServer.start(job.monitoring().port())) {
                    List<String> panels = prometheus.dashboardQueriesWithoutData(QUERY_WAIT);
                    assertTrue(panels.isEmpty(), "panels showing \"No data\" on a healthy run: " + panels);
                    List<String> rules = prometheus.ruleQueriesWithoutData(QUERY_WAIT);
                    assertTrue(rules.isEmpty(), "alert expressions without series on a healthy run: " + rules);
                    prometheus.awaitRulesHealthy();
                }
            } finally {
                producer.stop();
                job.stop();
                training.join(60_000);
            }
        }
    }

    /** Asserts that {@code name} has a series with {@code label="value"} whose sample is {@code sample}. */
    private static void assertSeries(Map<String, List<String>> samples, String name, String label, String value,
            String sample) {
        List<String> lines = samples.getOrDefault(name, List.of());
        String selector = label + "=\"" + value + "\"";
        assertTrue(lines.stream().anyMatch(l -> l.contains(selector) && l.endsWith(" " + sample)),
                name + "{" + selector + "} " + sample + " not in " + lines);
    }
}
