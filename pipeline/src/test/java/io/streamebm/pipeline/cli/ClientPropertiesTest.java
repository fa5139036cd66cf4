package io.streamebm.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.pipeline.StreamEbmCli;
import io.streamebm.pipeline.TestBroker;
import io.streamebm.pipeline.app.AppAccess;
import io.streamebm.pipeline.config.PipelineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Kafka client properties from --command-config and kafka.consumer/producer.* reach the clients. */
class ClientPropertiesTest {

    @TempDir
    Path dir;

    private ConfigOptions options(String... args) {
        ConfigOptions o = new ConfigOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void commandConfigGoesToBothClientsAndPerClientSettingsOverrideIt() throws Exception {
        Path props = dir.resolve("client.properties");
        Files.writeString(props, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nrequest.timeout.ms=7000\n"
                + "linger.ms=3\nmax.poll.records=10\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PipelineConfig c = options("--command-config", props.toString(), "--bootstrap-server", "h:9092",
                "--set", "kafka.consumer.sasl.mechanism=SCRAM-SHA-256", "--set", "kafka.producer.securty.protocol=SSL")
                .resolve(Map.of(), Map.of(), new PrintStream(err, true, StandardCharsets.UTF_8));

        Map<String, Object> consumer = AppAccess.consumerProperties(c, "me");
        assertEquals("SASL_PLAINTEXT", consumer.get("security.protocol"));
        assertEquals("SCRAM-SHA-256", consumer.get("sasl.mechanism"), "kafka.consumer.* overrides the file");
        assertEquals("7000", consumer.get("request.timeout.ms"));
        Map<String, String> producer = c.clientProperties(PipelineConfig.PRODUCER_PREFIX);
        assertEquals("SASL_PLAINTEXT", producer.get("security.protocol"));
        assertEquals("PLAIN", producer.get("sasl.mechanism"));
        // Each property of the file goes to the clients that know it.
        assertEquals("3", producer.get("linger.ms"));
        assertEquals("10", consumer.get("max.poll.records"));
        assertTrue(!producer.containsKey("max.poll.records") && !consumer.containsKey("linger.ms"), c.toString());
        String warnings = err.toString(StandardCharsets.UTF_8);
        assertEquals("streamebm: warning: kafka.producer.securty.protocol is not a Kafka client property; passed on anyway",
                warnings.strip(), "only the misspelt name is reported");
    }

    @Test
    void aProducerPropertyFromCommandConfigTakesEffectInProduce() throws Exception {
        // A limit no record fits in: if the property reaches the producer, every send is refused.
        Path props = dir.resolve("client.properties");
        Files.writeString(props, "max.request.size=10\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = StreamEbmCli.execute("produce", "--bootstrap-server", TestBroker.get().bootstrapServers(),
                    "--topic", TestBroker.uniqueTopic("props"), "--records", "5", "--rate", "0",
                    "--command-config", props.toString());
        } finally {
            System.setErr(oldErr);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, text);
        assertTrue(text.contains("max.request.size"), text);
    }
}
