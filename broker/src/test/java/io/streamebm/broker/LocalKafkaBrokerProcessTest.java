package io.streamebm.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** The broker as a process of its own: prints its address, serves clients, stops on SIGTERM. */
class LocalKafkaBrokerProcessTest {

    @Test
    void runsAsAProcessAndStopsOnSigterm() throws Exception {
        Path dir = Files.createTempDirectory("streamebm-broker-proc-");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-cp", System.getProperty("java.class.path"), LocalKafkaBroker.class.getName(),
                "--port", "0", "--data-dir", dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            String address = null;
            while ((line = out.readLine()) != null) {
                if (line.matches("127\\.0\\.0\\.1:\\d+")) {
                    address = line;
                    break;
                }
            }
            assertTrue(address != null, "the process printed no bootstrap address");
            java.util.Properties props = new java.util.Properties();
            props.put("bootstrap.servers", address);
            try (Admin admin = Admin.create(props)) {
                assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            }
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the broker did not stop on SIGTERM");
            assertTrue(Files.exists(dir.resolve("logs").resolve("meta.properties")), "a given data dir is kept");
        } finally {
            p.destroyForcibly();
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
