package io.streamebm.monitoring;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * A second trainer on the same host meets the first one's metrics port: the error says the port
 * is taken and how to choose another, instead of a bare "Address already in use".
 */
class MetricsPortTakenTest {

    @Test
    void aTakenPortIsNamedWithTheSettingThatFreesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Monitoring.start(
                    MonitoringOptions.builder().host("127.0.0.1").port(taken.getLocalPort()).build(),
                    "port-test", "pcd", "127.0.0.1:9").close());
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort() + ": the port is taken"), e.getMessage());
            assertTrue(e.getMessage().contains("--metrics-port N), or 0 for any free one"), e.getMessage());
        }
    }
}
