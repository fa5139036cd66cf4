package io.streamebm.pipeline.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.connectors.KafkaSender;
import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.JsonSampleCodec;
import io.streamebm.datasets.Datasets;
import io.streamebm.monitoring.PrometheusServer;
import io.streamebm.pipeline.SmallTrainer;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.config.PipelineConfig;
import io.streamebm.pipeline.train.EbmLearner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server scrapes the running pipeline (the real trainer on a real broker, with
 * dead letters, a divergence, checkpoints and snapshots happening): every dashboard panel and every
 * alert rule of the repository's provisioning files must find data, and /health must say ready.
 */
class PrometheusOnPipelineTest {

    private static final Duration QUERY_WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void everyPanelAndRuleFindsDataFromTheRunningTrainer() throws Exception {
        LocalKafkaBroker broker = TestBroker.get();
        String topic = TestBroker.uniqueTopic("prom");
        broker.createTopic(topic, 3);
        PipelineConfig config = SmallTrainer.config(broker.bootstrapServers(), topic, dir, "prom", Map.of());

        try (KafkaSender sender = KafkaParts.sender(broker.bootstrapServers(), "prom-producer");
                TrainingJob job = new TrainingJob(config, new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8), learner -> new PoisonOnce((EbmLearner) learner, 5))) {
            SyntheticProducer producer = new SyntheticProducer(sender, topic, JsonSampleCodec.INSTANCE,
                    Datasets.stream("eight-gaussians", 8)::next);
            Thread producing = new Thread(() -> producer.run(0, 1500), "prom-producer");
            producing.setDaemon(true);
            producing.start();
            for (String poison : List.of("[1.0,", "[1,2,3]", "[NaN,1]")) {
                sender.send(new ProducerRecord<>(topic, poison.getBytes(StandardCharsets.UTF_8))).block();
            }
            Thread training = new Thread(() -> job.run(0), "prom-trainer");
            training.setDaemon(true);
            training.start();
            try {
                String base = "http://127.0.0.1:" + job.monitoring().port();
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                String scrape = "";
                while (System.nanoTime() < deadline) {
                    scrape = get(base + "/metrics").body();
                    if (scrape.contains("ebm_divergences_total{") && scrape.contains("ebm_records_dead_lettered_total{")
                            && scrape.contains("ebm_checkpoints_total{") && scrape.contains("ebm_model_version{")
                            && scrape.contains("kafka_consumer_fetch_manager_records_lag{")) {
                        break;
                    }
                    Thread.sleep(250);
                }
                assertTrue(scrape.contains("ebm_divergences_total{"), "no divergence yet:\n" + scrape);
                System.gc(); // the dashboard's GC panel reads the pause timer, which exists after a collection

                try (PrometheusServer prometheus = PrometheusServer.start(job.monitoring().port())) {
                    List<String> panels = prometheus.dashboardQueriesWithoutData(QUERY_WAIT);
                    assertTrue(panels.isEmpty(), "dashboard queries without data from the trainer: " + panels);
                    List<String> rules = prometheus.ruleQueriesWithoutData(QUERY_WAIT);
                    assertTrue(rules.isEmpty(), "alert expressions without series from the trainer: " + rules);
                    prometheus.awaitRulesHealthy();
                }
                HttpResponse<String> health = get(base + "/health");
                assertEquals(200, health.statusCode(), health.body());
            } finally {
                producer.stop();
                job.stop();
                training.join(60_000);
            }
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
