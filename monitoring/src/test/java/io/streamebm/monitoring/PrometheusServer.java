package io.streamebm.monitoring;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * A real Prometheus server for tests, started from the Debian package on a free loopback port with
 * the repository's {@code prometheus.yml} (its pipeline job pointed at the endpoint under test, a
 * 1 s scrape interval) and the repository's alert rules. Shared by the monitoring tests (simulated
 * training feed) and the pipeline tests (the real trainer).
 */
public final class PrometheusServer implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private final Process process;
    private final Path dir;
    private final URI uri;

    private PrometheusServer(Process process, Path dir, URI uri) {
        this.process = process;
        this.dir = dir;
        this.uri = uri;
    }

    /** Starts Prometheus scraping {@code 127.0.0.1:targetPort} and waits until the target is up. */
    @SuppressWarnings("unchecked")
    public static PrometheusServer start(int targetPort) throws IOException {
        Path binary = TestSupport.requireBinary("prometheus");
        Map<String, Object> config = PromQl.readYaml(PromQl.prometheusConfigFile());
        Map<String, Object> global = (Map<String, Object>) config.computeIfAbsent("global", k -> new LinkedHashMap<>());
        global.put("scrape_interval", "1s");
        global.put("evaluation_interval", "1s");
        config.put("rule_files", List.of(PromQl.rulesFile().toAbsolutePath().toString()));
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
        Map<String, Object> job = jobs.stream().filter(j -> "streamebm-pipeline".equals(j.get("job_name")))
                .findFirst().orElseThrow(() -> new AssertionError("no streamebm-pipeline job in prometheus.yml"));
        job.put("static_configs", List.of(Map.of("targets", List.of("127.0.0.1:" + targetPort))));
        Path dir = Files.createTempDirectory("streamebm-prometheus-");
        Path configFile = dir.resolve("prometheus.yml");
        Files.writeString(configFile, new Yaml().dump(config));
        int port = TestSupport.freePort();
        URI uri = URI.create("http://127.0.0.1:" + port);
        Process p = new ProcessBuilder(binary.toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        PrometheusServer server = new PrometheusServer(p, dir, uri);
        TestSupport.await("Prometheus ready on " + uri, WAIT, () -> {
            if (!p.isAlive()) {
                fail("Prometheus exited: " + server.log());
            }
            try {
                return TestSupport.get(uri.resolve("/-/ready"), null).statusCode() == 200;
            } catch (RuntimeException e) {
                return false;
            }
        });
        TestSupport.await("the pipeline target up in Prometheus", WAIT,
                () -> server.api("/api/v1/query?query=" + URLEncoder.encode("up{job=\"streamebm-pipeline\"} == 1",
                        StandardCharsets.UTF_8)).path("data").path("result").size() > 0);
        return server;
    }

    /** Polls {@code expr} until it returns at least one series, or gives up after {@code wait}. */
    public boolean returnsData(String expr, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        String encoded = URLEncoder.encode(expr, StandardCharsets.UTF_8);
        while (System.nanoTime() < deadline) {
            JsonNode r = api("/api/v1/query?query=" + encoded);
            if (!"success".equals(r.path("status").asText())) {
                fail("Prometheus refused " + expr + ": " + r);
            }
            if (r.path("data").path("result").size() > 0) {
                return true;
            }
            TestSupport.sleep(500);
        }
        return false;
    }

    /** The dashboard panel queries ({@code $model} matching any model) that return no data. */
    public List<String> dashboardQueriesWithoutData(Duration wait) {
        List<String> empty = new ArrayList<>();
        for (PromQl.Query q : PromQl.dashboardQueries()) {
            String expr = PromQl.substituteGrafanaVariables(q.expr(), Map.of("model", ".*"));
            if (!returnsData(expr, wait)) {
                empty.add(q.source() + ": " + expr);
            }
        }
        return empty;
    }

    /** The alert expressions (comparisons made {@code bool}) that find no series. */
    public List<String> ruleQueriesWithoutData(Duration wait) {
        List<String> empty = new ArrayList<>();
        for (PromQl.Query q : PromQl.ruleQueries()) {
            String expr = PromQl.withBool(q.expr());
            if (!returnsData(expr, wait)) {
                empty.add(q.source() + ": " + expr);
            }
        }
        return empty;
    }

    /** Waits until Prometheus has evaluated every rule of the repository's file with health ok. */
    public void awaitRulesHealthy() {
        TestSupport.await("every rule evaluated with health ok", WAIT, () -> {
            JsonNode groups = api("/api/v1/rules").path("data").path("groups");
            int ok = 0;
            int total = 0;
            for (JsonNode g : groups) {
                for (JsonNode rule : g.path("rules")) {
                    total++;
                    if ("ok".equals(rule.path("health").asText())) {
                        ok++;
                    }
                }
            }
            return total == PromQl.ruleQueries().size() && ok == total;
        });
    }

    /** A GET on Prometheus' HTTP API, parsed. */
    public JsonNode api(String pathAndQuery) {
        HttpResponse<String> r = TestSupport.get(URI.create(uri + pathAndQuery), "application/json");
        try {
            return PromQl.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON from Prometheus (" + r.statusCode() + "): " + r.body(), e);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
