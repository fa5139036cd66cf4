package io.streamebm.monitoring;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsServerTest {

    @Test
    void negotiatesOpenMetricsOnlyWhenPreferred() {
        assertEquals(MetricsServer.PROMETHEUS_TEXT, MetricsServer.negotiate(null));
        assertEquals(MetricsServer.PROMETHEUS_TEXT, MetricsServer.negotiate("*/*"));
        assertEquals(MetricsServer.PROMETHEUS_TEXT, MetricsServer.negotiate("text/plain;version=0.0.4"));
        assertEquals(MetricsServer.OPENMETRICS_TEXT, MetricsServer.negotiate("application/openmetrics-text"));
        // What Prometheus sends: OpenMetrics first.
        assertEquals(MetricsServer.OPENMETRICS_TEXT, MetricsServer.negotiate(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        assertEquals(MetricsServer.PROMETHEUS_TEXT, MetricsServer.negotiate(
                "application/openmetrics-text;q=0.3,text/plain;q=0.9"));
        assertEquals(MetricsServer.PROMETHEUS_TEXT, MetricsServer.negotiate("application/openmetrics-text;q=0"));
    }

    @Test
    void servesMetricsAndHealthOnAFreePortAndAnswersOtherRequestsCorrectly() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics metrics = new TrainingMetrics("m", "cd");
        metrics.bindTo(registry);
        AtomicBoolean reachable = new AtomicBoolean(true);
        TrainingHealth health = new TrainingHealth(metrics,
                () -> reachable.get() ? new BrokerStatus(true, 1, "c", "ok", System.nanoTime())
                        : BrokerStatus.unreachable("down", System.nanoTime()),
                MonitoringOptions.DEFAULT_STALL_TIMEOUT, MonitoringOptions.DEFAULT_STARTUP_GRACE);
        try (MetricsServer server = MetricsServer.start(MonitoringOptions.builder().port(0).build(), registry, health)) {
            assertNotEquals(0, server.port());
            assertEquals("127.0.0.1", server.address().getAddress().getHostAddress());
            URI base = server.baseUri();

            HttpResponse<String> metricsResponse = TestSupport.get(base.resolve("/metrics"), null);
            assertEquals(200, metricsResponse.statusCode());
            assertEquals(MetricsServer.PROMETHEUS_TEXT, metricsResponse.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(metricsResponse.body().contains("ebm_train_steps_total{"));

            assertEquals(200, TestSupport.get(base.resolve("/health"), null).statusCode());
            reachable.set(false);
            HttpResponse<String> down = TestSupport.get(base.resolve("/health"), null);
            assertEquals(503, down.statusCode());
            assertTrue(down.body().contains("\"ready\":false"));

            assertEquals(404, TestSupport.get(base.resolve("/metricsfoo"), null).statusCode());
            assertEquals(404, TestSupport.get(base.resolve("/"), null).statusCode());
            HttpResponse<String> post = TestSupport.HTTP.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());

            HttpResponse<byte[]> gz = TestSupport.HTTP.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                    .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.body()))) {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("ebm_train_loss{"));
            }
        }
    }

    @Test
    void aHundredSlowClientsCannotBlockTheHealthProbe() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingMetrics metrics = new TrainingMetrics("m", "cd");
        metrics.bindTo(registry);
        TrainingHealth health = new TrainingHealth(metrics,
                () -> new BrokerStatus(true, 1, "c", "ok", System.nanoTime()),
                MonitoringOptions.DEFAULT_STALL_TIMEOUT, MonitoringOptions.DEFAULT_STARTUP_GRACE);
        java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
        try (MetricsServer server = MetricsServer.start(MonitoringOptions.builder().port(0).build(), registry, health)) {
            // Slowloris: each connection sends part of its headers and then nothing.
            for (int i = 0; i < 100; i++) {
                java.net.Socket socket = new java.net.Socket(server.address().getAddress(), server.port());
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            // A liveness probe with a probe's usual timeout must still get its answer, and a scrape too.
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(java.time.Duration.ofSeconds(5)).build();
            for (String path : new String[] {"/health", "/metrics"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.baseUri().resolve(path))
                        .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), path);
            }
        } finally {
            for (java.net.Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void aPortInUseIsReported() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainingHealth health = new TrainingHealth(new TrainingMetrics("m", "cd"),
                () -> BrokerStatus.unreachable("n/a", 0), MonitoringOptions.DEFAULT_STALL_TIMEOUT,
                MonitoringOptions.DEFAULT_STARTUP_GRACE);
        try (MetricsServer first = MetricsServer.start(MonitoringOptions.builder().port(0).build(), registry, health)) {
            MonitoringOptions same = MonitoringOptions.builder().port(first.port()).build();
            assertThrows(IOException.class, () -> MetricsServer.start(same, registry, health));
        }
    }
}
