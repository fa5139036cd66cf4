package io.streamebm.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * There is no Docker engine here, so docker-compose.yml is checked for consistency instead:
 * the services exist, every mounted host path is in the repository, the Kafka listeners agree with
 * the clients' command lines, and the trainer's metrics port, MetricsServer's default and the
 * Prometheus target are one and the same. The image is built once, Kafka's log is on a named volume,
 * and the trainer's healthcheck is run against a real {@link MetricsServer}. The provisioning files
 * are cross-checked too.
 */
class DockerComposeConsistencyTest {

    private static Path root;
    private static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() {
        root = TestSupport.repoRoot();
        services = (Map<String, Object>) PromQl.readYaml(root.resolve("docker-compose.yml")).get("services");
        assertNotNull(services, "docker-compose.yml has services");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        Object s = services.get(name);
        assertNotNull(s, "service " + name + " missing");
        return (Map<String, Object>) s;
    }

    @SuppressWarnings("unchecked")
    private static List<String> command(String name) {
        Object c = service(name).get("command");
        if (c instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        fail("service " + name + " must give its command as a list");
        return List.of();
    }

    private static String option(List<String> command, String flag) {
        int i = command.indexOf(flag);
        assertTrue(i >= 0 && i + 1 < command.size(), flag + " missing in " + command);
        return command.get(i + 1);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(String name) {
        Map<String, String> env = new HashMap<>();
        Object e = service(name).get("environment");
        if (e instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        } else if (e instanceof List<?> l) {
            for (Object kv : l) {
                String[] p = String.valueOf(kv).split("=", 2);
                env.put(p[0], p.length > 1 ? p[1] : "");
            }
        }
        return env;
    }

    /** Host bind mounts of a service as container path to host path (relative to the repo). */
    @SuppressWarnings("unchecked")
    private static Map<String, Path> bindMounts(String name) {
        Map<String, Path> out = new HashMap<>();
        Object v = service(name).get("volumes");
        if (v == null) {
            return out;
        }
        for (Object entry : (List<Object>) v) {
            String s = String.valueOf(entry);
            String[] parts = s.split(":");
            if (parts[0].startsWith("./") || parts[0].startsWith("../") || parts[0].startsWith("/")) {
                out.put(parts[1], root.resolve(parts[0]).normalize());
            }
        }
        return out;
    }

    /** Advertised listeners as listener name to host:port. */
    private static Map<String, String> advertisedListeners() {
        return listenerMap(environment("kafka").get("KAFKA_ADVERTISED_LISTENERS"));
    }

    private static Map<String, String> listenerMap(String spec) {
        assertNotNull(spec, "listener specification");
        Map<String, String> out = new HashMap<>();
        for (String l : spec.split(",")) {
            String[] p = l.strip().split("://", 2);
            out.put(p[0], p[1]);
        }
        return out;
    }

    @Test
    void allServicesArePresentWithAnImageOrABuild() {
        for (String name : List.of("kafka", "pipeline", "producer", "prometheus", "grafana")) {
            Map<String, Object> s = service(name);
            assertTrue(s.containsKey("image") || s.containsKey("build"), name + " has no image or build");
        }
        assertTrue(String.valueOf(service("kafka").get("image")).startsWith("apache/kafka:4."), "Kafka 4.x image");
        assertTrue(String.valueOf(service("prometheus").get("image")).startsWith("prom/prometheus:"));
        assertTrue(String.valueOf(service("grafana").get("image")).startsWith("grafana/grafana"));
        assertEquals(".", String.valueOf(service("pipeline").get("build")), "pipeline built from the root Dockerfile");
        assertTrue(Files.exists(root.resolve("Dockerfile")));
        assertEquals(service("pipeline").get("image"), service("producer").get("image"),
                "producer runs the pipeline image");
    }

    @Test
    void theImageIsBuiltOnceAndReusedByTag() {
        // Recent Compose refuses two services building the same tag.
        List<String> building = services.keySet().stream().filter(n -> service(n).containsKey("build")).toList();
        assertEquals(List.of("pipeline"), building, "only the trainer builds the image");
        String image = String.valueOf(service("pipeline").get("image"));
        for (String name : services.keySet()) {
            if (!name.equals("pipeline") && image.equals(String.valueOf(service(name).get("image")))) {
                assertEquals("never", service(name).get("pull_policy"),
                        name + " reuses the local image and must not try a registry");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void kafkaKeepsItsLogOnANamedVolume() {
        String logDirs = environment("kafka").get("KAFKA_LOG_DIRS");
        assertNotNull(logDirs, "KAFKA_LOG_DIRS set (the image's default is under /tmp)");
        Map<String, String> named = namedVolumeMounts("kafka");
        for (String dir : logDirs.split(",")) {
            String volume = named.get(dir.strip());
            assertNotNull(volume, "log dir " + dir + " is on a named volume: " + named);
            Map<String, Object> declared = (Map<String, Object>) PromQl.readYaml(root.resolve("docker-compose.yml"))
                    .get("volumes");
            assertTrue(declared != null && declared.containsKey(volume), "volume " + volume + " declared at the top level");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTrainersHealthcheckProbesHealthAndPassesOnlyWhenReady() throws Exception {
        Map<String, Object> check = (Map<String, Object>) service("pipeline").get("healthcheck");
        assertNotNull(check, "the trainer has a healthcheck");
        List<String> test = ((List<Object>) check.get("test")).stream().map(String::valueOf).toList();
        assertEquals("CMD", test.get(0), "exec form: no shell needed beyond the one named");
        // The tool must exist in the runtime image: bash (Ubuntu-based JRE image), no curl or wget.
        assertEquals("bash", test.get(1));
        String script = test.get(test.size() - 1).replace("$$", "$"); // Compose unescapes $$
        String port = option(command("pipeline"), "--metrics-port");
        assertTrue(script.contains("/dev/tcp/127.0.0.1/" + port + " "), "probes the trainer's own port: " + script);
        assertTrue(script.contains("GET /health "), script);
        assertTrue(String.valueOf(check.get("start_period")).matches("\\d+s"), "a start period for the JVM start-up");

        // Run the probe against a real MetricsServer: ready passes, not ready fails.
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicBoolean ready = new AtomicBoolean(true);
        try (MetricsServer server = MetricsServer.start(MonitoringOptions.builder().port(0).build(), registry,
                () -> new HealthStatus(true, ready.get(),
                        ready.get() ? new BrokerStatus(true, 1, "c", "ok", System.nanoTime())
                                : BrokerStatus.unreachable("down", System.nanoTime()),
                        HealthStatus.Training.PROGRESSING, 1, 0.5, 10.0))) {
            String local = script.replace("/dev/tcp/127.0.0.1/" + port + " ", "/dev/tcp/127.0.0.1/" + server.port() + " ");
            List<String> argv = new ArrayList<>(test.subList(1, test.size() - 1));
            argv.add(local);
            assertEquals(0, TestSupport.run(argv, null, Duration.ofSeconds(30)).exitCode(), "healthy when ready");
            ready.set(false);
            assertTrue(TestSupport.run(argv, null, Duration.ofSeconds(30)).exitCode() != 0, "unhealthy when not ready");
        }
        int closed = TestSupport.freePort();
        List<String> argv = new ArrayList<>(test.subList(1, test.size() - 1));
        argv.add(script.replace("/dev/tcp/127.0.0.1/" + port + " ", "/dev/tcp/127.0.0.1/" + closed + " "));
        assertTrue(TestSupport.run(argv, null, Duration.ofSeconds(30)).exitCode() != 0, "unhealthy when nothing listens");
    }

    @Test
    void everyMountedHostPathExistsInTheRepository() {
        List<String> missing = new ArrayList<>();
        for (String name : services.keySet()) {
            bindMounts(name).forEach((container, host) -> {
                if (!Files.exists(host)) {
                    missing.add(name + ": " + host + " -> " + container);
                }
            });
        }
        assertTrue(missing.isEmpty(), "mounted but missing: " + missing);
    }

    @Test
    void kafkaListenersAgreeWithTheClientsAndTheHostPort() {
        Map<String, String> env = environment("kafka");
        Map<String, String> listeners = listenerMap(env.get("KAFKA_LISTENERS"));
        Map<String, String> advertised = advertisedListeners();
        String protocols = env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP");
        for (String name : listeners.keySet()) {
            assertTrue(protocols.contains(name + ":"), name + " has a security protocol");
        }
        // Each advertised listener is bound on the same port.
        advertised.forEach((name, hostPort) -> {
            assertTrue(listeners.containsKey(name), "advertised " + name + " is not a listener");
            assertEquals(port(listeners.get(name)), port(hostPort), "port of listener " + name);
        });
        String controller = env.get("KAFKA_CONTROLLER_LISTENER_NAMES");
        assertTrue(listeners.containsKey(controller), "controller listener bound");
        assertFalse(advertised.containsKey(controller), "the controller listener is not advertised to clients");
        assertTrue(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").endsWith(":" + port(listeners.get(controller))));

        // The one listener advertised under the service's name is the in-network one.
        String internal = advertised.values().stream().filter(a -> a.startsWith("kafka:")).findFirst()
                .orElseThrow(() -> new AssertionError("no listener advertised as kafka:PORT"));
        assertEquals(internal, option(command("pipeline"), "--bootstrap-server"));
        assertEquals(internal, option(command("producer"), "--bootstrap-server"));
        assertEquals(option(command("pipeline"), "--topic"), option(command("producer"), "--topic"));
        assertEquals("ebm.samples", option(command("pipeline"), "--topic"));

        // The host listener is published on the same port.
        String external = advertised.values().stream().filter(a -> a.startsWith("localhost:")).findFirst()
                .orElseThrow(() -> new AssertionError("no listener advertised for the host"));
        assertTrue(publishedPorts("kafka").contains(port(external) + ":" + port(external)),
                "host listener " + external + " published");
    }

    @Test
    @SuppressWarnings("unchecked")
    void metricsPortIsTheDefaultAndThePrometheusTarget() {
        List<String> train = command("pipeline");
        assertEquals("train", train.get(0));
        String metricsPort = option(train, "--metrics-port");
        assertEquals(String.valueOf(MonitoringOptions.DEFAULT_PORT), metricsPort);
        assertEquals("0.0.0.0", option(train, "--metrics-host"), "reachable from the Prometheus container");
        assertTrue(publishedPorts("pipeline").contains(metricsPort + ":" + metricsPort));
        for (String flag : List.of("--group", "--config")) {
            option(train, flag);
        }
        List<String> produce = command("producer");
        assertEquals("produce", produce.get(0));
        Integer.parseInt(option(produce, "--rate"));
        assertEquals("eight-gaussians", option(produce, "--dataset"));

        Path promConfig = bindMounts("prometheus").get("/etc/prometheus/prometheus.yml");
        assertNotNull(promConfig, "prometheus.yml mounted at /etc/prometheus/prometheus.yml");
        assertEquals(PromQl.prometheusConfigFile().normalize(), promConfig);
        Map<String, Object> config = PromQl.readYaml(promConfig);
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
        Map<String, Object> job = jobs.stream().filter(j -> "streamebm-pipeline".equals(j.get("job_name")))
                .findFirst().orElseThrow(() -> new AssertionError("job streamebm-pipeline"));
        assertEquals("/metrics", Optional.ofNullable(job.get("metrics_path")).orElse("/metrics"));
        List<String> targets = new ArrayList<>();
        for (Map<String, Object> sc : (List<Map<String, Object>>) job.get("static_configs")) {
            targets.addAll((List<String>) sc.get("targets"));
        }
        assertEquals(List.of("pipeline:" + metricsPort), targets, "the target names the pipeline service");

        // Every rule file Prometheus loads is mounted from the repository's rules.
        Map<String, Path> mounts = bindMounts("prometheus");
        for (String ruleFile : (List<String>) config.get("rule_files")) {
            Path host = mounts.get(ruleFile);
            assertNotNull(host, "rule file " + ruleFile + " is mounted");
            assertEquals(PromQl.rulesFile().normalize(), host);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void grafanaProvisioningIsWiredToTheDashboardAndTheDatasource() {
        Map<String, Path> mounts = bindMounts("grafana");
        Path datasources = mounts.get("/etc/grafana/provisioning/datasources");
        Path providers = mounts.get("/etc/grafana/provisioning/dashboards");
        assertNotNull(datasources, "datasources provisioned");
        assertNotNull(providers, "dashboard providers provisioned");
        assertTrue(publishedPorts("grafana").contains("3000:3000"));

        Map<String, Object> ds = ((List<Map<String, Object>>) PromQl.readYaml(datasources.resolve("prometheus.yml"))
                .get("datasources")).get(0);
        assertEquals("prometheus", ds.get("type"));
        assertTrue(String.valueOf(ds.get("url")).startsWith("http://prometheus:"), "datasource URL names the service");
        String uid = String.valueOf(ds.get("uid"));

        Map<String, Object> provider = ((List<Map<String, Object>>) PromQl.readYaml(providers.resolve("streamebm.yml"))
                .get("providers")).get(0);
        String path = String.valueOf(((Map<String, Object>) provider.get("options")).get("path"));
        Path dashboards = mounts.get(path);
        assertNotNull(dashboards, "the provider's path " + path + " is mounted");
        assertTrue(Files.exists(dashboards.resolve(PromQl.dashboardFile().getFileName())), "dashboard in the mounted dir");

        // Every datasource reference in the dashboard uses the provisioned uid.
        List<String> wrong = new ArrayList<>();
        checkDatasources(PromQl.readJson(PromQl.dashboardFile()), uid, wrong);
        assertTrue(wrong.isEmpty(), "datasource uids other than " + uid + ": " + wrong);
        String home = environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        assertTrue(home == null || home.equals(path + "/" + PromQl.dashboardFile().getFileName()), home);
    }

    private static void checkDatasources(JsonNode node, String uid, List<String> wrong) {
        if (node.isObject()) {
            JsonNode ds = node.get("datasource");
            if (ds != null && ds.isObject() && !uid.equals(ds.path("uid").asText())) {
                wrong.add(ds.toString());
            }
            node.fields().forEachRemaining(e -> checkDatasources(e.getValue(), uid, wrong));
        } else if (node.isArray()) {
            node.forEach(n -> checkDatasources(n, uid, wrong));
        }
    }

    @Test
    void dockerfileRunsTheCliTheComposeFileCalls() throws Exception {
        String dockerfile = Files.readString(root.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("FROM maven:3-eclipse-temurin-17 AS build"), "build stage");
        assertTrue(dockerfile.contains("FROM eclipse-temurin:17-jre"), "runtime stage");
        assertTrue(dockerfile.contains("-DskipTests"), "the image build skips the tests");
        assertTrue(dockerfile.contains("\"pipeline/target/lib/*:pipeline/target/streamebm-pipeline.jar\", "
                + "\"io.streamebm.pipeline.StreamEbmCli\""), "entrypoint class path and main class");
        assertTrue(dockerfile.contains("OMP_NUM_THREADS=1"), "one OpenMP thread");
        assertTrue(dockerfile.contains("EXPOSE " + MonitoringOptions.DEFAULT_PORT), "metrics port exposed");
        // The copied module directories exist (the pipeline module is added later by its owner).
        for (String line : dockerfile.split("\n")) {
            if (line.startsWith("COPY ") && !line.contains("--from")) {
                String src = line.split("\\s+")[1];
                if (!src.startsWith("pipeline")) {
                    assertTrue(Files.exists(root.resolve(src)), "Dockerfile copies missing " + src);
                }
            }
        }
    }

    /** Named-volume mounts of a service as container path to volume name. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> namedVolumeMounts(String name) {
        Map<String, String> out = new HashMap<>();
        Object v = service(name).get("volumes");
        if (v == null) {
            return out;
        }
        for (Object entry : (List<Object>) v) {
            String[] parts = String.valueOf(entry).split(":");
            if (!(parts[0].startsWith(".") || parts[0].startsWith("/"))) {
                out.put(parts[1], parts[0]);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String> publishedPorts(String name) {
        Object p = service(name).get("ports");
        return p == null ? List.of() : ((List<Object>) p).stream().map(String::valueOf).toList();
    }

    private static String port(String hostPort) {
        return hostPort.substring(hostPort.lastIndexOf(':') + 1);
    }
}
