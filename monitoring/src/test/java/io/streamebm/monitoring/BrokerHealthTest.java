package io.streamebm.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamebm.broker.LocalKafkaBroker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /health} follows a real broker: ready while it runs, 503 once it is stopped, ready again
 * after it restarts on the same port. Training is kept "starting" (long grace period) so that only
 * the broker decides.
 */
class BrokerHealthTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void healthTurnsUnreadyWhenTheBrokerGoesAwayAndReadyWhenItReturns() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start();
             Monitoring monitoring = Monitoring.start(MonitoringOptions.builder().port(0)
                             .brokerCheckInterval(Duration.ofMillis(200))
                             .brokerCheckTimeout(Duration.ofSeconds(1))
                             .startupGrace(Duration.ofHours(1))
                             .build(),
                     "health-test", "cd", broker.bootstrapServers())) {
            URI health = monitoring.server().baseUri().resolve("/health");

            TestSupport.await("ready with the broker up", WAIT, () -> status(health) == 200);
            JsonNode up = json(TestSupport.get(health, null));
            assertTrue(up.path("ready").asBoolean());
            assertTrue(up.path("live").asBoolean());
            assertTrue(up.path("broker").path("reachable").asBoolean());
            assertEquals(1, up.path("broker").path("nodes").asInt());
            assertEquals("STARTING", up.path("training").path("state").asText());

            broker.stop();
            TestSupport.await("unready with the broker stopped", WAIT, () -> status(health) == 503);
            HttpResponse<String> downResponse = TestSupport.get(health, null);
            JsonNode down = json(downResponse);
            assertFalse(down.path("ready").asBoolean());
            assertTrue(down.path("live").asBoolean(), "a broker outage must not fail liveness");
            assertFalse(down.path("broker").path("reachable").asBoolean());
            assertFalse(down.path("broker").path("detail").asText().isBlank());
            assertEquals("application/json; charset=utf-8",
                    downResponse.headers().firstValue("Content-Type").orElse(""));

            broker.restart();
            TestSupport.await("ready again after the broker restarted", WAIT, () -> status(health) == 200);
            assertTrue(json(TestSupport.get(health, null)).path("broker").path("reachable").asBoolean());
        }
    }

    @Test
    void probeOfAPortWhereNothingListensIsUnreachableWithoutBlocking() {
        int port = TestSupport.freePort();
        try (KafkaBrokerProbe probe = KafkaBrokerProbe.start("127.0.0.1:" + port,
                Duration.ofMillis(200), Duration.ofMillis(500))) {
            BrokerStatus s = probe.checkNow();
            assertFalse(s.reachable());
            assertFalse(s.detail().isBlank());
            assertFalse(probe.get().reachable());
        }
    }

    private static int status(URI uri) {
        return TestSupport.get(uri, null).statusCode();
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return PromQl.JSON.readTree(r.body());
    }
}
